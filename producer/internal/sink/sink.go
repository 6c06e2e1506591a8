package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/producer/internal/replay"
	"github.com/sfsync/sfsync/schemas/deadletter"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// Config configures a [Sink].
type Config struct {
	// Brokers are the bootstrap addresses. Required.
	Brokers []string
	// Transport carries TLS and SASL settings; nil uses kafka-go's default
	// plaintext transport.
	Transport *kafka.Transport
	// MaxInFlight bounds the records written and not yet acknowledged;
	// the default is 10,000.
	MaxInFlight int
	// BatchSize is the most records per produce request to one partition;
	// the default is 500.
	BatchSize int
	// BatchTimeout is how long a partial batch waits for more records;
	// the default is 5 ms, as freshness matters more than batch size.
	BatchTimeout time.Duration
	// MaxAttempts is how many times a batch is tried before its records
	// fail; the default is 10 (about 10 s of retries).
	MaxAttempts int
	// Limits holds, per Kafka topic, the largest record batch in bytes
	// the topic takes (its max.message.bytes; see [ReadLimits]). A
	// topic not in it takes DefaultLimit.
	Limits map[string]int
	// DefaultLimit is the limit of the topics Limits does not name; the
	// default is 1 MiB, Kafka's default message.max.bytes rounded down.
	DefaultLimit int
	// Codec encodes envelopes; the default writes the current envelope
	// schema.
	Codec *envelope.Codec
	// Logger receives the writer's errors; the default discards them.
	Logger *slog.Logger
}

// Sink writes envelopes to Kafka. It is safe for concurrent use.
type Sink struct {
	// writers holds one writer per distinct topic limit, keyed by the
	// limit, each with batches that fit it (see batchBytes).
	writers      map[int]*kafka.Writer
	limits       map[string]int
	defaultLimit int
	codec        *envelope.Codec
	inflight     chan struct{}
}

// DefaultLimit is the size limit assumed for a topic whose own is not
// known: 1 MiB, Kafka's default message.max.bytes (1,048,588) rounded
// down.
const DefaultLimit = 1 << 20

// batchOverhead is what a limit keeps back from the records of a batch:
// Kafka checks max.message.bytes against the whole record batch, whose
// header takes 61 bytes, and kafka-go counts a record's size with fixed
// widths where the wire has varints that, for a timestamp delta, can be
// a few bytes wider; 128 bytes cover both.
const batchOverhead = 128

// TooLargeError is returned by [Sink.Write] for an envelope whose record
// is larger than its topic takes. Nothing of the call was written.
type TooLargeError struct {
	// Topic is the Kafka topic, Index the envelope's index in the call.
	Topic string
	Index int
	// Size is the record's size and Limit the topic's, in bytes.
	Size, Limit int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("record of %d bytes is over the %d bytes Kafka topic %s takes (max.message.bytes)", e.Size, e.Limit, e.Topic)
}

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("sink closed")

// New returns a Sink writing to cfg.Brokers.
func New(cfg Config) (*Sink, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("sink: no Kafka brokers")
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 10_000
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.BatchTimeout <= 0 {
		cfg.BatchTimeout = 5 * time.Millisecond
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.Codec == nil {
		c, err := envelope.NewCodec()
		if err != nil {
			return nil, fmt.Errorf("sink: %w", err)
		}
		cfg.Codec = c
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DefaultLimit <= 0 {
		cfg.DefaultLimit = DefaultLimit
	}
	s := &Sink{
		writers: map[int]*kafka.Writer{}, limits: map[string]int{}, defaultLimit: cfg.DefaultLimit,
		codec: cfg.Codec, inflight: make(chan struct{}, cfg.MaxInFlight),
	}
	for topic, limit := range cfg.Limits {
		if limit > batchOverhead {
			s.limits[topic] = limit
		}
	}
	for _, limit := range append(slices.Collect(maps.Values(s.limits)), s.defaultLimit) {
		if s.writers[limit] != nil {
			continue
		}
		w := &kafka.Writer{
			Addr:         kafka.TCP(cfg.Brokers...),
			Balancer:     kafka.Murmur2Balancer{Consistent: true},
			RequiredAcks: kafka.RequireAll,
			Async:        true,
			Completion:   s.completion,
			BatchSize:    cfg.BatchSize,
			BatchBytes:   int64(batchBytes(limit)),
			BatchTimeout: cfg.BatchTimeout,
			MaxAttempts:  cfg.MaxAttempts,
			ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
				cfg.Logger.Warn("kafka writer: " + fmt.Sprintf(msg, args...))
			}),
		}
		if cfg.Transport != nil {
			w.Transport = cfg.Transport
		}
		s.writers[limit] = w
	}
	return s, nil
}

// batchBytes is the most bytes of records, as kafka-go counts them, that
// a batch to a topic of that limit may hold.
func batchBytes(limit int) int { return max(limit-batchOverhead, 1) }

// Limit returns the size limit of topic: its own, or the default.
func (s *Sink) Limit(topic string) int {
	if l, ok := s.limits[topic]; ok {
		return l
	}
	return s.defaultLimit
}

