package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

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
	// Codec encodes envelopes; the default writes the current envelope
	// schema.
	Codec *envelope.Codec
	// Logger receives the writer's errors; the default discards them.
	Logger *slog.Logger
}

// Sink writes envelopes to Kafka. It is safe for concurrent use.
type Sink struct {
	w        *kafka.Writer
	codec    *envelope.Codec
	inflight chan struct{}
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
	s := &Sink{codec: cfg.Codec, inflight: make(chan struct{}, cfg.MaxInFlight)}
	s.w = &kafka.Writer{
		Addr:         kafka.TCP(cfg.Brokers...),
		Balancer:     kafka.Murmur2Balancer{Consistent: true},
		RequiredAcks: kafka.RequireAll,
		Async:        true,
		Completion:   s.completion,
		BatchSize:    cfg.BatchSize,
		BatchTimeout: cfg.BatchTimeout,
		MaxAttempts:  cfg.MaxAttempts,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			cfg.Logger.Warn("kafka writer: " + fmt.Sprintf(msg, args...))
		}),
	}
	if cfg.Transport != nil {
		s.w.Transport = cfg.Transport
	}
	return s, nil
}

// Write queues one record per envelope on topic, keyed by its partition
// key, and calls done(env index, err) once per envelope, from a writer
// goroutine, when Kafka acknowledged it (err nil) or it failed; done may
// be nil. It blocks while MaxInFlight records are unacknowledged or their
// callbacks running, until ctx is done. A topic missing from the cluster
// fails Write at once. On an error return, done is not called for
// envelopes from the failing one on.
func (s *Sink) Write(ctx context.Context, topic string, envs []envelope.Envelope, done func(i int, err error)) error {
	for i := range envs {
		value, err := s.codec.Encode(nil, &envs[i])
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", envs[i].Entity, envs[i].RecordID, err)
		}
		msg := kafka.Message{
			Topic:      topic,
			Key:        []byte(envs[i].PartitionKey),
			Value:      value,
			Headers:    []kafka.Header{{Key: "sfsync-change-type", Value: []byte(envs[i].ChangeType.String())}},
			WriterData: completion{i: i, done: done},
		}
		if err := s.send(ctx, msg); err != nil {
			return fmt.Errorf("write to %s: %w", topic, err)
		}
	}
	return nil
}

// send takes a slot of the in-flight window, waiting for one until ctx is
// done, and queues msg; the completion frees the slot.
func (s *Sink) send(ctx context.Context, msg kafka.Message) error {
	select {
	case s.inflight <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	if err := s.w.WriteMessages(ctx, msg); err != nil {
		<-s.inflight
		if errors.Is(err, io.ErrClosedPipe) {
			return ErrClosed
		}
		return err
	}
	return nil
}

type completion struct {
	i    int
	done func(int, error)
}

func (s *Sink) completion(msgs []kafka.Message, err error) {
	for _, m := range msgs {
		if c, ok := m.WriterData.(completion); ok && c.done != nil {
			var merr error
			if err != nil {
				merr = fmt.Errorf("kafka %s[%d]: %w", m.Topic, m.Partition, err)
			}
			c.done(c.i, merr)
		}
		// Released after the callback, so a slow callback slows writers too.
		<-s.inflight
	}
}

// InFlight returns the number of records written whose callbacks have not
// yet returned.
func (s *Sink) InFlight() int { return len(s.inflight) }

// Close flushes queued records, waits for their callbacks, and releases
// the writer.
func (s *Sink) Close() error { return s.w.Close() }

// DeadLetter is a Salesforce event the producer could not turn into
// envelopes, as it goes to the dead-letter topic: the raw payload, with
// headers saying why and where it came from.
type DeadLetter struct {
	// Reason says what was wrong; it names no secret.
	Reason string
	// Topic, ReplayID, EventID and SchemaID identify the event in
	// Salesforce.
	Topic    string
	ReplayID []byte
	EventID  string
	SchemaID string
	// Payload is the event's Avro payload, as received.
	Payload []byte
	// Time is when the producer gave up on the event.
	Time time.Time
}

// WriteDeadLetter queues dl on topic, keyed by its event id, with the
// headers of package deadletter's contract, and calls done once Kafka
// acknowledged it or it failed, like [Sink.Write].
func (s *Sink) WriteDeadLetter(ctx context.Context, topic string, dl DeadLetter, done func(error)) error {
	msg := kafka.Message{
		Topic: topic,
		Key:   []byte(dl.EventID),
		Value: dl.Payload,
		Headers: []kafka.Header{
			{Key: deadletter.HeaderReason, Value: []byte(dl.Reason)},
			{Key: deadletter.HeaderOrigin, Value: []byte(deadletter.OriginSalesforce)},
			{Key: deadletter.HeaderOriginTopic, Value: []byte(dl.Topic)},
			{Key: deadletter.HeaderReplayID, Value: []byte(fmt.Sprintf("%x", dl.ReplayID))},
			{Key: deadletter.HeaderEventID, Value: []byte(dl.EventID)},
			{Key: deadletter.HeaderSchemaID, Value: []byte(dl.SchemaID)},
			{Key: deadletter.HeaderTime, Value: []byte(dl.Time.UTC().Format(time.RFC3339Nano))},
		},
		WriterData: completion{done: func(_ int, err error) {
			if done != nil {
				done(err)
			}
		}},
	}
	if err := s.send(ctx, msg); err != nil {
		return fmt.Errorf("write dead letter to %s: %w", topic, err)
	}
	return nil
}
