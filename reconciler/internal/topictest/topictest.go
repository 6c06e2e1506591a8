package topictest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// Read returns the records of every partition of topic up to the
// partition's end offset at the moment, by partition, in offset order.
// It fails t when Kafka at brokers cannot be read.
func Read(t testing.TB, brokers []string, topic string) map[int][]kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := &kafka.Client{Addr: kafka.TCP(brokers...)}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil || len(md.Topics) != 1 || md.Topics[0].Error != nil {
		t.Fatalf("metadata of %s: %v %+v", topic, err, md)
	}
	out := map[int][]kafka.Message{}
	for _, p := range md.Topics[0].Partitions {
		if msgs := readPartition(ctx, t, brokers[0], topic, p.ID); len(msgs) > 0 {
			out[p.ID] = msgs
		}
	}
	return out
}

// All returns the records [Read] returns, partition after partition in
// the order of their ids.
func All(t testing.TB, brokers []string, topic string) []kafka.Message {
	t.Helper()
	byPartition := Read(t, brokers, topic)
	ids := make([]int, 0, len(byPartition))
	for p := range byPartition {
		ids = append(ids, p)
	}
	slices.Sort(ids)
	var out []kafka.Message
	for _, p := range ids {
		out = append(out, byPartition[p]...)
	}
	return out
}

// readPartition returns the records of one partition up to its end
// offset at the moment.
func readPartition(ctx context.Context, t testing.TB, broker, topic string, partition int) []kafka.Message {
	t.Helper()
	conn, err := kafka.DialLeader(ctx, "tcp", broker, topic, partition)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	first, last, err := conn.ReadOffsets()
	if err != nil {
		t.Fatal(err)
	}
	var out []kafka.Message
	for off := first; off < last; {
		if _, err := conn.Seek(off, kafka.SeekAbsolute); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		b := conn.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: 10 << 20, MaxWait: time.Second})
		for {
			m, err := b.ReadMessage()
			if err != nil {
				break
			}
			off = m.Offset + 1
			if m.Offset < last {
				out = append(out, m)
			}
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
