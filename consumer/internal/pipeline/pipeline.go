// Package pipeline runs the consumer: it joins a Kafka consumer group,
// reads its partitions from the offsets PostgreSQL holds, and runs each
// batch through the stages decode, dedup (Redis), forward markers and
// dead letters (Kafka), apply with the offsets (one PostgreSQL
// transaction), then mark (Redis) and commit (Kafka, for lag tools).
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/apply"
	"github.com/sfsync/sfsync/consumer/internal/connect"
	"github.com/sfsync/sfsync/consumer/internal/dlq"
	"github.com/sfsync/sfsync/consumer/internal/retry"
	"github.com/sfsync/sfsync/consumer/internal/store"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/svcconfig/kafkaconf"
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
	// record. Default 50ms.
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
// [New]; Run it once.
type Consumer struct {
	cfg Config
	log *slog.Logger
	m   *Metrics

	// stop ends Run with a permanent Kafka error; set by Run.
	stop context.CancelCauseFunc

	mu      sync.Mutex
	inGen   bool // owns a generation
	failing int  // partition readers failing, restarting

	// ignoring holds the unmapped entities already logged.
	ignoring sync.Map
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
	return &Consumer{cfg: cfg, log: cfg.Logger, m: cfg.Metrics}, nil
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

// setGeneration records whether the consumer owns a generation, and
// readerFailed(±1) how many readers are failing; readiness is owning one
// with no reader failing.
func (c *Consumer) setGeneration(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inGen = on
	c.report()
}

func (c *Consumer) readerFailed(delta int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failing += delta
	c.report()
}

func (c *Consumer) report() {
	if c.cfg.Ready != nil {
		c.cfg.Ready(c.inGen && c.failing == 0)
	}
}

func (c *Consumer) run(ctx context.Context) error {
	group, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: c.cfg.Group, Brokers: c.cfg.Brokers, Dialer: c.cfg.Dialer, Topics: c.cfg.Topics,
		SessionTimeout: c.cfg.SessionTimeout, RebalanceTimeout: c.cfg.RebalanceTimeout,
		StartOffset: kafka.FirstOffset,
		// Topics created after the start (by the producer) and partitions
		// added later are picked up by a rebalance.
		WatchPartitionChanges: true, PartitionWatchInterval: 5 * time.Second,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			c.log.Debug("kafka group", "msg", fmt.Sprintf(msg, args...))
		}),
	})
	if err != nil {
		return fmt.Errorf("consumer group %s: %w", c.cfg.Group, err)
	}
	defer group.Close()
	wait := retry.New(time.Second, 0)
	for {
		gen, err := group.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, kafka.ErrGroupClosed) {
				return nil
			}
			if connect.KafkaPermanent(err) {
				return c.kafkaAt("consumer group "+c.cfg.Group, err)
			}
			d := wait.NextBackOff()
			c.log.Warn("consumer group: joining failed; retrying", "group", c.cfg.Group, "in", d, "err", err)
			if !retry.Sleep(ctx, d) {
				return nil
			}
			continue
		}
		wait.Reset()
		c.runGeneration(ctx, gen)
	}
}

// runGeneration starts consuming the partitions gen assigns and returns
// at once; the work stops when the generation ends.
func (c *Consumer) runGeneration(ctx context.Context, gen *kafka.Generation) {
	var parts []partition
	assigned := map[string]int{}
	for _, topic := range c.cfg.Topics {
		as := gen.Assignments[topic]
		assigned[topic] = len(as)
		if len(as) == 0 {
			continue
		}
		stored, err := c.offsets(ctx, topic)
		if err != nil {
			return // ctx ended
		}
		for _, a := range as {
			start := a.Offset
			if o, ok := stored[a.ID]; ok {
				start = o
			}
			parts = append(parts, partition{topic: topic, id: a.ID, start: start})
		}
	}
	c.log.Info("partitions assigned", "group", c.cfg.Group, "generation", gen.ID, "partitions", len(parts))
	if c.m != nil {
		c.m.observeAssigned(assigned)
	}
	// One function for the whole generation: kafka-go ends the generation
	// when any function given to gen.Start returns.
	gen.Start(func(genCtx context.Context) {
		c.setGeneration(true)
		defer func() {
			c.setGeneration(false)
			// The partitions are no longer this replica's.
			c.m.observeUnassigned(c.cfg.Topics)
		}()
		// Stop with the generation or with the caller.
		runCtx, cancel := context.WithCancel(genCtx)
		defer cancel()
		stop := context.AfterFunc(ctx, cancel)
		defer stop()
		if c.m != nil {
			go c.m.observeTopicPartitions(c.topicPartitions(runCtx))
		}
		c.consume(runCtx, gen, parts)
	})
}