// recordSize is the size of msg as kafka-go counts it against a
// writer's BatchBytes: fixed widths for the record's own fields, and the
// headers as on the wire.
func recordSize(msg *kafka.Message) int {
	n := 4 + 1 + 1 + 4 + len(msg.Key) + 4 + len(msg.Value) + 8 + varintLen(len(msg.Headers))
	for _, h := range msg.Headers {
		n += varintLen(len(h.Key)) + len(h.Key) + varintLen(len(h.Value)) + len(h.Value)
	}
	return n
}

// varintLen is the length of n as a zig-zag varint.
func varintLen(n int) int {
	u := uint64(n) << 1
	l := 1
	for u >= 0x80 {
		u >>= 7
		l++
	}
	return l
}

// fits returns a *TooLargeError when msg is too large for its topic.
func (s *Sink) fits(msg *kafka.Message, index int) error {
	limit := s.Limit(msg.Topic)
	if size := recordSize(msg); size > batchBytes(limit) {
		return &TooLargeError{Topic: msg.Topic, Index: index, Size: size + batchOverhead, Limit: limit}
	}
	return nil
}

// Ack is the outcome of one record written by [Sink.Write] or
// [Sink.WriteDeadLetter]: Kafka acknowledged it (Err nil), or the writer
// gave up on it.
type Ack struct {
	// Ticket is the one the record was written with.
	Ticket replay.Ticket
	// Topic is the record's Kafka topic.
	Topic string
	// Envelope is the record's envelope; nil for a dead letter.
	Envelope *envelope.Envelope
	// Err says why the record was not written.
	Err error
}

// Batch is the Kafka records of envelopes bound for one topic, encoded
// and checked against the topic's size limit by [Sink.Batch].
type Batch struct {
	topic string
	envs  []envelope.Envelope
	msgs  []kafka.Message
}

// Len returns the number of records of b.
func (b *Batch) Len() int { return len(b.msgs) }

// Batch encodes one record per envelope for topic, keyed by its
// partition key. An envelope too large for the topic's limit fails it
// with a [*TooLargeError].
func (s *Sink) Batch(topic string, envs []envelope.Envelope) (*Batch, error) {
	msgs := make([]kafka.Message, len(envs))
	for i := range envs {
		value, err := s.codec.EncodeTo(nil, topic, &envs[i])
		if err != nil {
			return nil, fmt.Errorf("encode %s %s: %w", envs[i].Entity, envs[i].RecordID, err)
		}
		msgs[i] = kafka.Message{
			Topic:   topic,
			Key:     []byte(envs[i].PartitionKey),
			Value:   value,
			Headers: []kafka.Header{{Key: deadletter.HeaderChangeType, Value: []byte(envs[i].ChangeType.String())}},
		}
		if err := s.fits(&msgs[i], i); err != nil {
			return nil, fmt.Errorf("write to %s: %w", topic, err)
		}
	}
	return &Batch{topic: topic, envs: envs, msgs: msgs}, nil
}

// Write queues the records of b and sends one [Ack] per record on acks,
// from a writer goroutine, once Kafka acknowledged it or it failed. It
// blocks while MaxInFlight records are unacknowledged or their Acks not
// yet received, until ctx is done: acks must be read until every record
// written is acknowledged. A topic missing from the cluster fails Write
// at once. Write returns the number of records it queued, each of which
// gets its Ack: all of b's on a nil error, and on an error those before
// the one that failed.
func (s *Sink) Write(ctx context.Context, b *Batch, tk replay.Ticket, acks chan<- Ack) (queued int, err error) {
	for i := range b.msgs {
		msg := b.msgs[i]
		msg.WriterData = ackTo{acks: acks, ack: Ack{Ticket: tk, Topic: b.topic, Envelope: &b.envs[i]}}
		if err := s.send(ctx, msg); err != nil {
			return i, fmt.Errorf("write to %s: %w", b.topic, err)
		}
	}
	return len(b.msgs), nil
}

// WriteEnvelopes is [Sink.Batch] then [Sink.Write]: it writes envs to
// topic, or none of them when one is too large.
func (s *Sink) WriteEnvelopes(ctx context.Context, topic string, envs []envelope.Envelope, tk replay.Ticket, acks chan<- Ack) (queued int, err error) {
	b, err := s.Batch(topic, envs)
	if err != nil {
		return 0, err
	}
	return s.Write(ctx, b, tk, acks)
}

