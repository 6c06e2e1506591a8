package publish

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/platform/kafkaconf"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// Version is the order the consumer gives a corrective envelope among a
// record's changes: it wins over every change older than it and loses to
// every newer one.
type Version struct {
	Commit int64
	Seq    int32
}

// DefaultMaxDeletes is the default cap on the DELETE envelopes one pass
// over an object may publish (a verify's repair, a poll's hard-delete
// check). A pass that would publish more publishes none of them: a
// listing cut short or a sharing change that hides records looks like a
// mass delete, and a real one is rare enough to be applied by hand.
const DefaultMaxDeletes = 100

// BaseVersion stamps backfill snapshots: older than every streamed
// change, so the stream, which resumes from a position recorded before
// the snapshot, overrides them wherever it says more.
var BaseVersion = Version{Commit: 0, Seq: 1}

// Writer writes Kafka records; *kafka.Writer is one.
type Writer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Publisher encodes and writes corrective envelopes. It is safe for
// concurrent use when its Writer is.
type Publisher struct {
	// OnTooLarge, when set, is told of each change whose envelope (of
	// bytes bytes) Kafka refuses as larger than its topic takes even
	// alone; the change is skipped. Unset, such changes are logged with
	// slog's default logger.
	OnTooLarge func(c Change, bytes int)

	w      Writer
	codec  *envelope.Codec
	orgID  string
	origin string
	// run tells this Publisher's event ids from another's, so that the
	// consumer's duplicate filter never takes a later run's envelope
	// (a second backfill, a repeated repair) for one it has seen.
	run string
	now func() time.Time
}

// New returns a Publisher writing through w. origin names the run in
// event ids and the source channel (e.g. "reconciler/verify"), orgID is
// the Salesforce org.
func New(w Writer, codec *envelope.Codec, orgID, origin string) *Publisher {
	return &Publisher{w: w, codec: codec, orgID: orgID, origin: origin, now: time.Now,
		run: strconv.FormatInt(time.Now().UnixNano(), 36)}
}

// NewWriter returns the Kafka writer the publisher should use: acks from
// every in-sync replica and the producer's partitioner (murmur2, as Java
// clients), so that corrective envelopes land on the partition of the
// record's other changes.
func NewWriter(brokers []string, transport kafka.RoundTripper) *kafka.Writer {
	return &kafka.Writer{
		Addr: kafka.TCP(brokers...), Transport: transport,
		Balancer:     kafka.Murmur2Balancer{Consistent: true},
		RequiredAcks: kafka.RequireAll, BatchSize: 500, BatchTimeout: 5 * time.Millisecond,
	}
}

// Change is one corrective envelope to publish.
type Change struct {
	Object *mapping.Object
	// RecordID is the record's id.
	RecordID string
	// Type is envelope.ChangeSnapshot or envelope.ChangeDelete.
	Type envelope.ChangeType
	// Values is the full state of a SNAPSHOT: every mapped field but the
	// key, NULL included.
	Values map[string]envelope.Value
	// PartitionKey keys the record; "" keys it by the partition key field
	// of Values, else by the record id.
	PartitionKey string
	// Version orders the envelope among the record's changes.
	Version Version
	// Modstamp is the record's SystemModstamp, the envelope's commit time.
	Modstamp time.Time
}

// Publish writes changes and returns once Kafka holds them all.
func (p *Publisher) Publish(ctx context.Context, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	msgs := make([]kafka.Message, 0, len(changes))
	now := p.now()
	for _, c := range changes {
		e := p.envelope(c, now)
		value, err := p.codec.EncodeTo(nil, c.Object.KafkaTopic, &e)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", c.Object.Name, c.RecordID, err)
		}
		msgs = append(msgs, kafka.Message{
			Topic: c.Object.KafkaTopic, Key: []byte(e.PartitionKey), Value: value,
			Headers: []kafka.Header{{Key: "sfsync-change-type", Value: []byte(e.ChangeType.String())}},
		})
	}
	err := p.w.WriteMessages(ctx, msgs...)
	if kafkaconf.TooLarge(err) {
		return p.publishTooLarge(ctx, changes, msgs, err)
	}
	if err != nil {
		return fmt.Errorf("publish %d corrective envelopes: %w", len(msgs), err)
	}
	return nil
}

// publishTooLarge writes again, one at a time, the envelopes a write
// refused with err as too large, as a batch can be too large for its
// topic where each envelope fits. An envelope Kafka refuses alone is
// skipped and reported to OnTooLarge: retrying it would fail the same way
// for ever, and hold up every repair after it.
func (p *Publisher) publishTooLarge(ctx context.Context, changes []Change, msgs []kafka.Message, err error) error {
	return kafkaconf.WriteEach(ctx, p.w, msgs, err, func(i int, err error) error {
		switch {
		case kafkaconf.TooLarge(err):
			p.tooLarge(changes[i], len(msgs[i].Value))
		case err != nil:
			return fmt.Errorf("publish the corrective envelope of %s %s: %w", changes[i].Object.Name, changes[i].RecordID, err)
		}
		return nil
	})
}

// tooLarge reports a skipped envelope to OnTooLarge, or logs it.
func (p *Publisher) tooLarge(c Change, bytes int) {
	if p.OnTooLarge != nil {
		p.OnTooLarge(c, bytes)
		return
	}
	slog.Error("corrective envelope larger than Kafka takes; skipped", "object", c.Object.Name, "record", c.RecordID, "topic", c.Object.KafkaTopic, "bytes", bytes)
}

func (p *Publisher) envelope(c Change, now time.Time) envelope.Envelope {
	e := envelope.Envelope{
		EventID:         fmt.Sprintf("%s/%s/%d.%d", p.origin, p.run, c.Version.Commit, c.Version.Seq),
		OrgID:           p.orgID,
		SourceChannel:   p.origin,
		Entity:          c.Object.Name,
		RecordID:        c.RecordID,
		ChangeType:      c.Type,
		CommitTimestamp: c.Modstamp,
		CommitNumber:    c.Version.Commit,
		SequenceNumber:  c.Version.Seq,
		ProducedAt:      now,
		PartitionKey:    c.PartitionKey,
	}
	if c.Type == envelope.ChangeSnapshot {
		e.Values = make(map[string]envelope.Value, len(c.Values)+1)
		for k, v := range c.Values {
			e.Values[k] = v
			e.ChangedFields = append(e.ChangedFields, k)
		}
		e.Values[c.Object.Key] = envelope.StringValue(c.RecordID)
	}
	if e.PartitionKey == "" {
		e.PartitionKey = c.RecordID
		if c.Object.PartitionKey != c.Object.Key {
			if s, ok := c.Values[c.Object.PartitionKey].AsString(); ok && s != "" {
				e.PartitionKey = s
			}
		}
	}
	return e
}
