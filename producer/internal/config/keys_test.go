package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig"
	"github.com/sfsync/sfsync/schemas/svcconfig/svcconfigtest"
)

func TestPartitionKeyCache(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		yaml     string
		env      map[string]string
		want     int
		problem  string
	}{
		{scenario: "default", yaml: base, want: DefaultPartitionKeyCache},
		{scenario: "zero takes the default", yaml: base + "partition_key_cache: 0\n", want: DefaultPartitionKeyCache},
		{scenario: "file", yaml: base + "partition_key_cache: 250_000\n", want: 250_000},
		{scenario: "env", yaml: base, env: map[string]string{"SFSYNC_PRODUCER_PARTITION_KEY_CACHE": "5000"}, want: 5000},
		{scenario: "negative", yaml: base + "partition_key_cache: -1\n", problem: ":8: partition_key_cache: must be >= 1, got -1"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			c := loadCase(t, tc.yaml, tc.env, tc.problem)
			if c != nil && c.PartitionKeyCache != tc.want {
				t.Errorf("partition_key_cache %d, want %d", c.PartitionKeyCache, tc.want)
			}
		})
	}
}

func TestDeadLetterReplayedTopic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		yaml     string
		env      map[string]string
		want     string
		problem  string
	}{
		{scenario: "default", yaml: base, want: DefaultDeadLetterTopic + ".replayed"},
		{scenario: "follows the dead-letter topic", yaml: base + "  dead_letter_topic: team.dlq\n", want: "team.dlq.replayed"},
		{scenario: "file", yaml: base + "  dead_letter_replayed_topic: team.replays\n", want: "team.replays"},
		{scenario: "env", yaml: base, env: map[string]string{"SFSYNC_PRODUCER_KAFKA_DEAD_LETTER_REPLAYED_TOPIC": "env.replays"}, want: "env.replays"},
		{scenario: "same as the dead-letter topic", yaml: base + "  dead_letter_replayed_topic: sfsync.producer.dead-letter\n",
			problem: `kafka.dead_letter_replayed_topic: "sfsync.producer.dead-letter" is already kafka.dead_letter_topic`},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			c := loadCase(t, tc.yaml, tc.env, tc.problem)
			if c != nil && c.Kafka.DeadLetterReplayedTopic != tc.want {
				t.Errorf("dead_letter_replayed_topic %q, want %q", c.Kafka.DeadLetterReplayedTopic, tc.want)
			}
		})
	}
}

// loadCase loads the configuration text with the environment vars. With
// problem set, loading must fail with a problem ending in it, and
// loadCase returns nil.
func loadCase(t *testing.T, text string, vars map[string]string, problem string) *Config {
	t.Helper()
	path, _ := suite.Fixture(t, text)
	c, err := Load(path, svcconfigtest.Env(vars))
	if problem != "" {
		if !errors.Is(err, svcconfig.ErrInvalid) || !strings.HasSuffix(err.Error(), problem) {
			t.Fatalf("got %v, want a problem ending %q", err, problem)
		}
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}
