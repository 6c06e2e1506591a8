package metric_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sfsync/sfsync/platform/metric"
)

// TestCollectors registers one collector of each kind, records into it
// and reads the exposition back: names, help, labels and buckets.
func TestCollectors(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	c := metric.Counter("t_plain_total", "Plain.")
	cv := metric.CounterVec("t_labelled_total", "Labelled.", "topic", "reason")
	g := metric.GaugeVec("t_gauge", "Gauge.", "topic")
	h := metric.Histogram("t_hist_seconds", "Hist.", []float64{1, 2})
	hv := metric.HistogramVec("t_histvec_seconds", "HistVec.", nil, "entity")
	reg.MustRegister(c, cv, g, h, hv)
	c.Inc()
	cv.WithLabelValues("a", "b").Add(2)
	g.WithLabelValues("a").Set(3)
	h.Observe(1.5)
	hv.WithLabelValues("e").Observe(0.1)
	want := `
# HELP t_gauge Gauge.
# TYPE t_gauge gauge
t_gauge{topic="a"} 3
# HELP t_hist_seconds Hist.
# TYPE t_hist_seconds histogram
t_hist_seconds_bucket{le="1"} 0
t_hist_seconds_bucket{le="2"} 1
t_hist_seconds_bucket{le="+Inf"} 1
t_hist_seconds_sum 1.5
t_hist_seconds_count 1
# HELP t_labelled_total Labelled.
# TYPE t_labelled_total counter
t_labelled_total{reason="b",topic="a"} 2
# HELP t_plain_total Plain.
# TYPE t_plain_total counter
t_plain_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "t_gauge", "t_hist_seconds", "t_labelled_total", "t_plain_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(hv); n != 1 {
		t.Fatalf("HistogramVec has %d series, want 1", n)
	}
}
