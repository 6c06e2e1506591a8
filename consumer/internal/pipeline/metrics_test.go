package pipeline

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/sfsync/sfsync/schemas/envelope"
)

func TestPartitionMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.observeTopicPartitions(map[string]int{"accounts": 6, "contacts": 3})
	m.observeAssigned(map[string]int{"accounts": 4, "contacts": 0})
	// A later generation whose partition count was not read keeps the
	// last count.
	m.observeAssigned(map[string]int{"accounts": 2, "contacts": 3})
	m.observeTopicPartitions(map[string]int{})
	want := `
# HELP sfsync_consumer_partitions_assigned Partitions of the topic this replica owns in the current consumer group generation, by topic; summed over the group's replicas it equals sfsync_consumer_topic_partitions when every partition is owned.
# TYPE sfsync_consumer_partitions_assigned gauge
sfsync_consumer_partitions_assigned{topic="accounts"} 2
sfsync_consumer_partitions_assigned{topic="contacts"} 3
# HELP sfsync_consumer_topic_partitions Partitions the topic has, as Kafka reported at the start of the current consumer group generation, by topic.
# TYPE sfsync_consumer_topic_partitions gauge
sfsync_consumer_topic_partitions{topic="accounts"} 6
sfsync_consumer_topic_partitions{topic="contacts"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"sfsync_consumer_partitions_assigned", "sfsync_consumer_topic_partitions"); err != nil {
		t.Error(err)
	}
	var none *Metrics // records nothing
	none.observeAssigned(map[string]int{"accounts": 1})
	none.observeTopicPartitions(map[string]int{"accounts": 1})
}

// TestAppliedSeries checks that a corrective envelope's age goes to its
// own series, not to freshness, and that only changes count in the hops.
func TestAppliedSeries(t *testing.T) {
	t.Parallel()
	m := NewMetrics(prometheus.NewRegistry())
	commit := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	change := &envelope.Envelope{Entity: "Account", SourceChannel: "/data/AccountChangeEvent",
		CommitTimestamp: commit, ProducedAt: commit.Add(30 * time.Millisecond)}
	repair := &envelope.Envelope{Entity: "Account", SourceChannel: envelope.ReconcilerOrigin + "repair",
		CommitTimestamp: commit.Add(-time.Hour), ProducedAt: commit}
	fetched, now := commit.Add(50*time.Millisecond), commit.Add(60*time.Millisecond)
	m.observeApplied(change, fetched, true, now)
	m.observeApplied(repair, fetched, true, now)
	m.observeApplied(change, fetched, false, now)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"freshness count", histogramCount(t, m.freshness), 1},
		{"freshness sum", histogramSum(t, m.freshness), 0.06},
		{"repair age count", histogramCount(t, m.repairs), 1},
		{"repair age sum", histogramSum(t, m.repairs), 3600.06},
		{"producer_to_fetch count", histogramCount(t, m.hops.WithLabelValues("producer_to_fetch").(prometheus.Collector)), 2},
		{"producer_to_fetch sum", histogramSum(t, m.hops.WithLabelValues("producer_to_fetch").(prometheus.Collector)), 0.04},
		{"fetch_to_commit sum", histogramSum(t, m.hops.WithLabelValues("fetch_to_commit").(prometheus.Collector)), 0.02},
		{"changed", testutil.ToFloat64(m.applied.WithLabelValues("Account", "changed")), 2},
		{"unchanged", testutil.ToFloat64(m.applied.WithLabelValues("Account", "unchanged")), 1},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// histogramCount and histogramSum read the one histogram c collects.
func histogramCount(t *testing.T, c prometheus.Collector) float64 {
	return float64(histogramOf(t, c).GetSampleCount())
}

func histogramSum(t *testing.T, c prometheus.Collector) float64 {
	return histogramOf(t, c).GetSampleSum()
}

func histogramOf(t *testing.T, c prometheus.Collector) *dto.Histogram {
	t.Helper()
	ch := make(chan prometheus.Metric, 10)
	c.Collect(ch)
	close(ch)
	var hs []*dto.Histogram
	for metric := range ch {
		var pb dto.Metric
		if err := metric.Write(&pb); err != nil {
			t.Fatal(err)
		}
		hs = append(hs, pb.GetHistogram())
	}
	if len(hs) != 1 {
		t.Fatalf("%d histograms collected, want 1", len(hs))
	}
	return hs[0]
}
