package refetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/platform/kafkaconf"
	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/reconciler/internal/source"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/soql"
	"github.com/sfsync/sfsync/schemas/checkpoint"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// Defaults of [Config].
const (
	DefaultGroupID        = "sfsync-reconciler"
	DefaultRefetchTopic   = "sfsync.refetch"
	DefaultReconcileTopic = "sfsync.reconcile-requests"
)

// Publisher publishes corrective envelopes; *publish.Publisher is one.
type Publisher interface {
	Publish(ctx context.Context, changes []publish.Change) error
}

// Config configures a [Refetcher].
type Config struct {
	// Mapping names the objects. Required.
	Mapping *mapping.Mapping
	// Source reads records from Salesforce. Required.
	Source *source.Reader
	// Publisher publishes the SNAPSHOT and DELETE envelopes, e.g. a
	// publish.Publisher with origin "reconciler/refetch". Required.
	Publisher Publisher
	// Codec decodes the envelopes of the re-fetch topic. Required.
	Codec *envelope.Codec
	// Checkpoints decodes reconcile requests. Default: checkpoint.NewCodec().
	Checkpoints *checkpoint.Codec
	// Reconcile verifies and repairs objects after the producer lost its
	// place in a Pub/Sub topic; reason says why. It should return once
	// the repair envelopes are acknowledged by Kafka. Required.
	Reconcile func(ctx context.Context, objects []*mapping.Object, reason string) error

	// Brokers are the Kafka bootstrap addresses. Required.
	Brokers []string
	// Dialer connects the group readers. Default: kafka.DefaultDialer.
	Dialer *kafka.Dialer
	// Transport carries admin requests (topic creation). Default:
	// kafka.DefaultTransport.
	Transport kafka.RoundTripper
	// GroupID is the consumer group. Default: [DefaultGroupID].
	GroupID string
	// RefetchTopic is the topic the consumer forwards GAP_* and
	// GAP_OVERFLOW envelopes to. Default: [DefaultRefetchTopic].
	RefetchTopic string
	// ReconcileTopic is the producer's reconcile-request topic. Default:
	// [DefaultReconcileTopic].
	ReconcileTopic string
	// BatchSize is the most records handled per poll of a topic.
	// Default: 500.
	BatchSize int
	// BatchWait is how long a poll waits for more records once it has
	// one. Default: 100ms.
	BatchWait time.Duration
	// OverflowLookback widens the re-fetch after a GAP_OVERFLOW to the
	// records stamped this long before the envelope's commit timestamp:
	// a long transaction stamps records as it changes them, before it
	// commits. Re-fetching more records is harmless (they are published
	// with their current state). Default: 0, SystemModstamp at or after
	// the commit timestamp.
	OverflowLookback time.Duration
	// RetryMin and RetryMax bound the backoff between attempts at a
	// failed poll: it starts at RetryMin and doubles up to RetryMax, each
	// wait randomised by half of it either way (jitter). A failed fetch
	// waits RetryMin, randomised likewise. Default: 1s and 1m.
	RetryMin, RetryMax time.Duration

	// Logger logs. Default: slog.Default().
	Logger *slog.Logger
	// Registerer registers the metrics; nil records none.
	Registerer prometheus.Registerer
}

