package topictest_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/reconciler/internal/topictest"
)

// TestMain removes the containers the harness started for these tests.
func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

func TestRead(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	topic := k.Topic("read", 3)
	w := &kafka.Writer{Addr: kafka.TCP(k.Brokers...), Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var sent []kafka.Message
	for _, key := range []string{"a", "b", "c", "a", "d"} {
		sent = append(sent, kafka.Message{Topic: topic, Key: []byte(key), Value: []byte(key + "-value")})
	}
	if err := w.WriteMessages(ctx, sent...); err != nil {
		t.Fatal(err)
	}
	byPartition := topictest.Read(t, k.Brokers, topic)
	n := 0
	for p, msgs := range byPartition {
		for i, m := range msgs {
			if m.Partition != p || i > 0 && m.Offset <= msgs[i-1].Offset {
				t.Errorf("partition %d: record %d at %d/%d, out of place", p, i, m.Partition, m.Offset)
			}
			if string(m.Value) != string(m.Key)+"-value" {
				t.Errorf("record %q = %q", m.Key, m.Value)
			}
			n++
		}
	}
	if n != len(sent) {
		t.Errorf("Read returned %d records, want %d", n, len(sent))
	}
	all := topictest.All(t, k.Brokers, topic)
	if len(all) != len(sent) {
		t.Fatalf("All returned %d records, want %d", len(all), len(sent))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Partition < all[i-1].Partition {
			t.Errorf("All: partition %d after %d", all[i].Partition, all[i-1].Partition)
		}
	}
}
