package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/consumer/internal/connect"
	"github.com/sfsync/sfsync/consumer/internal/store"
	"github.com/sfsync/sfsync/platform/endpoint"
	"github.com/sfsync/sfsync/platform/metric"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/latest"
)

// BootstrapOptions are the flags of "sfsync-consumer bootstrap".
type BootstrapOptions struct {
	// Suffix names the latest-state topics; default latest.Suffix.
	Suffix string
	// PositionGroup is the Kafka group under which the reconciler commits
	// the position of the latest-state topics; default
	// latest.PositionGroup.
	PositionGroup string
	// Follow runs the consumer once the database is filled.
	Follow bool
}

// progressGroup is the key, in the offsets table, of a bootstrap's
// progress through the latest-state topics: it is stored in the
// transaction that applies what was read, as the consumer stores its own.
func progressGroup(group string) string { return group + "/bootstrap" }

// Bootstrap fills an empty database from the reconciler's latest-state
// topics, then, with o.Follow, runs the consumer ([Run]) from the
// position where the latest-state topics end. It makes no Salesforce
// call. Cancelled, it returns nil; run again, it resumes.
//
// The first run fixes the plan, in this order: it fetches the position
// the reconciler committed under o.PositionGroup (per partition of each
// consumed topic, every envelope before it has its effect in the
// latest-state topic), then the end offsets of the latest-state topics,
// and records both with the check that the database is empty, in one
// transaction; a database holding rows of the mapped tables or offsets
// of the group is refused ([store.ErrNotEmpty]). It then reads each
// latest-state partition to its end offset and applies the records as
// the consumer applies envelopes (version guards), storing its progress
// in the same transactions, and finally stores the position as the
// group's offsets. A run after a kill resumes the same plan where it
// stopped; a run after the bootstrap finished reads nothing.
//
// Why nothing is lost or applied twice in effect: the latest-state
// topics, read after the position was fetched, hold the effect of every
// envelope before the position; the consumer then reads every envelope
// from it. Each latest-state record is applied with the versions of its
// fields (header sfsync-versions), so the row holds the cells sfsync's
// database held, versions included; the version guards keep the newest
// change of each cell whatever the order, so an envelope read twice (its
// effect in a latest-state record, and again from its topic) changes
// nothing, and one the record does not hold is applied, even when older
// than the record's newest field.
func Bootstrap(ctx context.Context, cfg *config.Config, o BootstrapOptions, log *slog.Logger, reg *prometheus.Registry) error {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if o.Suffix == "" {
		o.Suffix = latest.Suffix
	}
	if o.PositionGroup == "" {
		o.PositionGroup = latest.PositionGroup
	}
	m := newBootstrapMetrics(reg)
	srv, err := endpoint.Serve(cfg.MetricsAddr, reg, func(context.Context) error {
		return errors.New("bootstrapping: not consuming yet")
	}, log)
	if err != nil {
		return err
	}
	err = fill(ctx, cfg, o, log, m)
	srv.Stop()
	select {
	case <-ctx.Done(): // a signal: whatever fill returned, it resumes
		log.Info("bootstrap: stopped; run it again to resume")
		return nil
	default:
	}
	if err != nil || !o.Follow {
		return err
	}
	return Run(ctx, cfg, log, reg)
}

// bootstrapMetrics are the bootstrap's metrics.
type bootstrapMetrics struct {
	records   *prometheus.CounterVec
	remaining prometheus.Gauge
	finished  prometheus.Gauge
}

func newBootstrapMetrics(reg prometheus.Registerer) *bootstrapMetrics {
	m := &bootstrapMetrics{
		records: metric.CounterVec("sfsync_consumer_bootstrap_records_total",
			"Records read from the latest-state topics by the bootstrap, by topic.", "topic"),
		remaining: metric.Gauge("sfsync_consumer_bootstrap_remaining_records",
			"Offsets of the latest-state topics the bootstrap has still to read (compacted-away records included)."),
		finished: metric.Gauge("sfsync_consumer_bootstrap_finished",
			"1 once the bootstrap has filled the database and stored the position to follow from."),
	}
	reg.MustRegister(m.records, m.remaining, m.finished)
	return m
}

