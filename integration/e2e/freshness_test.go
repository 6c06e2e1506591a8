package e2e

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfsync/sfsync/integration/harness"
)

// freshnessTarget is design.md's freshness target: Salesforce commit to
// PostgreSQL row, p99 under 250 ms at 1,000 events/s sustained.
const freshnessTarget = 250 * time.Millisecond

// BenchmarkFreshness streams churn at a steady rate (SFSYNC_BENCH_RATE
// transactions/s, default 650, about 1,000 events/s) for
// SFSYNC_BENCH_SECONDS (default 30) through the emulator, the producer,
// two consumer replicas and a reconciler verifying every minute, twice:
// on the machine as it is (idle), then with a neighbour the benchmark
// starts, a process that keeps one core busy (busy-core). Each reports
// the events/s applied; the freshness the consumers measured (PostgreSQL
// commit minus Salesforce commit): p50 and p99, estimated within the
// histogram's buckets as Prometheus's histogram_quantile does, the share
// of envelopes fresher than the 250 ms target, and p99 over the target;
// the p50 and p99 of each hop (producer: salesforce_to_producer,
// producer_to_ack; consumers: producer_to_fetch, fetch_to_commit); and
// the largest resident memory of each service sampled every 5 s while
// the churn ran, in MiB (make bench-freshness).
func BenchmarkFreshness(b *testing.B) {
	rate := benchFloat(b, "SFSYNC_BENCH_RATE", 650)
	seconds := benchFloat(b, "SFSYNC_BENCH_SECONDS", 30)
	p := newPipeline(b, 5000, services{})
	a, c := p.consumer("consumer-a", true), p.consumer("consumer-b", true)
	cfg := filepath.Join(p.dir, "reconciler.yaml")
	harness.WriteFile(b, cfg, p.reconcilerYAML("mapping.yaml", "reconciler", p.topic("checkpoints"), p.dbURL,
		"verify:\n  interval: 1m\n  window: 10m\n  grace: 1s\n"))
	rec := p.start("reconciler", filepath.Join(bins, "sfsync-reconciler"), "--config", cfg)
	services := []*proc{p.producer, a, c, rec}
	p.waitAssigned(a, c)
	// A few seconds at the rate first, so that connections, caches and
	// partition-key lookups are warm.
	p.churnFor(rate, 5*time.Second)
	p.converge(2 * time.Minute)
	for _, sc := range []struct {
		name      string
		neighbour bool
	}{{"idle", false}, {"busy-core", true}} {
		b.Run(sc.name, func(b *testing.B) {
			if sc.neighbour {
				busyCore(b)
			}
			fresh := func() histogram { return readHistogram(b, "sfsync_consumer_freshness_seconds", "", a, c) }
			hops := []struct {
				metric, hop string
				from        []*proc
			}{
				{"sfsync_producer_hop_seconds", "salesforce_to_producer", []*proc{p.producer}},
				{"sfsync_producer_hop_seconds", "producer_to_ack", []*proc{p.producer}},
				{"sfsync_consumer_hop_seconds", "producer_to_fetch", []*proc{a, c}},
				{"sfsync_consumer_hop_seconds", "fetch_to_commit", []*proc{a, c}},
			}
			hopsBefore := make([]histogram, len(hops))
			for i, h := range hops {
				hopsBefore[i] = readHistogram(b, h.metric, `hop="`+h.hop+`"`, h.from...)
			}
			before := fresh()
			rss := sampleRSS(services, 5*time.Second)
			for b.Loop() {
				p.churnFor(rate, time.Duration(seconds*float64(time.Second)))
			}
			peak := rss()
			p.converge(2 * time.Minute)
			h := fresh().minus(before)
			p50, p99 := h.quantile(0.50), h.quantile(0.99)
			b.ReportMetric(h.count/seconds/float64(b.N), "events/s")
			b.ReportMetric(p50*1000, "p50-ms")
			b.ReportMetric(p99*1000, "p99-ms")
			b.ReportMetric(h.share(freshnessTarget.Seconds()), "share-under-250ms")
			b.ReportMetric(p99/freshnessTarget.Seconds(), "p99/target")
			for i, hop := range hops {
				hh := readHistogram(b, hop.metric, `hop="`+hop.hop+`"`, hop.from...).minus(hopsBefore[i])
				b.ReportMetric(hh.quantile(0.50)*1000, hop.hop+"-p50-ms")
				b.ReportMetric(hh.quantile(0.99)*1000, hop.hop+"-p99-ms")
			}
			for _, svc := range services {
				b.ReportMetric(peak[svc.name]/(1<<20), "rss-"+svc.name+"-MiB")
			}
		})
	}
}

// busyCore starts a neighbour process that keeps one core busy until b
// ends.
func busyCore(b *testing.B) {
	cmd := exec.Command("sh", "-c", "while :; do :; done")
	if err := cmd.Start(); err != nil {
		b.Fatalf("start the busy neighbour: %v", err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
}

// sampleRSS samples the resident memory (process_resident_memory_bytes)
// of each service every interval until the returned function is called,
// which returns the largest sample of each, by name.
func sampleRSS(services []*proc, interval time.Duration) func() map[string]float64 {
	peak := map[string]float64{}
	var mu sync.Mutex
	sample := func() {
		for _, svc := range services {
			if v := svc.metric("process_resident_memory_bytes"); v > 0 {
				mu.Lock()
				peak[svc.name] = max(peak[svc.name], v)
				mu.Unlock()
			}
		}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				sample()
			case <-stop:
				return
			}
		}
	}()
	return func() map[string]float64 {
		close(stop)
		<-done
		sample()
		return peak
	}
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

var bucketLine = regexp.MustCompile(`^(\w+)_bucket\{([^}]*)\} (\S+)$`)
var leLabel = regexp.MustCompile(`le="([^"]+)"`)

// readHistogram reads the histogram name of the replicas, summed over
// their series whose labels contain label (all of them when it is
// empty).
func readHistogram(b *testing.B, name, label string, replicas ...*proc) histogram {
	b.Helper()
	sum := map[float64]float64{}
	for _, r := range replicas {
		body, ok := r.scrape()
		if !ok {
			b.Fatalf("%s: metrics unreadable", r.name)
		}
		for line := range strings.SplitSeq(body, "\n") {
			m := bucketLine.FindStringSubmatch(line)
			if m == nil || m[1] != name || !strings.Contains(m[2], label) {
				continue
			}
			le := leLabel.FindStringSubmatch(m[2])
			if le == nil {
				b.Fatalf("%s: bucket line %q has no le", r.name, line)
			}
			bound, err1 := strconv.ParseFloat(le[1], 64)
			v, err2 := strconv.ParseFloat(m[3], 64)
			if err1 != nil || err2 != nil {
				b.Fatalf("%s: bucket line %q", r.name, line)
			}
			sum[bound] += v
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
