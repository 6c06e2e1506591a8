package harness

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestMetricValue(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "t_total", Help: "T."}, []string{"topic", "cause"})
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "t_gauge", Help: "G."}, []string{"topic"})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "t_seconds", Help: "H."})
	reg.MustRegister(c, g, h)
	c.WithLabelValues("a", "x").Add(1)
	c.WithLabelValues("a", "y").Add(2)
	c.WithLabelValues("b", "x").Add(4)
	g.WithLabelValues("a").Set(8)
	h.Observe(1)
	h.Observe(2)
	for _, tt := range []struct {
		scenario string
		name     string
		labels   []string
		want     float64
		series   int
	}{
		{scenario: "every series", name: "t_total", want: 7, series: 3},
		{scenario: "one label", name: "t_total", labels: []string{"topic", "a"}, want: 3, series: 2},
		{scenario: "two labels", name: "t_total", labels: []string{"topic", "a", "cause", "y"}, want: 2, series: 1},
		{scenario: "no series matches", name: "t_total", labels: []string{"topic", "c"}},
		{scenario: "gauge", name: "t_gauge", labels: []string{"topic", "a"}, want: 8, series: 1},
		{scenario: "histogram counts samples", name: "t_seconds", want: 2, series: 1},
		{scenario: "no family", name: "t_absent"},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			if got, series := MetricValue(t, reg, tt.name, tt.labels...); got != tt.want || series != tt.series {
				t.Fatalf("MetricValue = %v, %d series; want %v, %d", got, series, tt.want, tt.series)
			}
		})
	}
}
