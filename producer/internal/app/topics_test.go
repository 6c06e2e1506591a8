package app

import (
	"slices"
	"strconv"
	"testing"

	"github.com/sfsync/sfsync/platform/kafkaconf"
	"github.com/sfsync/sfsync/producer/internal/config"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// topicsConfig is a configuration whose mapping streams Account and
// Contact to their own topics, Case to Account's topic, and polls Task.
func topicsConfig() *config.Config {
	cfg := config.Default()
	cfg.Mapping = &mapping.Mapping{Objects: []*mapping.Object{
		{Name: "Account", Sync: mapping.SyncStream, Topic: "/data/AccountChangeEvent", KafkaTopic: "sfsync.account"},
		{Name: "Contact", Sync: mapping.SyncStream, Topic: "/data/ContactChangeEvent", KafkaTopic: "sfsync.contact"},
		{Name: "Case", Sync: mapping.SyncStream, Topic: "/data/CaseChangeEvent", KafkaTopic: "sfsync.account"},
		{Name: "Task", Sync: mapping.SyncPoll, KafkaTopic: "sfsync.task"},
	}}
	return &cfg
}

// TestPlanTopics: the dead-letter and reconcile topics are created when
// missing, the mapping's streamed topics only when asked, each once, and
// otherwise named in the error.
func TestPlanTopics(t *testing.T) {
	t.Parallel()
	cfg := topicsConfig()
	dlq, reconcile := cfg.Kafka.DeadLetterTopic, cfg.Replay.ReconcileTopic
	for _, tc := range []struct {
		scenario   string
		existing   []string
		partitions int
		want       []string // topic:partitions
		wantErr    string
	}{
		{scenario: "everything exists", existing: []string{dlq, reconcile, "sfsync.account", "sfsync.contact"}},
		{scenario: "producer's own topics missing", existing: []string{"sfsync.account", "sfsync.contact"},
			want: []string{dlq + ":1", reconcile + ":1"}},
		{scenario: "mapping's topics missing", existing: []string{dlq, reconcile},
			wantErr: "kafka topics missing: sfsync.account, sfsync.contact; create them with the partition counts you plan (e.g. kafka-topics.sh --create --topic sfsync.account --partitions 12), or pass --create-topics N for a local run"},
		{scenario: "mapping's topics created", existing: []string{reconcile, "sfsync.contact"}, partitions: 6,
			want: []string{dlq + ":1", "sfsync.account:6"}},
		{scenario: "nothing exists", partitions: 2,
			want: []string{dlq + ":1", reconcile + ":1", "sfsync.account:2", "sfsync.contact:2"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			existing := map[string]bool{}
			for _, e := range tc.existing {
				existing[e] = true
			}
			create, err := planTopics(cfg, existing, tc.partitions)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range create {
				got = append(got, c.Topic+":"+strconv.Itoa(c.NumPartitions))
				if c.ReplicationFactor != kafkaconf.ClusterReplication {
					t.Errorf("%s: replication %d, want the cluster's", c.Topic, c.ReplicationFactor)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("create %v, want %v", got, tc.want)
			}
		})
	}
}

// TestWrittenTopics: the dead-letter topic, then each streamed object's
// topic once, in mapping order; a polled object's topic is not written.
func TestWrittenTopics(t *testing.T) {
	t.Parallel()
	cfg := topicsConfig()
	want := []string{cfg.Kafka.DeadLetterTopic, "sfsync.account", "sfsync.contact"}
	if got := writtenTopics(cfg); !slices.Equal(got, want) {
		t.Errorf("writtenTopics = %v, want %v", got, want)
	}
}
