package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/store"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// Store applies batches and knows the consumed offsets; *store.Store is
// one.
type Store interface {
	Apply(ctx context.Context, b store.Batch) (store.Result, error)
	Offsets(ctx context.Context, group, topic string) (map[int]int64, error)
	// Maps reports whether the mapping names entity; the envelopes of
	// other objects are ignored.
	Maps(entity string) bool
}

// Dedup is the fast duplicate filter; *dedup.Filter is one.
type Dedup interface {
	Seen(ctx context.Context, keys []string) ([]bool, error)
	Mark(ctx context.Context, keys []string) error
}

// Writer writes records to Kafka and returns once they are acknowledged;
// *kafka.Writer is one (with the topic set per message).
type Writer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Config configures a [Consumer].
type Config struct {
	// Group is the Kafka consumer group, and the key of the offsets in
	// PostgreSQL. Required.
	Group string
	// Brokers are the Kafka bootstrap addresses. Required.
	Brokers []string
	// Dialer connects to Kafka (TLS, SASL); nil dials plain TCP.
	Dialer *kafka.Dialer
	// Topics are the envelope topics to consume. Required.
	Topics []string
	// DeadLetterTopic receives records that cannot be decoded or applied.
	// Required.
	DeadLetterTopic string
	// RefetchTopic receives the GAP_* and GAP_OVERFLOW envelopes, for the
	// reconciler to re-read the records. Required.
	RefetchTopic string
	// Codec decodes envelopes. Required.
	Codec *envelope.Codec
	// Store, Writer and Dedup are the dependencies; Dedup may be nil.
	Store  Store
	Writer Writer
	Dedup  Dedup
	// BatchSize bounds the records per batch. Default 1000.
	BatchSize int
	// BatchWait bounds how long a batch waits to fill after its first
	// record while the previous batch is being applied; a lane whose
	// applier is idle applies at once. Default 50ms.
	BatchWait time.Duration
	// Lanes is how many batches are applied at once, each by its own
	// share of the partitions. Default 2.
	Lanes int
	// ApplyTimeout bounds one attempt to apply a batch (or one record of
	// a refused batch); past it the attempt is rolled back and retried,
	// so a lock or a stuck connection cannot hold a lane for good.
	// Default 1m.
	ApplyTimeout time.Duration
	// DrainTimeout is how long a batch in progress may take to finish
	// after shutdown or a rebalance begins; past it, its transaction is
	// rolled back. Default 10s.
	DrainTimeout time.Duration
	// RetryBackoff is the first wait before retrying a batch after a
	// transient failure, doubled up to 30s. Default 200ms.
	RetryBackoff time.Duration
	// SessionTimeout and RebalanceTimeout are the group's; defaults 10s
	// and 30s.
	SessionTimeout, RebalanceTimeout time.Duration
	// Logger receives the consumer's logs; default slog.Default().
	Logger *slog.Logger
	// Metrics records the consumer's metrics; nil records nothing.
	Metrics *Metrics
	// Ready, when set, is called with true once the consumer owns a
	// generation and every partition reader of it reads, and with false
	// when it loses the generation or a reader fails (until the reader,
	// restarted, reaches its partition's leader again).
	Ready func(bool)
	// RecordsLost, when set, is called when a partition's next records
	// were deleted by Kafka (retention) before the consumer read them,
	// before any later record of the partition is applied; it should
	// request a reconciliation of the objects of the topic. It is retried
	// until it returns nil or ctx ends.
	RecordsLost func(ctx context.Context, loss Loss) error
}

// Loss is a range of a partition's records that Kafka deleted before
// the consumer read them: offsets From (included) to To (excluded).
type Loss struct {
	Topic     string
	Partition int
	From, To  int64
	// Next is the first record after the range, nil when the partition
	// holds none yet.
	Next *kafka.Message
}