// fill runs the bootstrap itself.
func fill(ctx context.Context, cfg *config.Config, o BootstrapOptions, log *slog.Logger, m *bootstrapMetrics) error {
	pool, err := connect.Postgres(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool, cfg.Mapping)
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("postgresql schema: %w", err)
	}
	group := cfg.Kafka.Group
	plan, finished, err := st.Bootstrap(ctx, group)
	if err != nil {
		return err
	}
	if finished {
		m.finished.Set(1)
		log.Info("bootstrap: already finished for this group and database; nothing to read", "group", group, "started", plan.Started)
		return nil
	}
	transport, dialer, err := cfg.Kafka.Clients()
	if err != nil {
		return err
	}
	client := connect.Client(cfg, transport)
	if plan == nil {
		if plan, err = bootstrapPlan(ctx, cfg, o, client); err != nil {
			return err
		}
		if err := st.StartBootstrap(ctx, group, plan); err != nil {
			if errors.Is(err, store.ErrNotEmpty) {
				return fmt.Errorf("bootstrap fills an empty database only, and %w; bootstrap into a new database (or schema), "+
					"or run the consumer without bootstrap to follow from where this one stands", err)
			}
			return err
		}
		log.Info("bootstrap: started", "group", group, "read_to", plan.ReadTo, "follow_from", plan.FollowFrom)
	} else {
		log.Info("bootstrap: resuming the bootstrap started earlier", "group", group, "started", plan.Started)
	}
	// The latest-state topics carry the registry's framing when the
	// reconciler has a registry: the codec reads both.
	codec, err := cfg.SchemaRegistry.EnvelopeCodec()
	if err != nil {
		return err
	}
	b := &bootstrapper{cfg: cfg, st: st, codec: codec, dialer: dialer, log: log, m: m, entities: map[string][]string{}}
	for _, obj := range cfg.Mapping.Objects {
		l := latest.Topic(obj.KafkaTopic, o.Suffix)
		b.entities[l] = append(b.entities[l], obj.Name)
	}
	if err := b.readAll(ctx, plan); err != nil {
		return err
	}
	var offsets []store.Offset
	for topic, parts := range plan.FollowFrom {
		for p, next := range parts {
			if next > 0 {
				offsets = append(offsets, store.Offset{Topic: topic, Partition: p, Next: next})
			}
		}
	}
	if err := st.FinishBootstrap(ctx, group, offsets); err != nil {
		return fmt.Errorf("bootstrap: store the position: %w", err)
	}
	m.finished.Set(1)
	return nil
}

// bootstrapPlan fetches the position of each consumed topic, then the end
// offsets of their latest-state topics.
func bootstrapPlan(ctx context.Context, cfg *config.Config, o BootstrapOptions, client *kafka.Client) (*store.BootstrapPlan, error) {
	brokers := strings.Join(cfg.Kafka.Brokers, ",")
	topics := slices.Clone(cfg.Kafka.Topics)
	var latestTopics []string
	for _, t := range topics {
		latestTopics = append(latestTopics, latest.Topic(t, o.Suffix))
	}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: append(slices.Clone(topics), latestTopics...)})
	if err != nil {
		return nil, fmt.Errorf("bootstrap: kafka at %s: %w", brokers, err)
	}
	parts := map[string][]int{}
	for _, t := range md.Topics {
		if t.Error != nil {
			continue
		}
		for _, p := range t.Partitions {
			parts[t.Name] = append(parts[t.Name], p.ID)
		}
	}
	for i, t := range topics {
		if len(parts[t]) == 0 {
			return nil, fmt.Errorf("bootstrap: kafka at %s has no topic %s", brokers, t)
		}
		if len(parts[latestTopics[i]]) == 0 {
			return nil, fmt.Errorf("bootstrap: kafka at %s has no latest-state topic %s: the reconciler creates and fills it (compact.enabled, kafka.compacted_suffix %q)",
				brokers, latestTopics[i], o.Suffix)
		}
	}
	// The position first: the latest-state records read afterwards hold
	// the effect of every envelope before it.
	req := &kafka.OffsetFetchRequest{GroupID: o.PositionGroup, Topics: map[string][]int{}}
	for _, t := range topics {
		req.Topics[t] = parts[t]
	}
	fetched, err := fetchPosition(ctx, client, req)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: fetch the position of the latest-state topics (group %s) from kafka at %s: %w", o.PositionGroup, brokers, err)
	}
	plan := &store.BootstrapPlan{ReadTo: map[string]map[int]int64{}, FollowFrom: map[string]map[int]int64{}, Started: time.Now().UTC()}
	for _, t := range topics {
		plan.FollowFrom[t] = map[int]int64{}
		got := map[int]int64{}
		for _, p := range fetched.Topics[t] {
			if p.Error != nil {
				return nil, fmt.Errorf("bootstrap: fetch the position of %s/%d (group %s): %w", t, p.Partition, o.PositionGroup, p.Error)
			}
			got[p.Partition] = p.CommittedOffset
		}
		for _, p := range parts[t] {
			off, ok := got[p]
			if !ok || off < 0 {
				return nil, fmt.Errorf("bootstrap: no position for %s partition %d under group %s: the reconciler commits it after each pass over the tables "+
					"(compact.enabled); is a reconciler of this version running beside the consumer?", t, p, o.PositionGroup)
			}
			plan.FollowFrom[t][p] = off
		}
	}
	// Then the end offsets of the latest-state topics.
	lreq := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, l := range latestTopics {
		for _, p := range parts[l] {
			lreq.Topics[l] = append(lreq.Topics[l], kafka.LastOffsetOf(p))
		}
	}
	listed, err := client.ListOffsets(ctx, lreq)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: end offsets of the latest-state topics from kafka at %s: %w", brokers, err)
	}
	for _, l := range latestTopics {
		plan.ReadTo[l] = map[int]int64{}
		for _, p := range listed.Topics[l] {
			if p.Error != nil {
				return nil, fmt.Errorf("bootstrap: end offset of %s/%d: %w", l, p.Partition, p.Error)
			}
			plan.ReadTo[l][p.Partition] = p.LastOffset
		}
	}
	return plan, nil
}

