package compact

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// Source says where [ReadAll] finds the latest-state topics.
type Source struct {
	// Brokers are the Kafka bootstrap addresses. Required.
	Brokers []string
	// Dialer connects to the brokers. Default: kafka.DefaultDialer.
	Dialer *kafka.Dialer
	// Codec decodes the envelopes. Required.
	Codec *envelope.Codec
	// Suffix names the latest-state topics (see [TopicName]). Default:
	// [DefaultSuffix].
	Suffix string
}

// ReadAll reads obj's latest-state topic from the beginning to the end
// offsets it has when ReadAll starts and returns the latest state of each
// live record of obj: record id to every mapped field's value, the key
// included. Records whose latest entry is a tombstone are left out, and
// so are the records of other objects sharing the topic.
func ReadAll(ctx context.Context, src Source, obj *mapping.Object) (map[string]map[string]envelope.Value, error) {
	if len(src.Brokers) == 0 || src.Codec == nil {
		return nil, errors.New("compact: read needs brokers and a codec")
	}
	dialer := src.Dialer
	if dialer == nil {
		dialer = kafka.DefaultDialer
	}
	topic := TopicName(obj, src.Suffix)
	var parts []kafka.Partition
	var err error
	for _, b := range src.Brokers {
		if parts, err = dialer.LookupPartitions(ctx, "tcp", b, topic); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("compact: partitions of %s: %w", topic, err)
	}
	out := map[string]map[string]envelope.Value{}
	for _, p := range parts {
		if err := readPartition(ctx, dialer, src, topic, p.ID, obj, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readPartition applies the records of one partition, in offset order,
// to out.
func readPartition(ctx context.Context, dialer *kafka.Dialer, src Source, topic string, partition int, obj *mapping.Object, out map[string]map[string]envelope.Value) error {
	var conn *kafka.Conn
	var err error
	for _, b := range src.Brokers {
		if conn, err = dialer.DialLeader(ctx, "tcp", b, topic, partition); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("compact: leader of %s/%d: %w", topic, partition, err)
	}
	defer conn.Close()
	first, last, err := conn.ReadOffsets()
	if err != nil {
		return fmt.Errorf("compact: offsets of %s/%d: %w", topic, partition, err)
	}
	for off := first; off < last; {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := conn.Seek(off, kafka.SeekAbsolute); err != nil {
			return fmt.Errorf("compact: seek %s/%d: %w", topic, partition, err)
		}
		deadline := time.Now().Add(30 * time.Second)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		_ = conn.SetReadDeadline(deadline)
		batch := conn.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 500 * time.Millisecond})
		read := 0
		for {
			m, err := batch.ReadMessage()
			if err != nil {
				break
			}
			off = m.Offset + 1
			if m.Offset >= last {
				continue
			}
			read++
			id := string(m.Key)
			if m.Value == nil {
				delete(out, id)
				continue
			}
			e, err := src.Codec.Decode(m.Value)
			if err != nil {
				_ = batch.Close()
				return fmt.Errorf("compact: %s/%d offset %d: %w", topic, partition, m.Offset, err)
			}
			if e.Entity != obj.Name {
				delete(out, id)
				continue
			}
			out[id] = e.Values
		}
		if err := batch.Close(); err != nil {
			return fmt.Errorf("compact: read %s/%d: %w", topic, partition, err)
		}
		if read == 0 {
			// Compaction removed every record between off and last.
			break
		}
	}
	return nil
}
