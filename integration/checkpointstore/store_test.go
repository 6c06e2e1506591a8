package checkpointstore_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/platform/checkpointstore"
	"github.com/sfsync/sfsync/schemas/checkpoint"
)

// TestMain removes the containers the harness started for these tests.
func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

const org = "00D000000000001AAA"

// newStore returns a store on a checkpoint topic unique to t, created by
// EnsureTopic and deleted when t ends.
func newStore(t *testing.T, k *harness.Kafka, topic string, partitions int) *checkpointstore.Store {
	t.Helper()
	s, err := checkpointstore.New(checkpointstore.Config{Brokers: k.Brokers, Topic: topic, Partitions: partitions})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		k.Client().DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{topic}})
	})
	return s
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// ensured returns a store on a new checkpoint topic unique to t, and a
// context for the test.
func ensured(t *testing.T) (*checkpointstore.Store, context.Context) {
	t.Helper()
	k := harness.NewKafka(t)
	ctx := testContext(t)
	s := newStore(t, k, k.TopicName("checkpoints"), 0)
	if err := s.EnsureTopic(ctx); err != nil {
		t.Fatalf("EnsureTopic: %v", err)
	}
	return s, ctx
}

func cp(subscription string, replay uint64) checkpoint.Checkpoint {
	return checkpoint.Checkpoint{
		OrgID:        org,
		Subscription: subscription,
		ReplayID:     binary.BigEndian.AppendUint64(nil, replay),
		UpdatedAt:    time.UnixMilli(1_767_225_600_000 + int64(replay)).UTC(),
		ProducerID:   "producer-test",
	}
}

func sameCheckpoint(a, b checkpoint.Checkpoint) bool {
	return a.OrgID == b.OrgID && a.Subscription == b.Subscription && bytes.Equal(a.ReplayID, b.ReplayID) &&
		a.UpdatedAt.Equal(b.UpdatedAt) && a.ProducerID == b.ProducerID &&
		a.GapSuspected == b.GapSuspected && a.GapReason == b.GapReason
}

