package dlq

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/consumer/internal/connect"
	"github.com/sfsync/sfsync/schemas/deadletter"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// DeadLetter is one record of the dead-letter topic, as the pipeline
// wrote it ([Record]).
type DeadLetter struct {
	Partition       int       `json:"partition"`
	Offset          int64     `json:"offset"`
	Time            time.Time `json:"time"`
	OriginTopic     string    `json:"origin_topic"`
	OriginPartition int       `json:"origin_partition"`
	OriginOffset    int64     `json:"origin_offset"`
	Reason          string    `json:"reason"`
	Group           string    `json:"group,omitempty"`
	// Entity, RecordID and ChangeType come from the value when it decodes
	// as an envelope; empty otherwise.
	Entity     string `json:"entity,omitempty"`
	RecordID   string `json:"record_id,omitempty"`
	ChangeType string `json:"change_type,omitempty"`
	// Replayed says whether a replay re-published it; false when
	// PostgreSQL could not be asked.
	Replayed bool `json:"replayed"`
	// HeaderError says which dead-letter headers are malformed; the
	// origin partition and offset are then unknown (printed as "?"), and
	// a replay leaves the dead letter alone.
	HeaderError string `json:"header_error,omitempty"`

	msg kafka.Message
	env *envelope.Envelope
	// originKnown is false when the origin partition or offset header is
	// missing or malformed.
	originKnown bool
}

// Origin returns where the record came from, "topic:partition:offset",
// the form --origin-offset takes; "topic:?:?" when the headers do not
// say.
func (d *DeadLetter) Origin() string {
	if !d.originKnown {
		return d.OriginTopic + ":?:?"
	}
	return key(d.OriginTopic, d.OriginPartition, d.OriginOffset)
}

// read reads the dead-letter topic's partitions from their
// first offset to their end at the time of the call, oldest first per
// partition, up to limit records (0: all).
func read(ctx context.Context, cfg *config.Config, limit int) ([]DeadLetter, error) {
	transport, err := cfg.Kafka.Transport()
	if err != nil {
		return nil, err
	}
	dialer, err := cfg.Kafka.Dialer()
	if err != nil {
		return nil, err
	}
	topic := cfg.Kafka.DeadLetterTopic
	client := connect.Client(cfg, transport)
	existing, _, err := connect.TopicPartitions(ctx, cfg, client)
	if err != nil {
		return nil, err
	}
	n, ok := existing[topic]
	if !ok {
		return nil, nil // created at the consumer's first start
	}
	reqs := make([]kafka.OffsetRequest, 0, 2*n)
	for p := range n {
		reqs = append(reqs, kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	resp, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("offsets of %s: %w", topic, err)
	}
	codec, err := cfg.SchemaRegistry.EnvelopeCodec()
	if err != nil {
		return nil, err
	}
	var out []DeadLetter
	for _, po := range resp.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("offsets of %s partition %d: %w", topic, po.Partition, po.Error)
		}
		if po.FirstOffset >= po.LastOffset {
			continue
		}
		got, err := readPartition(ctx, cfg, dialer, codec, po, limit-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// readPartition reads one partition from its first to its last offset,
// up to limit records (0 or less: all).
func readPartition(ctx context.Context, cfg *config.Config, dialer *kafka.Dialer, codec *envelope.Codec, po kafka.PartitionOffsets, limit int) ([]DeadLetter, error) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: cfg.Kafka.Brokers, Dialer: dialer, Topic: cfg.Kafka.DeadLetterTopic, Partition: po.Partition,
		MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 250 * time.Millisecond,
	})
	defer r.Close()
	if err := r.SetOffset(po.FirstOffset); err != nil {
		return nil, err
	}
	var out []DeadLetter
	for limit <= 0 || len(out) < limit {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read %s partition %d: %w", cfg.Kafka.DeadLetterTopic, po.Partition, err)
		}
		out = append(out, describe(m, codec))
		if m.Offset >= po.LastOffset-1 {
			break
		}
	}
	return out, nil
}

// describe describes m from its headers and, when it decodes, its
// envelope.
func describe(m kafka.Message, codec *envelope.Codec) DeadLetter {
	h, err := deadletter.Parse(m.Headers)
	d := DeadLetter{
		Partition: m.Partition, Offset: m.Offset, Time: m.Time, Reason: h.Reason, Group: h.Group,
		OriginTopic: h.OriginTopic, OriginPartition: h.OriginPartition, OriginOffset: h.OriginOffset, msg: m,
		originKnown: h.OriginPosition,
	}
	if err != nil {
		d.HeaderError = err.Error()
	}
	if !h.Time.IsZero() {
		d.Time = h.Time
	}
	if e, err := codec.Decode(m.Value); err == nil {
		d.env = e
		d.Entity, d.RecordID, d.ChangeType = e.Entity, e.RecordID, e.ChangeType.String()
	}
	return d
}
