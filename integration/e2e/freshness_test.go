package e2e

import (
	"context"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// freshnessTarget is design.md's freshness target: Salesforce commit to
// PostgreSQL row, p99 under 250 ms at 1,000 events/s sustained.
const freshnessTarget = 250 * time.Millisecond

// BenchmarkFreshness streams churn at a steady rate (SFSYNC_BENCH_RATE
// transactions/s, default 650, about 1,000 events/s) for
// SFSYNC_BENCH_SECONDS (default 30) through the emulator, the producer
// and two consumer replicas, and reports the events/s applied and the
// freshness the consumers measured (PostgreSQL commit minus Salesforce
// commit): p50 and p99, estimated within the histogram's buckets as
// Prometheus's histogram_quantile does, the share of envelopes fresher
// than the 250 ms target, and p99 over the target (make bench-freshness).
func BenchmarkFreshness(b *testing.B) {
	rate := benchFloat(b, "SFSYNC_BENCH_RATE", 650)
	seconds := benchFloat(b, "SFSYNC_BENCH_SECONDS", 30)
	p := newPipeline(b, 5000, services{})
	a, c := p.consumer("consumer-a", true), p.consumer("consumer-b", true)
	p.waitAssigned(a, c)
	// A few seconds at the rate first, so that connections, caches and
	// partition-key lookups are warm.
	p.churnFor(rate, 5*time.Second)
	p.converge(2 * time.Minute)
	before := freshness(b, a, c)
	for b.Loop() {
		p.churnFor(rate, time.Duration(seconds*float64(time.Second)))
	}
	p.converge(2 * time.Minute)
	h := freshness(b, a, c).minus(before)
	p50, p99 := h.quantile(0.50), h.quantile(0.99)
	b.ReportMetric(h.count/seconds/float64(b.N), "events/s")
	b.ReportMetric(p50*1000, "p50-ms")
	b.ReportMetric(p99*1000, "p99-ms")
	b.ReportMetric(h.share(freshnessTarget.Seconds()), "share-under-250ms")
	b.ReportMetric(p99/freshnessTarget.Seconds(), "p99/target")
}

// churnFor makes churn at rate transactions/s for d.
func (p *pipeline) churnFor(rate float64, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	p.churn(ctx, 0, rate)
}

func benchFloat(b *testing.B, name string, def float64) float64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, s)
	}
	return v
}

// histogram is a cumulative Prometheus histogram: the count of
// observations at most each upper bound, ascending, +Inf last.
type histogram struct {
	le    []float64
	cum   []float64
	count float64
}

var bucketLine = regexp.MustCompile(`^sfsync_consumer_freshness_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\S+)$`)

// freshness reads the replicas' freshness histograms, summed.
func freshness(b *testing.B, replicas ...*proc) histogram {
	b.Helper()
	sum := map[float64]float64{}
	for _, r := range replicas {
		body, ok := r.scrape()
		if !ok {
			b.Fatalf("%s: metrics unreadable", r.name)
		}
		for line := range strings.SplitSeq(body, "\n") {
			m := bucketLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			le, err1 := strconv.ParseFloat(m[1], 64)
			v, err2 := strconv.ParseFloat(m[2], 64)
			if err1 != nil || err2 != nil {
				b.Fatalf("%s: bucket line %q", r.name, line)
			}
			sum[le] += v
		}
	}
	var h histogram
	for le := range sum {
		h.le = append(h.le, le)
	}
	sort.Float64s(h.le)
	for _, le := range h.le {
		h.cum = append(h.cum, sum[le])
	}
	if n := len(h.cum); n > 0 {
		h.count = h.cum[n-1]
	}
	return h
}

// minus returns the observations of h that were not yet in earlier.
func (h histogram) minus(earlier histogram) histogram {
	out := histogram{le: h.le, cum: make([]float64, len(h.cum)), count: h.count - earlier.count}
	for i := range h.cum {
		out.cum[i] = h.cum[i]
		if i < len(earlier.cum) {
			out.cum[i] -= earlier.cum[i]
		}
	}
	return out
}

// quantile estimates the q-quantile, interpolating linearly within its
// bucket (the lowest bucket from 0).
func (h histogram) quantile(q float64) float64 {
	rank := q * h.count
	for i, c := range h.cum {
		if c < rank {
			continue
		}
		if math.IsInf(h.le[i], 1) {
			return h.le[i-1]
		}
		lo, below := 0.0, 0.0
		if i > 0 {
			lo, below = h.le[i-1], h.cum[i-1]
		}
		if c == below {
			return h.le[i]
		}
		return lo + (h.le[i]-lo)*(rank-below)/(c-below)
	}
	return math.NaN()
}

// share returns the share of observations at most le, a bucket bound.
func (h histogram) share(le float64) float64 {
	for i, bound := range h.le {
		if bound == le {
			return h.cum[i] / h.count
		}
	}
	return math.NaN()
}