func checkLoad(t *testing.T, ctx context.Context, s *checkpointstore.Store, want ...checkpoint.Checkpoint) {
	t.Helper()
	got, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(got) != len(want) {
		t.Errorf("Load returned %d checkpoints, want %d: %v", len(got), len(want), got)
	}
	for _, w := range want {
		if g, ok := got[w.Key()]; !ok || !sameCheckpoint(g, w) {
			t.Errorf("checkpoint %s:\n got %+v (present %v)\nwant %+v", w.Key(), g, ok, w)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	t.Parallel()
	gap := cp("/data/Territory2ChangeEvent", 5)
	gap.GapSuspected, gap.GapReason = true, "stored replay id expired; resumed from EARLIEST"
	tests := []struct {
		scenario string
		saves    []checkpoint.Checkpoint
		want     []checkpoint.Checkpoint
	}{
		{"nothing saved", nil, nil},
		{"one subscription", []checkpoint.Checkpoint{cp("/data/AccountChangeEvent", 1)}, []checkpoint.Checkpoint{cp("/data/AccountChangeEvent", 1)}},
		{
			"several subscriptions",
			[]checkpoint.Checkpoint{cp("/data/AccountChangeEvent", 1), cp("/data/UserTerritory2AssociationChangeEvent", 2), gap, cp("/event/Territory_Change__e", 3)},
			[]checkpoint.Checkpoint{cp("/data/AccountChangeEvent", 1), cp("/data/UserTerritory2AssociationChangeEvent", 2), gap, cp("/event/Territory_Change__e", 3)},
		},
		{
			"newest wins",
			[]checkpoint.Checkpoint{cp("/data/AccountChangeEvent", 1), cp("/data/ChangeEvents", 7), cp("/data/AccountChangeEvent", 9), cp("/data/AccountChangeEvent", 4)},
			[]checkpoint.Checkpoint{cp("/data/AccountChangeEvent", 4), cp("/data/ChangeEvents", 7)},
		},
		{
			"same subscription in two orgs",
			[]checkpoint.Checkpoint{cp("/data/AccountChangeEvent", 1), func() checkpoint.Checkpoint {
				c := cp("/data/AccountChangeEvent", 2)
				c.OrgID = "00D000000000002AAA"
				return c
			}()},
			[]checkpoint.Checkpoint{cp("/data/AccountChangeEvent", 1), func() checkpoint.Checkpoint {
				c := cp("/data/AccountChangeEvent", 2)
				c.OrgID = "00D000000000002AAA"
				return c
			}()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			s, ctx := ensured(t)
			for _, c := range tt.saves {
				if err := s.Save(ctx, c); err != nil {
					t.Fatalf("Save %s: %v", c.Key(), err)
				}
			}
			checkLoad(t, ctx, s, tt.want...)
			// A second store on the same topic, as after a restart, sees the same.
			again, err := checkpointstore.New(checkpointstore.Config{Brokers: harness.NewKafka(t).Brokers, Topic: s.Topic()})
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			checkLoad(t, ctx, again, tt.want...)
		})
	}
}

func TestLoadAfterManySaves(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	s := newStore(t, k, k.TopicName("checkpoints"), 3) // keys spread over partitions
	ctx := testContext(t)
	if err := s.EnsureTopic(ctx); err != nil {
		t.Fatal(err)
	}
	subs := []string{"/data/AccountChangeEvent", "/data/Territory2ChangeEvent", "/data/UserTerritory2AssociationChangeEvent", "/data/ObjectTerritory2AssociationChangeEvent", "/event/Territory_Change__e"}
	const rounds = 60
	var wg sync.WaitGroup
	for _, sub := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range uint64(rounds) {
				if err := s.Save(ctx, cp(sub, i+1)); err != nil {
					t.Errorf("Save %s #%d: %v", sub, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var want []checkpoint.Checkpoint
	for _, sub := range subs {
		want = append(want, cp(sub, rounds))
	}
	checkLoad(t, ctx, s, want...)
}

func TestDeleteWritesTombstone(t *testing.T) {
	t.Parallel()
	s, ctx := ensured(t)
	for _, c := range []checkpoint.Checkpoint{cp("/data/AccountChangeEvent", 1), cp("/data/ChangeEvents", 2)} {
		if err := s.Save(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, org, "/data/AccountChangeEvent"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	checkLoad(t, ctx, s, cp("/data/ChangeEvents", 2))
	if err := s.Save(ctx, cp("/data/AccountChangeEvent", 3)); err != nil {
		t.Fatal(err)
	}
	checkLoad(t, ctx, s, cp("/data/ChangeEvents", 2), cp("/data/AccountChangeEvent", 3))
}

func TestEnsureTopic(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	ctx := testContext(t)
	s := newStore(t, k, k.TopicName("created"), 0)
	// The default replication factor is the cluster's.
	for i := range 2 { // creating, then finding it
		if err := s.EnsureTopic(ctx); err != nil {
			t.Fatalf("EnsureTopic #%d: %v", i+1, err)
		}
	}
	resp, err := k.Client().DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{
		Resources: []kafka.DescribeConfigRequestResource{{
			ResourceType: kafka.ResourceTypeTopic,
			ResourceName: s.Topic(),
			ConfigNames:  []string{"cleanup.policy", "min.cleanable.dirty.ratio", "segment.ms"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range resp.Resources {
		for _, e := range r.ConfigEntries {
			got[e.ConfigName] = e.ConfigValue
		}
	}
	want := map[string]string{"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1", "segment.ms": "3600000"}
	for name, value := range want {
		if got[name] != value {
			t.Errorf("%s = %q, want %q", name, got[name], value)
		}
	}
	if err := s.Save(ctx, cp("/data/AccountChangeEvent", 1)); err != nil {
		t.Fatalf("Save right after creation: %v", err)
	}
}

func TestEnsureTopicRefusesDeletePolicy(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	ctx := testContext(t)
	topic := k.Topic("plain", 1) // cleanup.policy=delete, the broker default
	s, err := checkpointstore.New(checkpointstore.Config{Brokers: k.Brokers, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.EnsureTopic(ctx)
	if !errors.Is(err, checkpointstore.ErrNotCompacted) || !strings.Contains(err.Error(), topic) || !strings.Contains(err.Error(), `"delete"`) {
		t.Errorf("EnsureTopic error = %v, want checkpointstore.ErrNotCompacted naming %s and its policy", err, topic)
	}
}

func TestLoadRefusesCorruptRecords(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	codec, err := checkpoint.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	good := cp("/data/AccountChangeEvent", 1)
	frame, err := codec.Encode(nil, good)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		scenario string
		record   kafka.Message
		says     string
	}{
		{"garbage value", kafka.Message{Key: []byte(good.Key()), Value: []byte("not a checkpoint")}, "bad frame"},
		{"truncated frame", kafka.Message{Key: []byte(good.Key()), Value: frame[:len(frame)-2]}, "bad frame"},
		{"unknown schema", kafka.Message{Key: []byte(good.Key()), Value: append([]byte{0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8}, frame[10:]...)}, "unknown schema"},
		{"wrong key", kafka.Message{Key: []byte(org + "|/data/ChangeEvents"), Value: frame}, "holds the checkpoint of"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			s, ctx := ensured(t)
			if err := s.Save(ctx, good); err != nil {
				t.Fatal(err)
			}
			w := &kafka.Writer{Addr: kafka.TCP(k.Brokers...), Topic: s.Topic(), RequiredAcks: kafka.RequireAll, BatchSize: 1}
			defer w.Close()
			if err := w.WriteMessages(ctx, tt.record); err != nil {
				t.Fatal(err)
			}
			_, err := s.Load(ctx)
			want := fmt.Sprintf("%s partition 0 offset 1", s.Topic())
			if !errors.Is(err, checkpointstore.ErrCorrupt) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("Load error = %v, want checkpointstore.ErrCorrupt naming %q and saying %q", err, want, tt.says)
			}
		})
	}
}

func TestLoadMissingTopic(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	s := newStore(t, k, k.TopicName("never-created"), 0)
	_, err := s.Load(testContext(t))
	if !errors.Is(err, kafka.UnknownTopicOrPartition) || !strings.Contains(err.Error(), s.Topic()) {
		t.Errorf("Load error = %v, want UnknownTopicOrPartition naming the topic", err)
	}
}