// Consumer applies the envelope topics to PostgreSQL. Create it with
// [New]; Run it once. It wires the stages: the group membership
// (group.go) and the partition readers ([reader]) feed the lanes
// (lane.go), each of which collects batches, decodes them ([decoder]),
// drops the duplicates ([filter]), writes dead letters and markers
// ([output]), applies the envelopes with their offsets ([applier]) and
// commits; [readiness] says whether it is ready.
type Consumer struct {
	cfg Config
	log *slog.Logger
	m   *Metrics

	// stop ends Run with a permanent Kafka error; set by Run.
	stop context.CancelCauseFunc

	ready   *readiness
	retry   *retrier
	reader  *reader
	decoder *decoder
	filter  *filter
	out     *output
	applier *applier
}

// New checks cfg and returns a Consumer.
func New(cfg Config) (*Consumer, error) {
	switch {
	case cfg.Group == "":
		return nil, errors.New("pipeline: no consumer group")
	case len(cfg.Brokers) == 0:
		return nil, errors.New("pipeline: no brokers")
	case len(cfg.Topics) == 0:
		return nil, errors.New("pipeline: no topics")
	case cfg.DeadLetterTopic == "" || cfg.RefetchTopic == "":
		return nil, errors.New("pipeline: dead-letter and re-fetch topics are required")
	case cfg.Codec == nil || cfg.Store == nil || cfg.Writer == nil:
		return nil, errors.New("pipeline: codec, store and writer are required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	if cfg.Lanes <= 0 {
		cfg.Lanes = 2
	}
	def(&cfg.BatchWait, 50*time.Millisecond)
	def(&cfg.ApplyTimeout, time.Minute)
	def(&cfg.DrainTimeout, 10*time.Second)
	def(&cfg.RetryBackoff, 200*time.Millisecond)
	def(&cfg.SessionTimeout, 10*time.Second)
	def(&cfg.RebalanceTimeout, 30*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	dialer := cfg.Dialer
	if dialer == nil {
		dialer = kafka.DefaultDialer
	}
	c := &Consumer{cfg: cfg, log: cfg.Logger, m: cfg.Metrics, ready: &readiness{report: cfg.Ready}}
	c.retry = &retrier{first: cfg.RetryBackoff, log: c.log, m: c.m}
	c.out = &output{w: cfg.Writer, deadLetterTopic: cfg.DeadLetterTopic, group: cfg.Group,
		fail: c.fail, kafkaAt: c.kafkaAt, log: c.log, m: c.m}
	c.reader = &reader{brokers: cfg.Brokers, dialer: dialer, first: cfg.RetryBackoff, ready: c.ready,
		recordsLost: cfg.RecordsLost, retry: c.retry, fail: c.fail, kafkaAt: c.kafkaAt, log: c.log, m: c.m}
	c.decoder = &decoder{codec: cfg.Codec, maps: cfg.Store.Maps, refetchTopic: cfg.RefetchTopic,
		deadLetter: c.out.deadLetter, retry: c.retry, log: c.log, m: c.m}
	c.filter = &filter{dedup: cfg.Dedup, log: c.log, m: c.m}
	c.applier = &applier{store: cfg.Store, group: cfg.Group, timeout: cfg.ApplyTimeout, retry: c.retry, out: c.out, log: c.log}
	return c, nil
}

// Run consumes until ctx is cancelled, then finishes the batch in
// progress (within DrainTimeout), leaves the group and returns nil. A
// transient Kafka failure (a broker down, a connection reset) never ends
// it: it waits and retries, not ready meanwhile. It returns an error only
// for a permanent one ([connect.KafkaPermanent]: credentials, certificates,
// rights, configuration).
func (c *Consumer) Run(ctx context.Context) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	c.stop = stop
	err := c.run(ctx)
	if cause := context.Cause(ctx); err == nil && cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

// fail stops Run with err, a permanent Kafka failure.
func (c *Consumer) fail(err error) {
	c.log.Error("kafka refuses the consumer for good; stopping", "err", err)
	if c.stop != nil {
		c.stop(err)
	}
}

// kafkaAt names the brokers in an error.
func (c *Consumer) kafkaAt(what string, err error) error {
	return fmt.Errorf("kafka at %s: %s: %w", strings.Join(c.cfg.Brokers, ","), what, err)
}