// topicPartitions asks Kafka how many partitions each consumed topic
// has, trying the brokers in turn. A topic no broker answers for within
// a few seconds is left out: its count is only a metric.
func (c *Consumer) topicPartitions(ctx context.Context) map[string]int {
	dialer := c.cfg.Dialer
	if dialer == nil {
		dialer = kafka.DefaultDialer
	}
	counts := map[string]int{}
	for _, topic := range c.cfg.Topics {
		for _, broker := range c.cfg.Brokers {
			lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			ps, err := dialer.LookupPartitions(lctx, "tcp", broker, topic)
			cancel()
			if err == nil {
				counts[topic] = len(ps)
				break
			}
			c.log.Debug("reading the topic's partitions failed", "topic", topic, "broker", broker, "err", err)
		}
	}
	return counts
}

// offsets reads PostgreSQL's offsets of topic, retrying until it answers
// or ctx ends.
func (c *Consumer) offsets(ctx context.Context, topic string) (map[int]int64, error) {
	wait := retry.New(c.cfg.RetryBackoff, 0)
	for {
		o, err := c.cfg.Store.Offsets(ctx, c.cfg.Group, topic)
		if err == nil || ctx.Err() != nil {
			return o, err
		}
		d := wait.NextBackOff()
		c.log.Warn("reading offsets from PostgreSQL failed; retrying", "topic", topic, "in", d, "err", err)
		if !retry.Sleep(ctx, d) {
			return nil, ctx.Err()
		}
	}
}

type partition struct {
	topic string
	id    int
	start int64
}

// consume reads parts and applies them in batches until ctx ends.
func (c *Consumer) consume(ctx context.Context, gen *kafka.Generation, parts []partition) {
	if len(parts) == 0 {
		<-ctx.Done()
		return
	}
	// The partitions are shared out among lanes, each with its own batches
	// and transactions, so that PostgreSQL applies several batches at
	// once. A record whose changes come through partitions of two lanes is
	// serialised by its advisory lock, and the rules do not depend on
	// order. One lane's failure stops them all.
	ctx, stopAll := context.WithCancel(ctx)
	defer stopAll()
	lanes := min(c.cfg.Lanes, len(parts))
	var commitMu sync.Mutex
	commit := func(offsets map[string]map[int]int64) {
		commitMu.Lock()
		defer commitMu.Unlock()
		if err := gen.CommitOffsets(offsets); err != nil && ctx.Err() == nil {
			c.log.Debug("committing offsets to Kafka failed (PostgreSQL holds them)", "err", err)
		}
	}
	var wg sync.WaitGroup
	for l := range lanes {
		msgs := make(chan kafka.Message, c.cfg.BatchSize)
		for i, p := range parts {
			if i%lanes == l {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c.read(ctx, p, msgs)
				}()
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer stopAll()
			c.lane(ctx, msgs, commit)
		}()
	}
	wg.Wait()
}

