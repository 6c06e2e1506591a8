package pipeline

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
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