// bootstrapper reads the latest-state topics into the store.
type bootstrapper struct {
	cfg    *config.Config
	st     *store.Store
	codec  *envelope.Codec
	dialer *kafka.Dialer
	log    *slog.Logger
	m      *bootstrapMetrics
	// entities names the mapped objects of each latest-state topic.
	entities map[string][]string

	read      atomic.Int64 // records read
	remaining atomic.Int64 // offsets left to read
}

// readAll reads every latest-state partition of plan from its stored
// progress to its end offset, batch.lanes partitions at once, logging
// the progress every 5s.
func (b *bootstrapper) readAll(ctx context.Context, plan *store.BootstrapPlan) error {
	type work struct {
		topic      string
		part       int
		from, upTo int64
	}
	var todo []work
	for _, topic := range slices.Sorted(maps.Keys(plan.ReadTo)) {
		done, err := b.st.Offsets(ctx, progressGroup(b.cfg.Kafka.Group), topic)
		if err != nil {
			return err
		}
		for _, p := range slices.Sorted(maps.Keys(plan.ReadTo[topic])) {
			w := work{topic: topic, part: p, from: done[p], upTo: plan.ReadTo[topic][p]}
			if w.from < w.upTo {
				todo = append(todo, w)
				b.remaining.Add(w.upTo - w.from)
			}
		}
	}
	b.m.remaining.Set(float64(b.remaining.Load()))
	start := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				n := b.read.Load()
				b.log.Info("bootstrap: progress", "records", n, "remaining_offsets", b.remaining.Load(),
					"records_per_second", int(float64(n)/time.Since(start).Seconds()))
			}
		}
	}()
	// batch.lanes partitions at once, as the consumer applies them.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan work)
	lanes := max(b.cfg.Batch.Lanes, 1)
	errs := make(chan error, lanes)
	var wg sync.WaitGroup
	for range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range queue {
				if err := b.readPartition(ctx, w.topic, w.part, w.from, w.upTo); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		}()
	}
	for _, w := range todo {
		select {
		case queue <- w:
		case <-ctx.Done():
		}
	}
	close(queue)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	took := time.Since(start)
	n := b.read.Load()
	b.log.Info("bootstrap: latest-state topics read", "records", n, "seconds", took.Seconds(),
		"records_per_second", int(float64(n)/max(took.Seconds(), 1e-3)))
	return nil
}