func (c *Config) setDefaults() error {
	if c.Checkpoints == nil {
		cc, err := checkpoint.NewCodec()
		if err != nil {
			return err
		}
		c.Checkpoints = cc
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.GroupID, DefaultGroupID)
	def(&c.RefetchTopic, DefaultRefetchTopic)
	def(&c.ReconcileTopic, DefaultReconcileTopic)
	if c.BatchSize <= 0 {
		c.BatchSize = 500
	}
	defd := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defd(&c.BatchWait, 100*time.Millisecond)
	defd(&c.RetryMin, time.Second)
	defd(&c.RetryMax, time.Minute)
	if c.Dialer == nil {
		c.Dialer = kafka.DefaultDialer
	}
	if c.Transport == nil {
		c.Transport = kafka.DefaultTransport
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Validate reports a missing required field.
func (c *Config) Validate() error {
	var missing []string
	for _, m := range []struct {
		name string
		ok   bool
	}{
		{"mapping", c.Mapping != nil}, {"source", c.Source != nil}, {"publisher", c.Publisher != nil},
		{"codec", c.Codec != nil}, {"reconcile callback", c.Reconcile != nil}, {"brokers", len(c.Brokers) > 0},
	} {
		if !m.ok {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("refetch: missing %s", strings.Join(missing, ", "))
	}
	if c.RefetchTopic == c.ReconcileTopic && c.RefetchTopic != "" {
		return fmt.Errorf("refetch: the re-fetch and reconcile-request topics are both %s", c.RefetchTopic)
	}
	return nil
}

// Refetcher serves the re-fetch and reconcile-request topics. Run it
// once; its methods are safe for concurrent use.
type Refetcher struct {
	cfg Config
	log *slog.Logger
	m   *metrics
}

// New checks cfg, fills in its defaults and returns a Refetcher.
func New(cfg Config) (*Refetcher, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Refetcher{cfg: cfg, log: cfg.Logger, m: m}, nil
}

// Run consumes both topics until ctx ends, then returns nil; it returns
// an error only when a topic cannot be created. Topics missing at start
// are created with one partition.
func (r *Refetcher) Run(ctx context.Context) error {
	if err := r.ensureTopics(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for _, loop := range []struct {
		topic  string
		handle func(context.Context, []kafka.Message) error
	}{{r.cfg.RefetchTopic, r.handleMarkers}, {r.cfg.ReconcileTopic, r.handleRequests}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.consume(ctx, loop.topic, loop.handle)
		}()
	}
	wg.Wait()
	return nil
}

func (r *Refetcher) ensureTopics(ctx context.Context) error {
	client := &kafka.Client{Addr: kafka.TCP(r.cfg.Brokers...), Transport: r.cfg.Transport, Timeout: 30 * time.Second}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{r.cfg.RefetchTopic, r.cfg.ReconcileTopic}})
	if err != nil {
		return fmt.Errorf("refetch: kafka at %s: %w", strings.Join(r.cfg.Brokers, ","), err)
	}
	var create []kafka.TopicConfig
	for _, t := range md.Topics {
		if errors.Is(t.Error, kafka.UnknownTopicOrPartition) {
			create = append(create, kafka.TopicConfig{Topic: t.Name, NumPartitions: 1, ReplicationFactor: kafkaconf.ClusterReplication})
		}
	}
	if len(create) == 0 {
		return nil
	}
	resp, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: create})
	if err != nil {
		return fmt.Errorf("refetch: create kafka topics: %w", err)
	}
	for _, t := range create {
		if err := resp.Errors[t.Topic]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			return fmt.Errorf("refetch: create kafka topic %s: %w", t.Topic, err)
		}
		r.log.Info("created kafka topic", "topic", t.Topic)
	}
	return nil
}

// consume reads topic in the group, handing each poll to handle and
// committing its offsets once handle succeeded.
func (r *Refetcher) consume(ctx context.Context, topic string, handle func(context.Context, []kafka.Message) error) {
	rd := kafka.NewReader(kafka.ReaderConfig{
		Brokers: r.cfg.Brokers, Dialer: r.cfg.Dialer, GroupID: r.cfg.GroupID, GroupTopics: []string{topic},
		StartOffset: kafka.FirstOffset, MaxWait: 500 * time.Millisecond,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			r.log.Warn("kafka reader: "+fmt.Sprintf(msg, args...), "topic", topic)
		}),
	})
	defer rd.Close()
	// A failed fetch is tried again after RetryMin, give or take half.
	fetchWait := r.backOff(r.cfg.RetryMin)
	for ctx.Err() == nil {
		batch, err := r.poll(ctx, rd)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("refetch: fetch failed", "topic", topic, "err", err)
				sleep(ctx, fetchWait.NextBackOff())
			}
			continue
		}
		r.m.consumed.WithLabelValues(topic).Add(float64(len(batch)))
		if !r.retry(ctx, "handle "+topic, func() error { return handle(ctx, batch) }) {
			return
		}
		r.retry(ctx, "commit "+topic, func() error { return rd.CommitMessages(ctx, batch...) })
	}
}

