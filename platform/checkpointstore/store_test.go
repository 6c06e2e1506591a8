package checkpointstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/schemas/checkpoint"
)

// The tests against a Kafka broker are in the integration module
// (integration/checkpointstore), whose harness provides the broker: this
// module cannot require that one, which requires it.

func TestSaveRefusesInvalid(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Brokers: []string{"127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bad := checkpoint.Checkpoint{OrgID: "00D000000000001AAA", Subscription: "/data/AccountChangeEvent", UpdatedAt: time.Now()} // no replay id
	if err := s.Save(context.Background(), bad); !errors.Is(err, checkpoint.ErrInvalid) {
		t.Errorf("Save error = %v, want checkpoint.ErrInvalid", err)
	}
}

func TestStoreConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		cfg      Config
		want     string
	}{
		{"no brokers", Config{}, "no brokers"},
		{"negative partitions", Config{Brokers: []string{"b:9092"}, Partitions: -1}, "partitions -1"},
		{"negative replication", Config{Brokers: []string{"b:9092"}, ReplicationFactor: -1}, "replication factor -1"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			if _, err := New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New error = %v, want %q", err, tt.want)
			}
		})
	}
	s, err := New(Config{Brokers: []string{"b:9092"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Topic() != checkpoint.DefaultTopic || s.cfg.Partitions != 1 || s.cfg.ReplicationFactor != 0 {
		t.Errorf("defaults: topic %s, partitions %d, replication %d", s.Topic(), s.cfg.Partitions, s.cfg.ReplicationFactor)
	}
}

func TestRetryTemporary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	calls := 0
	got, err := retryTemporary(ctx, 5, func(context.Context) (int, error) {
		if calls++; calls < 3 {
			return 0, fmt.Errorf("list offsets: %w", kafka.NotLeaderForPartition)
		}
		return 42, nil
	})
	if got != 42 || err != nil || calls != 3 {
		t.Fatalf("a leader elected late: got %d, %v after %d calls; want 42 after 3", got, err, calls)
	}

	calls = 0
	_, err = retryTemporary(ctx, 5, func(context.Context) (int, error) { calls++; return 0, ErrCorrupt })
	if !errors.Is(err, ErrCorrupt) || calls != 1 {
		t.Fatalf("a permanent error: %v after %d calls; want it at once", err, calls)
	}

	calls = 0
	_, err = retryTemporary(ctx, 3, func(context.Context) (int, error) { calls++; return 0, kafka.LeaderNotAvailable })
	if !errors.Is(err, kafka.LeaderNotAvailable) || calls != 3 {
		t.Fatalf("a temporary error that lasts: %v after %d calls; want it after 3", err, calls)
	}
}