// lane collects, decodes and applies the batches of msgs until ctx ends
// or a batch is abandoned, and commits their offsets to Kafka.
func (c *Consumer) lane(ctx context.Context, msgs <-chan kafka.Message, commit func(map[string]map[int]int64)) {
	// Decoding runs one batch ahead of applying, so that the consumer's
	// CPU work overlaps PostgreSQL's.
	decodedBatches := make(chan *decoded, 1)
	decodeCtx, stopDecoding := context.WithCancel(ctx)
	defer stopDecoding()
	go func() {
		defer close(decodedBatches)
		for {
			batch, ok := c.collect(decodeCtx, msgs)
			if !ok {
				return
			}
			d, ok := c.decode(decodeCtx, batch)
			if !ok {
				return // not applied: read again by the next owner
			}
			select {
			case decodedBatches <- d:
			case <-decodeCtx.Done():
				return // not applied: read again by the next owner
			}
		}
	}()
	for d := range decodedBatches {
		// A batch in progress finishes within DrainTimeout of the end of
		// the generation or of shutdown.
		work, cancel := context.WithCancel(context.WithoutCancel(ctx))
		stop := context.AfterFunc(ctx, func() { time.AfterFunc(c.cfg.DrainTimeout, cancel) })
		err := c.process(work, d)
		stop()
		cancel()
		if err != nil {
			c.log.Warn("batch abandoned; its records are read again", "records", len(d.batch), "err", err)
			stopDecoding()
			for range decodedBatches {
			}
			return
		}
		offsets := map[string]map[int]int64{}
		for _, m := range d.batch {
			if offsets[m.Topic] == nil {
				offsets[m.Topic] = map[int]int64{}
			}
			offsets[m.Topic][m.Partition] = m.Offset + 1
			if c.m != nil {
				c.m.lag.WithLabelValues(m.Topic, strconv.Itoa(m.Partition)).Set(float64(max(m.HighWaterMark-m.Offset-1, 0)))
			}
		}
		commit(offsets)
	}
}

// read fetches one partition from start into msgs until ctx ends. A
// reader that fails (its partition's leader unreachable, a fetch
// refused) is restarted where it stopped, after a backoff with jitter;
// the replica is not ready meanwhile. A permanent failure stops Run.
func (c *Consumer) read(ctx context.Context, p partition, msgs chan<- kafka.Message) {
	wait := retry.New(c.cfg.RetryBackoff, 0)
	failing := false
	healthy := func() {
		if failing {
			failing = false
			c.readerFailed(-1)
			c.log.Info("partition reader restarted", "topic", p.topic, "partition", p.id, "offset", p.start)
		}
		wait.Reset()
	}
	defer func() {
		if failing {
			c.readerFailed(-1)
		}
	}()
	for {
		err := c.readFrom(ctx, &p, msgs, healthy)
		if ctx.Err() != nil {
			return
		}
		if connect.KafkaPermanent(err) {
			c.fail(c.kafkaAt(fmt.Sprintf("read %s/%d", p.topic, p.id), err))
			return
		}
		if !failing {
			failing = true
			c.readerFailed(1)
		}
		if c.m != nil {
			c.m.readerRestarts.WithLabelValues(p.topic).Inc()
		}
		d := wait.NextBackOff()
		c.log.Warn("reading a partition failed; restarting its reader", "topic", p.topic, "partition", p.id,
			"offset", p.start, "in", d, "err", err)
		if !retry.Sleep(ctx, d) {
			return
		}
	}
}