// readPartition reads one latest-state partition from offset from to
// upTo (excluded) and applies it in batches of batch.size records.
// Records compacted away are skipped: a fetch that returns no record
// means none is left before upTo.
func (b *bootstrapper) readPartition(ctx context.Context, topic string, part int, from, upTo int64) error {
	var conn *kafka.Conn
	var err error
	for _, broker := range b.cfg.Kafka.Brokers {
		if conn, err = b.dialer.DialLeader(ctx, "tcp", broker, topic, part); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("bootstrap: leader of %s/%d: %w", topic, part, err)
	}
	defer conn.Close()
	first, _, err := conn.ReadOffsets()
	if err != nil {
		return fmt.Errorf("bootstrap: offsets of %s/%d: %w", topic, part, err)
	}
	off := max(from, first)
	b.remaining.Add(-(off - from))
	var chunk []kafka.Message
	flush := func(next int64) error {
		if err := b.apply(ctx, topic, part, chunk, next); err != nil {
			return err
		}
		b.remaining.Add(-(next - off))
		b.m.remaining.Set(float64(b.remaining.Load()))
		off, chunk = next, chunk[:0]
		return nil
	}
	for off < upTo {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := conn.Seek(off, kafka.SeekAbsolute); err != nil {
			return fmt.Errorf("bootstrap: seek %s/%d to %d: %w", topic, part, off, err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		batch := conn.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 500 * time.Millisecond})
		read, next := 0, off
		for {
			msg, err := batch.ReadMessage()
			if err != nil {
				break
			}
			if msg.Offset < next || msg.Offset >= upTo {
				continue
			}
			read++
			next = msg.Offset + 1
			chunk = append(chunk, msg)
			if len(chunk) >= b.cfg.Batch.Size {
				if err := flush(next); err != nil {
					_ = batch.Close()
					return err
				}
			}
		}
		if err := batch.Close(); err != nil {
			return fmt.Errorf("bootstrap: read %s/%d at %d: %w", topic, part, next, err)
		}
		if read == 0 {
			next = upTo // compaction removed every record from here to upTo
		}
		if len(chunk) > 0 || next > off {
			if err := flush(next); err != nil {
				return err
			}
		}
	}
	return nil
}

// apply applies the records of one chunk of a latest-state partition, and
// stores next as its progress in the same transaction: the last record
// of each key wins; a tombstone removes the record.
func (b *bootstrapper) apply(ctx context.Context, topic string, part int, msgs []kafka.Message, next int64) error {
	last := make(map[string]int, len(msgs))
	for i, msg := range msgs {
		last[string(msg.Key)] = i
	}
	var envs []*envelope.Envelope
	var versions []*latest.Versions
	var gone []string
	for i, msg := range msgs {
		key := string(msg.Key)
		if last[key] != i {
			continue
		}
		if msg.Value == nil {
			gone = append(gone, key)
			continue
		}
		e, err := b.codec.Decode(msg.Value)
		if err != nil {
			return fmt.Errorf("bootstrap: %s/%d offset %d: %w", topic, part, msg.Offset, err)
		}
		if !b.st.Maps(e.Entity) {
			continue // an object this consumer does not map
		}
		vs, err := headerVersions(msg)
		if err != nil {
			return fmt.Errorf("bootstrap: %s/%d offset %d: %w", topic, part, msg.Offset, err)
		}
		envs, versions = append(envs, e), append(versions, vs)
	}
	b.read.Add(int64(len(msgs)))
	b.m.records.WithLabelValues(topic).Add(float64(len(msgs)))
	if err := b.st.Remove(ctx, b.entities[topic], gone); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	_, err := b.st.Apply(ctx, store.Batch{Group: progressGroup(b.cfg.Kafka.Group), Envelopes: envs, Versions: versions,
		Offsets: []store.Offset{{Topic: topic, Partition: part, Next: next}}})
	if err != nil {
		return fmt.Errorf("bootstrap: apply %s/%d up to %d: %w", topic, part, next, err)
	}
	return nil
}

// headerVersions returns the versions of a latest-state record's fields
// from its header, or nil when it has none (a reconciler before the
// header): the SNAPSHOT is then applied at its own version.
func headerVersions(msg kafka.Message) (*latest.Versions, error) {
	for _, h := range msg.Headers {
		if h.Key == latest.HeaderVersions {
			var vs latest.Versions
			if err := json.Unmarshal(h.Value, &vs); err != nil {
				return nil, fmt.Errorf("header %s: %w", latest.HeaderVersions, err)
			}
			return &vs, nil
		}
	}
	return nil, nil
}

// fetchPosition fetches the committed offsets of req's group, asking
// again for up to a minute while Kafka answers with a temporary error:
// on a new cluster, the first group request meets a coordinator that is
// not yet chosen or still loading ("Not Coordinator For Group").
func fetchPosition(ctx context.Context, client *kafka.Client, req *kafka.OffsetFetchRequest) (*kafka.OffsetFetchResponse, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		fetched, err := client.OffsetFetch(ctx, req)
		if err == nil {
			err = fetched.Error
		}
		var kerr kafka.Error
		if err == nil || !errors.As(err, &kerr) || !kerr.Temporary() || time.Now().After(deadline) {
			return fetched, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
