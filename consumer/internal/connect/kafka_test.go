package connect

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/config"
)

func TestKafkaPermanent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		err      error
		want     bool
	}{
		{scenario: "no error", err: nil, want: false},
		{scenario: "refused credentials", err: fmt.Errorf("dial: %w", kafka.SASLAuthenticationFailed), want: true},
		{scenario: "missing right", err: kafka.TopicAuthorizationFailed, want: true},
		{scenario: "leader moving", err: kafka.NotLeaderForPartition, want: false},
		{scenario: "unknown CA", err: fmt.Errorf("tls: %w", x509.UnknownAuthorityError{}), want: true},
		{scenario: "flattened certificate error", err: errors.New("remote error: tls: bad certificate"), want: true},
		{scenario: "connection reset", err: io.ErrUnexpectedEOF, want: false},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			if got := KafkaPermanent(tc.err); got != tc.want {
				t.Fatalf("KafkaPermanent(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestMissingTopics(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{}
	cfg.Kafka.DeadLetterTopic, cfg.Kafka.RefetchTopic, cfg.Kafka.ReconcileTopic = "dlq", "refetch", "reconcile"
	var got []string
	for _, tc := range missingTopics(cfg, map[string]int{"refetch": 3, "sfsync.account": 6}) {
		if tc.NumPartitions != 1 {
			t.Errorf("topic %s: %d partitions, want 1", tc.Topic, tc.NumPartitions)
		}
		got = append(got, tc.Topic)
	}
	if want := []string{"dlq", "reconcile"}; !slices.Equal(got, want) {
		t.Fatalf("missing topics %v, want %v", got, want)
	}
	if got := missingTopics(cfg, map[string]int{"dlq": 1, "refetch": 1, "reconcile": 1}); len(got) != 0 {
		t.Fatalf("missing topics %v with all present", got)
	}
}