// send takes a slot of the in-flight window, waiting for one until ctx is
// done, and queues msg; the completion frees the slot.
func (s *Sink) send(ctx context.Context, msg kafka.Message) error {
	select {
	case s.inflight <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	w := s.writers[s.Limit(msg.Topic)]
	if err := w.WriteMessages(ctx, msg); err != nil {
		<-s.inflight
		if errors.Is(err, io.ErrClosedPipe) {
			return ErrClosed
		}
		return err
	}
	return nil
}

// ackTo is a record's WriterData: the Ack to send and where.
type ackTo struct {
	acks chan<- Ack
	ack  Ack
}

func (s *Sink) completion(msgs []kafka.Message, err error) {
	for _, m := range msgs {
		if a, ok := m.WriterData.(ackTo); ok && a.acks != nil {
			if err != nil {
				a.ack.Err = fmt.Errorf("kafka %s[%d]: %w", m.Topic, m.Partition, err)
			}
			a.acks <- a.ack
		}
		// Released after the Ack is received, so a slow reader slows
		// writers too.
		<-s.inflight
	}
}

// InFlight returns the number of records written whose Acks have not yet
// been received.
func (s *Sink) InFlight() int { return len(s.inflight) }

// Close flushes queued records, waits for their Acks to be received, and
// releases the writers.
func (s *Sink) Close() error {
	var errs []error
	for _, w := range s.writers {
		errs = append(errs, w.Close())
	}
	return errors.Join(errs...)
}

// DeadLetter is a Salesforce event the producer could not turn into
// envelopes, or whose envelopes Kafka would not take, as it goes to the
// dead-letter topic: the raw payload, with headers saying why and where
// it came from.
type DeadLetter struct {
	// Reason says what was wrong; it names no secret.
	Reason string
	// Topic, ReplayID, EventID and SchemaID identify the event in
	// Salesforce.
	Topic    string
	ReplayID []byte
	EventID  string
	SchemaID string
	// Entity, RecordIDs and ChangeType name the event's records, when it
	// decoded; they are left out when empty.
	Entity     string
	RecordIDs  []string
	ChangeType string
	// Payload is the event's Avro payload, as received; nil leaves it out
	// (Trimmed then says so).
	Payload []byte
	// Trimmed, Size and Limit describe a record too large for Kafka: what
	// was left out of the dead letter ("payload"), the size in bytes of
	// the record Kafka would not take, and the limit of its topic.
	Trimmed     string
	Size, Limit int
	// Time is when the producer gave up on the event.
	Time time.Time
}

// WriteDeadLetter queues dl on topic, keyed by its event id, with the
// headers of package deadletter's contract, and sends its [Ack], with
// ticket tk, on acks once Kafka acknowledged it or it failed, like
// [Sink.Write]. A dead letter too
// large for the topic is written without its payload, with the headers
// [deadletter.HeaderTrimmed], [deadletter.HeaderSize] and
// [deadletter.HeaderLimit] saying so.
func (s *Sink) WriteDeadLetter(ctx context.Context, topic string, dl DeadLetter, tk replay.Ticket, acks chan<- Ack) error {
	msg := deadLetterMessage(topic, dl)
	if s.fits(&msg, 0) != nil && dl.Payload != nil {
		dl.Trimmed, dl.Size, dl.Limit = deadletter.TrimmedPayload, recordSize(&msg)+batchOverhead, s.Limit(topic)
		dl.Payload = nil
		msg = deadLetterMessage(topic, dl)
	}
	if err := s.fits(&msg, 0); err != nil {
		return fmt.Errorf("write dead letter to %s: %w", topic, err)
	}
	msg.WriterData = ackTo{acks: acks, ack: Ack{Ticket: tk, Topic: topic}}
	if err := s.send(ctx, msg); err != nil {
		return fmt.Errorf("write dead letter to %s: %w", topic, err)
	}
	return nil
}

// deadLetterMessage is the Kafka record of dl on topic.
func deadLetterMessage(topic string, dl DeadLetter) kafka.Message {
	h := []kafka.Header{
		{Key: deadletter.HeaderReason, Value: []byte(dl.Reason)},
		{Key: deadletter.HeaderOrigin, Value: []byte(deadletter.OriginSalesforce)},
		{Key: deadletter.HeaderOriginTopic, Value: []byte(dl.Topic)},
		{Key: deadletter.HeaderReplayID, Value: []byte(fmt.Sprintf("%x", dl.ReplayID))},
		{Key: deadletter.HeaderEventID, Value: []byte(dl.EventID)},
		{Key: deadletter.HeaderSchemaID, Value: []byte(dl.SchemaID)},
		{Key: deadletter.HeaderTime, Value: []byte(dl.Time.UTC().Format(time.RFC3339Nano))},
	}
	add := func(key, value string) {
		if value != "" {
			h = append(h, kafka.Header{Key: key, Value: []byte(value)})
		}
	}
	add(deadletter.HeaderEntity, dl.Entity)
	add(deadletter.HeaderRecordIDs, strings.Join(dl.RecordIDs, ","))
	add(deadletter.HeaderChangeType, dl.ChangeType)
	add(deadletter.HeaderTrimmed, dl.Trimmed)
	if dl.Trimmed != "" {
		add(deadletter.HeaderSize, strconv.Itoa(dl.Size))
		add(deadletter.HeaderLimit, strconv.Itoa(dl.Limit))
	}
	return kafka.Message{Topic: topic, Key: []byte(dl.EventID), Value: dl.Payload, Headers: h}
}