// readFrom reads p from p.start into msgs, moving p.start past each
// record sent, until ctx ends or reading fails. It first reaches the
// partition's leader for its offsets (then calls healthy), and reports
// the records Kafka deleted before they were read.
func (c *Consumer) readFrom(ctx context.Context, p *partition, msgs chan<- kafka.Message, healthy func()) error {
	first, last, err := c.logOffsets(ctx, p.topic, p.id)
	if err != nil {
		return err
	}
	healthy()
	switch {
	case p.start < 0: // no stored offset: from the log's start
		p.start = first
	case p.start < first && first == last:
		// Lost, and nothing after them to wait for.
		if err := c.lost(ctx, Loss{Topic: p.topic, Partition: p.id, From: p.start, To: first}); err != nil {
			return err
		}
		p.start = first
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: c.cfg.Brokers, Dialer: c.cfg.Dialer, Topic: p.topic, Partition: p.id,
		MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 250 * time.Millisecond,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			c.log.Debug("kafka reader", "topic", p.topic, "partition", p.id, "msg", fmt.Sprintf(msg, args...))
		}),
	})
	defer r.Close()
	if err := r.SetOffset(p.start); err != nil {
		return fmt.Errorf("seek to %d: %w", p.start, err)
	}
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			return fmt.Errorf("fetch from %d: %w", p.start, err)
		}
		if m.Offset > p.start {
			// A jump: Kafka skipped records before its log's start.
			if err := c.jumped(ctx, p, m); err != nil {
				return err
			}
		}
		select {
		case msgs <- m:
			p.start = m.Offset + 1
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// jumped handles a record m read past p.start: the records between were
// lost when the log now starts after p.start (retention deleted them);
// otherwise they were never records (compaction, transaction markers).
func (c *Consumer) jumped(ctx context.Context, p *partition, m kafka.Message) error {
	to := m.Offset
	first, _, err := c.logOffsets(ctx, p.topic, p.id)
	if err == nil {
		to = min(to, first)
	} else {
		c.log.Warn("reading the partition's first offset failed; counting the whole jump as lost", "topic", p.topic, "partition", p.id, "err", err)
	}
	if to <= p.start {
		return nil
	}
	return c.lost(ctx, Loss{Topic: p.topic, Partition: p.id, From: p.start, To: to, Next: &m})
}

// lost reports a loss: an error log, the metric, and the RecordsLost
// callback, retried until it succeeds or ctx ends.
func (c *Consumer) lost(ctx context.Context, loss Loss) error {
	c.log.Error("records lost: Kafka deleted them (retention) before they were read; requesting a reconciliation",
		"topic", loss.Topic, "partition", loss.Partition, "from", loss.From, "to", loss.To, "records", loss.To-loss.From)
	if c.m != nil {
		c.m.recordsLost.WithLabelValues(loss.Topic, strconv.Itoa(loss.Partition)).Add(float64(loss.To - loss.From))
	}
	if c.cfg.RecordsLost == nil {
		return nil
	}
	return c.retry(ctx, "request a reconciliation", func(ctx context.Context) error {
		err := c.cfg.RecordsLost(ctx, loss)
		if connect.KafkaPermanent(err) {
			return permanent{err}
		}
		return err
	})
}

// logOffsets returns the first and the next offset of a partition, as
// its leader says, trying the brokers in turn.
func (c *Consumer) logOffsets(ctx context.Context, topic string, part int) (first, last int64, err error) {
	dialer := c.cfg.Dialer
	if dialer == nil {
		dialer = kafka.DefaultDialer
	}
	for _, broker := range c.cfg.Brokers {
		var conn *kafka.Conn
		if conn, err = dialer.DialLeader(ctx, "tcp", broker, topic, part); err != nil {
			continue
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		first, last, err = conn.ReadOffsets()
		conn.Close()
		if err == nil {
			return first, last, nil
		}
	}
	return 0, 0, fmt.Errorf("offsets of %s/%d: %w", topic, part, err)
}

// collect waits for a first record, then gathers more for up to
// BatchWait or BatchSize records; ok is false once ctx ends.
func (c *Consumer) collect(ctx context.Context, msgs <-chan kafka.Message) ([]kafka.Message, bool) {
	var batch []kafka.Message
	select {
	case m := <-msgs:
		batch = append(batch, m)
	case <-ctx.Done():
		return nil, false
	}
	timer := time.NewTimer(c.cfg.BatchWait)
	defer timer.Stop()
	for len(batch) < c.cfg.BatchSize {
		select {
		case m := <-msgs:
			batch = append(batch, m)
		case <-timer.C:
			return batch, true
		case <-ctx.Done():
			// Shutting down: apply what was read, within the drain time.
			return batch, true
		}
	}
	return batch, true
}

// item is one record of a batch on its way through the stages.
type item struct {
	msg kafka.Message
	env *envelope.Envelope
}

// decoded is a batch after decoding: the envelopes to apply, and the
// records for the dead-letter and re-fetch topics.
type decoded struct {
	batch []kafka.Message
	data  []item
	out   []kafka.Message
}

// decode decodes a batch and sorts its records. A record whose writer
// schema the schema registry cannot give for now is decoded again,
// after a backoff, rather than dead-lettered; false means ctx ended
// first.
func (c *Consumer) decode(ctx context.Context, batch []kafka.Message) (*decoded, bool) {
	c.m.observeConsumed(batch)
	d := &decoded{batch: batch}
	for _, m := range batch {
		var e *envelope.Envelope
		err := c.retry(ctx, "decode", func(context.Context) error {
			var err error
			if e, err = c.cfg.Codec.Decode(m.Value); err != nil && !errors.Is(err, envelope.ErrRegistryUnavailable) {
				return permanent{err}
			}
			return err
		})
		if errors.Is(err, envelope.ErrRegistryUnavailable) {
			return nil, false
		}
		if err != nil {
			d.out = append(d.out, c.deadLetter(m, "decode", err))
			continue
		}
		if !c.cfg.Store.Maps(e.Entity) {
			c.ignore(m, e)
			continue
		}
		if !apply.Applies(e.ChangeType) {
			d.out = append(d.out, kafka.Message{Topic: c.cfg.RefetchTopic, Key: m.Key, Value: m.Value, Headers: m.Headers})
			if c.m != nil {
				c.m.forwarded.WithLabelValues(e.ChangeType.String()).Inc()
			}
			continue
		}
		d.data = append(d.data, item{msg: m, env: e})
	}
	return d, true
}

// ignore counts an envelope of an object the mapping does not name, as
// a team's consumer mapping a subset of the objects of its topics reads
// them, and logs the first of each entity.
func (c *Consumer) ignore(m kafka.Message, e *envelope.Envelope) {
	if c.m != nil {
		c.m.ignored.WithLabelValues(e.Entity).Inc()
	}
	if _, logged := c.ignoring.LoadOrStore(e.Entity, true); !logged {
		c.log.Info("ignoring the envelopes of an object the mapping does not name (counted in envelopes_ignored_total)",
			"entity", e.Entity, "topic", m.Topic)
	}
}

// process runs a decoded batch through the remaining stages, retrying
// transient failures until ctx ends.
func (c *Consumer) process(ctx context.Context, d *decoded) error {
	batch, data, out := d.batch, d.data, d.out
	data = c.filter(ctx, data)
	if err := c.retry(ctx, "write dead letters and markers", func(ctx context.Context) error {
		return c.write(ctx, out)
	}); err != nil {
		return err
	}
	offsets := nextOffsets(batch)
	start := time.Now()
	var res store.Result
	err := c.retry(ctx, "apply", func(ctx context.Context) error {
		var err error
		res, err = c.apply(ctx, store.Batch{Group: c.cfg.Group, Envelopes: envelopes(data), Offsets: offsets})
		if store.IsPoison(err) {
			return permanent{err}
		}
		return err
	})
	var poison permanent
	var dead []bool
	if errors.As(err, &poison) {
		c.log.Warn("batch refused by PostgreSQL; applying its records one by one", "records", len(data), "err", poison.err)
		res, dead, err = c.applyOneByOne(ctx, data, offsets)
	}
	if err != nil {
		return err
	}
	now := time.Now()
	c.m.observeBatch(len(batch), now.Sub(start))
	// Only applied envelopes are marked seen: a dead-lettered one must get
	// through when it is replayed after a fix.
	keys := make([]string, 0, len(data))
	for i, it := range data {
		if dead != nil && dead[i] {
			continue
		}
		keys = append(keys, dedupKey(it.env))
		c.m.observeApplied(it.env.Entity, res.Changed[i], it.env.CommitTimestamp, now)
	}
	if c.cfg.Dedup != nil {
		if err := c.cfg.Dedup.Mark(ctx, keys); err != nil {
			c.dedupFailed(err)
		}
	}
	return nil
}

// applyOneByOne applies each envelope of a refused batch in its own
// transaction, dead-letters those PostgreSQL refuses (dead[i] is set),
// then stores the batch's offsets. Changed is filled for the envelopes
// applied.
func (c *Consumer) applyOneByOne(ctx context.Context, data []item, offsets []store.Offset) (res store.Result, dead []bool, err error) {
	res.Changed = make([]bool, len(data))
	dead = make([]bool, len(data))
	for i, it := range data {
		err := c.retry(ctx, "apply one", func(ctx context.Context) error {
			r, err := c.apply(ctx, store.Batch{Group: c.cfg.Group, Envelopes: []*envelope.Envelope{it.env}})
			if store.IsPoison(err) {
				return permanent{err}
			}
			if err == nil {
				res.Changed[i] = r.Changed[0]
			}
			return err
		})
		var poison permanent
		if errors.As(err, &poison) {
			dead[i] = true
			dl := c.deadLetter(it.msg, "apply", poison.err)
			err = c.retry(ctx, "write dead letter", func(ctx context.Context) error { return c.write(ctx, []kafka.Message{dl}) })
		}
		if err != nil {
			return res, dead, err
		}
	}
	err = c.retry(ctx, "store offsets", func(ctx context.Context) error {
		_, err := c.apply(ctx, store.Batch{Group: c.cfg.Group, Offsets: offsets})
		return err
	})
	return res, dead, err
}

// filter drops the items Redis has seen, in one round trip; without
// Redis it keeps them all.
func (c *Consumer) filter(ctx context.Context, data []item) []item {
	if c.cfg.Dedup == nil || len(data) == 0 {
		return data
	}
	keys := make([]string, len(data))
	for i, it := range data {
		keys[i] = dedupKey(it.env)
	}
	seen, err := c.cfg.Dedup.Seen(ctx, keys)
	if err != nil {
		c.dedupFailed(err)
		return data
	}
	kept := data[:0]
	for i, it := range data {
		if !seen[i] {
			kept = append(kept, it)
		}
	}
	if c.m != nil {
		c.m.add(c.m.dedupHits, len(data)-len(kept))
	}
	return kept
}

// dedupFailed reports a Redis failure; the consumer goes on without it.
func (c *Consumer) dedupFailed(err error) {
	if c.m != nil {
		c.m.dedupErrors.Inc()
	}
	c.log.Warn("redis unavailable; carrying on without the duplicate filter", "err", err)
}

// dedupKey identifies an envelope: the event, the record (a change event
// can name several) and the change type (a platform event can yield a
// data envelope and a GAP_ marker for one record).
func dedupKey(e *envelope.Envelope) string {
	return e.EventID + "/" + e.RecordID + "/" + e.ChangeType.String()
}

// deadLetter builds the dead-letter record of m.
func (c *Consumer) deadLetter(m kafka.Message, reason string, err error) kafka.Message {
	if c.m != nil {
		c.m.deadLetters.WithLabelValues(m.Topic, reason).Inc()
	}
	c.log.Warn("record dead-lettered", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "reason", reason, "err", err)
	return dlq.Record(m, c.cfg.DeadLetterTopic, c.cfg.Group, reason, err, time.Now())
}

// write writes msgs to Kafka; a permanent failure stops Run and is
// returned as permanent, a transient one is returned for retry.
func (c *Consumer) write(ctx context.Context, msgs []kafka.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	err := c.cfg.Writer.WriteMessages(ctx, msgs...)
	if kafkaconf.TooLarge(err) {
		return c.writeTooLarge(ctx, msgs, err)
	}
	if connect.KafkaPermanent(err) {
		err = c.kafkaAt("write to "+msgs[0].Topic, err)
		c.fail(err)
		return permanent{err}
	}
	return err
}

// permanent wraps an error that retrying cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }

func (p permanent) Unwrap() error { return p.err }

// apply runs one attempt of Store.Apply within ApplyTimeout.
func (c *Consumer) apply(ctx context.Context, b store.Batch) (store.Result, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.ApplyTimeout)
	defer cancel()
	res, err := c.cfg.Store.Apply(actx, b)
	if err != nil && ctx.Err() == nil && actx.Err() != nil {
		err = fmt.Errorf("not applied within %s (batch.timeout): %w", c.cfg.ApplyTimeout, err)
	}
	return res, err
}

// retry runs fn until it succeeds, returns a permanent error, or ctx
// ends, waiting RetryBackoff, doubled up to 30s with jitter, between
// attempts.
func (c *Consumer) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	wait := retry.New(c.cfg.RetryBackoff, 0)
	for {
		err := fn(ctx)
		var p permanent
		if err == nil || errors.As(err, &p) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if c.m != nil {
			c.m.retries.Inc()
		}
		d := wait.NextBackOff()
		c.log.Warn("transient failure; retrying", "step", what, "in", d, "err", err)
		if !retry.Sleep(ctx, d) {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}

func nextOffsets(batch []kafka.Message) []store.Offset {
	type tp struct {
		topic string
		part  int
	}
	idx := map[tp]int{}
	var out []store.Offset
	for _, m := range batch {
		k := tp{m.Topic, m.Partition}
		if i, ok := idx[k]; ok {
			out[i].Next = max(out[i].Next, m.Offset+1)
			continue
		}
		idx[k] = len(out)
		out = append(out, store.Offset{Topic: m.Topic, Partition: m.Partition, Next: m.Offset + 1})
	}
	return out
}

func envelopes(items []item) []*envelope.Envelope {
	out := make([]*envelope.Envelope, len(items))
	for i, it := range items {
		out[i] = it.env
	}
	return out
}
