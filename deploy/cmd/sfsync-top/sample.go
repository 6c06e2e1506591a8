package main

import (
	"bytes"
	"math"
	"sort"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// sample is one scrape of one endpoint.
type sample struct {
	at       time.Time
	families map[string]*dto.MetricFamily
	err      error
}

func parse(body []byte, at time.Time) (*sample, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return &sample{at: at, families: fams}, nil
}

// values returns the value of every series of the counter or gauge name.
func (s *sample) values(name string) []float64 {
	if s == nil || s.families[name] == nil {
		return nil
	}
	var out []float64
	for _, m := range s.families[name].Metric {
		switch {
		case m.Counter != nil:
			out = append(out, m.Counter.GetValue())
		case m.Gauge != nil:
			out = append(out, m.Gauge.GetValue())
		case m.Untyped != nil:
			out = append(out, m.Untyped.GetValue())
		}
	}
	return out
}

// sum adds up every series of name.
func (s *sample) sum(name string) float64 {
	total := 0.0
	for _, v := range s.values(name) {
		total += v
	}
	return total
}

// max returns the largest series of name, 0 when there is none.
func (s *sample) max(name string) float64 {
	best := 0.0
	for _, v := range s.values(name) {
		best = math.Max(best, v)
	}
	return best
}

// rate returns the per-second increase of the counter name between prev
// and cur; 0 without a previous sample or after a restart.
func rate(cur, prev *sample, name string) float64 {
	if prev == nil || cur == nil {
		return 0
	}
	dt := cur.at.Sub(prev.at).Seconds()
	d := cur.sum(name) - prev.sum(name)
	if dt <= 0 || d < 0 {
		return 0
	}
	return d / dt
}

// histogram is cumulative bucket counts by upper bound, summed over
// series.
type histogram map[float64]float64

// histogram returns the buckets of the histogram name, summed over its
// series; nil when absent.
func (s *sample) histogram(name string) histogram {
	if s == nil || s.families[name] == nil {
		return nil
	}
	h := histogram{}
	for _, m := range s.families[name].Metric {
		if m.Histogram == nil {
			continue
		}
		for _, b := range m.Histogram.Bucket {
			if le := b.GetUpperBound(); !math.IsInf(le, 1) {
				h[le] += float64(b.GetCumulativeCount())
			}
		}
		h[math.Inf(1)] += float64(m.Histogram.GetSampleCount())
	}
	return h
}

// minus returns h's observations since old (h itself when old is nil or
// the process restarted).
func (h histogram) minus(old histogram) histogram {
	if old == nil {
		return h
	}
	out := histogram{}
	for le, c := range h {
		d := c - old[le]
		if d < 0 {
			return h
		}
		out[le] = d
	}
	return out
}

func (h *histogram) add(o histogram) {
	if *h == nil {
		*h = histogram{}
	}
	for le, c := range o {
		(*h)[le] += c
	}
}

func (h histogram) count() float64 { return h[math.Inf(1)] }

// quantile estimates the q-quantile by linear interpolation within the
// bucket that holds it, as PromQL's histogram_quantile does; NaN when
// empty. An answer in the +Inf bucket is the largest finite bound.
func (h histogram) quantile(q float64) float64 {
	total := h.count()
	if total == 0 {
		return math.NaN()
	}
	bounds := make([]float64, 0, len(h))
	for le := range h {
		bounds = append(bounds, le)
	}
	sort.Float64s(bounds)
	rank := q * total
	lower, below := 0.0, 0.0
	for _, le := range bounds {
		c := h[le]
		if c >= rank {
			if math.IsInf(le, 1) {
				return lower
			}
			if c == below {
				return le
			}
			return lower + (le-lower)*(rank-below)/(c-below)
		}
		lower, below = le, c
	}
	return lower
}
