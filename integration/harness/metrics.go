package harness

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// MetricValue reads the metric family name from g: the sum, over its
// series whose labels include every pair of labels (name, value, name,
// value, …), of counter and gauge values and histogram sample counts,
// and how many series matched. It fails the test when g fails.
func MetricValue(t testing.TB, g prometheus.Gatherer, name string, labels ...string) (sum float64, series int) {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, fam := range families {
		if fam.GetName() != name {
			continue
		}
		for _, m := range fam.GetMetric() {
			if hasLabels(m, labels) {
				series++
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum, series
}

// hasLabels reports whether m carries every pair of labels.
func hasLabels(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		has := false
		for _, l := range m.GetLabel() {
			has = has || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
		}
		if !has {
			return false
		}
	}
	return true
}