// poll returns the next records: it waits for one, then takes what
// arrives within BatchWait, up to BatchSize.
func (r *Refetcher) poll(ctx context.Context, rd *kafka.Reader) ([]kafka.Message, error) {
	m, err := rd.FetchMessage(ctx)
	if err != nil {
		return nil, err
	}
	batch := []kafka.Message{m}
	wctx, cancel := context.WithTimeout(ctx, r.cfg.BatchWait)
	defer cancel()
	for len(batch) < r.cfg.BatchSize {
		m, err := rd.FetchMessage(wctx)
		if err != nil {
			break
		}
		batch = append(batch, m)
	}
	return batch, nil
}

// backOff returns the waits between attempts: from RetryMin, doubling up
// to limit, each randomised by half of it either way so that replicas do
// not retry in step.
func (r *Refetcher) backOff(limit time.Duration) *backoff.ExponentialBackOff {
	return &backoff.ExponentialBackOff{InitialInterval: r.cfg.RetryMin, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: limit}
}

// retry runs fn until it succeeds (true) or ctx ends (false), backing off
// between attempts (see [Refetcher.backOff]) and counting and logging
// each failure.
func (r *Refetcher) retry(ctx context.Context, what string, fn func() error) bool {
	_, err := backoff.Retry(ctx, func() (struct{}, error) { return struct{}{}, fn() },
		backoff.WithBackOff(r.backOff(r.cfg.RetryMax)), backoff.WithMaxElapsedTime(0),
		backoff.WithNotify(func(err error, wait time.Duration) {
			r.m.failures.Inc()
			r.log.Error("refetch: "+what+" failed; retrying", "err", err, "in", wait)
		}))
	return err == nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// marker is what one GAP envelope asks for a record.
type marker struct {
	version publish.Version
	ts      time.Time
}

// overflow is what one GAP_OVERFLOW envelope asks for an object.
type overflow struct {
	obj     *mapping.Object
	version publish.Version
	since   time.Time
}

// handleMarkers re-fetches the records the GAP_* and GAP_OVERFLOW
// envelopes of msgs name and publishes them.
func (r *Refetcher) handleMarkers(ctx context.Context, msgs []kafka.Message) error {
	gaps := map[*mapping.Object]map[string]marker{}
	var overflows []overflow
	for _, msg := range msgs {
		e, err := r.cfg.Codec.Decode(msg.Value)
		if errors.Is(err, envelope.ErrRegistryUnavailable) {
			return err // the batch is handled again, not skipped
		}
		if err != nil {
			r.skip(msg, "decode", err)
			continue
		}
		obj := r.cfg.Mapping.Object(e.Entity)
		if obj == nil {
			r.skip(msg, "unmapped", fmt.Errorf("entity %s is not in the mapping", e.Entity))
			continue
		}
		v := publish.Version{Commit: e.CommitNumber, Seq: e.SequenceNumber}
		r.m.markers.WithLabelValues(obj.Name, e.ChangeType.String()).Inc()
		switch e.ChangeType {
		case envelope.ChangeGapCreate, envelope.ChangeGapUpdate, envelope.ChangeGapDelete, envelope.ChangeGapUndelete:
			if e.RecordID == pubsub.OverflowRecordID {
				r.skip(msg, "invalid", fmt.Errorf("%s with the overflow record id", e.ChangeType))
				continue
			}
			ids := gaps[obj]
			if ids == nil {
				ids = map[string]marker{}
				gaps[obj] = ids
			}
			if old, ok := ids[e.RecordID]; !ok || v.Newer(old.version) {
				ids[e.RecordID] = marker{version: v, ts: e.CommitTimestamp}
			}
		case envelope.ChangeGapOverflow:
			overflows = append(overflows, overflow{obj: obj, version: v, since: e.CommitTimestamp.Add(-r.cfg.OverflowLookback)})
		default:
			r.skip(msg, "invalid", fmt.Errorf("change type %s is not a gap", e.ChangeType))
		}
	}
	for _, obj := range r.cfg.Mapping.Objects {
		if ids := gaps[obj]; len(ids) > 0 {
			if err := r.refetchIDs(ctx, obj, ids); err != nil {
				return err
			}
		}
	}
	for _, o := range overflows {
		if err := r.refetchSince(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

func (r *Refetcher) skip(msg kafka.Message, reason string, err error) {
	r.m.skipped.WithLabelValues(reason).Inc()
	r.log.Warn("refetch: skipping record", "topic", msg.Topic, "partition", msg.Partition, "offset", msg.Offset, "reason", reason, "err", err)
}

// publishChunk is how many envelopes are published at once.
const publishChunk = 1000

// refetchIDs reads the records ids names and publishes each with the
// version its marker asked for.
func (r *Refetcher) refetchIDs(ctx context.Context, obj *mapping.Object, ids map[string]marker) error {
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	slices.Sort(list)
	found := make(map[string]bool, len(ids))
	var changes []publish.Change
	for row, err := range r.cfg.Source.IDs(ctx, obj, list) {
		if err != nil {
			return fmt.Errorf("re-fetch %s: %w", obj.Name, err)
		}
		mk, ok := ids[row.ID]
		if !ok || found[row.ID] {
			continue
		}
		found[row.ID] = true
		changes = append(changes, Change(obj, row, mk.version))
	}
	for _, id := range list {
		if !found[id] {
			// Unknown to Salesforce: gone, even from the recycle bin.
			changes = append(changes, publish.Change{Object: obj, RecordID: id, Type: envelope.ChangeDelete,
				Version: ids[id].version, Modstamp: ids[id].ts})
		}
	}
	for c := range slices.Chunk(changes, publishChunk) {
		if err := r.publish(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// refetchSince publishes every record of o.obj modified at or after
// o.since, deleted ones included.
func (r *Refetcher) refetchSince(ctx context.Context, o overflow) error {
	where := "SystemModstamp >= " + soql.FormatDateTime(o.since)
	changes := make([]publish.Change, 0, publishChunk)
	for row, err := range r.cfg.Source.Query(ctx, o.obj, where, true) {
		if err != nil {
			return fmt.Errorf("re-fetch %s after overflow: %w", o.obj.Name, err)
		}
		changes = append(changes, Change(o.obj, row, o.version))
		if len(changes) == publishChunk {
			if err := r.publish(ctx, changes); err != nil {
				return err
			}
			changes = changes[:0]
		}
	}
	return r.publish(ctx, changes)
}

func (r *Refetcher) publish(ctx context.Context, changes []publish.Change) error {
	if err := r.cfg.Publisher.Publish(ctx, changes); err != nil {
		return err
	}
	for _, c := range changes {
		r.m.published.WithLabelValues(c.Object.Name, c.Type.String()).Inc()
	}
	return nil
}

// Change returns the corrective envelope for row at version v: a
// SNAPSHOT of a live record, a DELETE of a deleted one (keyed by its
// last partition key).
func Change(obj *mapping.Object, row source.Row, v publish.Version) publish.Change {
	c := publish.Change{Object: obj, RecordID: row.ID, Type: envelope.ChangeSnapshot, Values: row.Values,
		Version: v, Modstamp: row.Modstamp}
	if row.Deleted {
		c.Type = envelope.ChangeDelete
	}
	return c
}

// handleRequests runs the reconcile callback for the objects of every
// Pub/Sub topic the reconcile requests in msgs name.
func (r *Refetcher) handleRequests(ctx context.Context, msgs []kafka.Message) error {
	var subs []string
	reasons := map[string]string{}
	for _, msg := range msgs {
		if msg.Value == nil {
			continue // a tombstone: nothing asked
		}
		cp, err := r.cfg.Checkpoints.Decode(msg.Value)
		if err != nil {
			r.skip(msg, "decode", err)
			continue
		}
		if !cp.GapSuspected {
			continue
		}
		if _, ok := reasons[cp.Subscription]; !ok {
			subs = append(subs, cp.Subscription)
		}
		// The producer and the consumer ask; ProducerID names the asker.
		reasons[cp.Subscription] = fmt.Sprintf("%s asks to reconcile %s: %s", cp.ProducerID, cp.Subscription, cp.GapReason)
	}
	for _, sub := range subs {
		objs := r.cfg.Mapping.TopicObjects(sub)
		if len(objs) == 0 {
			r.log.Warn("refetch: reconcile request for a topic no mapped object streams", "subscription", sub)
			continue
		}
		names := make([]string, len(objs))
		for i, o := range objs {
			names[i] = o.Name
		}
		r.log.Info("reconciling on request", "subscription", sub, "objects", names, "reason", reasons[sub])
		if err := r.cfg.Reconcile(ctx, objs, reasons[sub]); err != nil {
			return fmt.Errorf("reconcile %s: %w", strings.Join(names, ", "), err)
		}
		r.m.requests.WithLabelValues(sub).Inc()
	}
	return nil
}
