package compact

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/platform/kafkaconf"
	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/reconciler/internal/watermark"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/latest"
	"github.com/sfsync/sfsync/schemas/mapping"
	"github.com/sfsync/sfsync/schemas/tablelayout"
)

// Table is the reconciler's table of watermarks, one row per object and
// latest-state topic.
const Table = "sfsync_reconciler_compact"

// DefaultSuffix is appended to an object's Kafka topic to name its
// latest-state topic.
const DefaultSuffix = latest.Suffix

// DefaultPositionGroup is the Kafka consumer group under which the
// position of the latest-state topics is committed (see [Config]).
const DefaultPositionGroup = latest.PositionGroup

// consumerOffsets is the consumer's table of applied offsets, read in
// the same snapshot as the rows.
const consumerOffsets = tablelayout.OffsetsTable

// Origin is the source channel of the envelopes in latest-state topics.
const Origin = envelope.ReconcilerOrigin + "compact"

// TopicName returns the latest-state topic of obj: its Kafka topic
// followed by suffix, or by [DefaultSuffix] when suffix is "".
func TopicName(obj *mapping.Object, suffix string) string {
	return latest.Topic(obj.KafkaTopic, suffix)
}

// DB runs SQL; *pgxpool.Pool is one.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Writer writes Kafka records; *kafka.Writer is one.
type Writer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Config configures a [Compactor].
type Config struct {
	// Mapping names the objects; every one gets a latest-state topic.
	// Required.
	Mapping *mapping.Mapping
	// DB is the consumer's PostgreSQL database. Required.
	DB DB
	// Codec encodes the envelopes. Required.
	Codec *envelope.Codec
	// OrgID is the Salesforce org id put in the envelopes.
	OrgID string
	// Brokers are the Kafka bootstrap addresses. Required.
	Brokers []string
	// Transport carries admin requests and, when Writer is nil, the
	// writes. Default: kafka.DefaultTransport.
	Transport kafka.RoundTripper
	// Writer writes the latest-state records; it must hash keys to
	// partitions consistently. Default: publish.NewWriter(Brokers,
	// Transport).
	Writer Writer
	// Suffix names the latest-state topics (see [TopicName]). Default:
	// [DefaultSuffix].
	Suffix string
	// PositionGroup is the Kafka consumer group, joined by no one, under
	// which each pass commits the position of the latest-state topics
	// (see the package doc). Default: [DefaultPositionGroup].
	PositionGroup string
	// Partitions is the partition count of the topics EnsureTopics
	// creates. Default: that of the object's Kafka topic, or 1 when it
	// does not exist.
	Partitions int
	// ReplicationFactor of the topics EnsureTopics creates. Default: the
	// number of brokers, at most 3.
	ReplicationFactor int
	// Interval is the time between passes over the tables. Default: 5s.
	Interval time.Duration
	// Overlap is how far before the watermark each pass starts reading.
	// It must exceed the longest consumer transaction, which the
	// consumer's batch.timeout (1m by default) bounds. Default: 2m.
	Overlap time.Duration
	// BatchSize is the most records written to Kafka at once. Default:
	// 1000.
	BatchSize int
	// Logger logs. Default: slog.Default().
	Logger *slog.Logger
	// Registerer registers the metrics; nil records none.
	Registerer prometheus.Registerer
}

// Validate reports a missing required field.
func (c *Config) Validate() error {
	return watermark.Required("compact", watermark.Need("mapping", c.Mapping != nil), watermark.Need("database", c.DB != nil),
		watermark.Need("codec", c.Codec != nil), watermark.Need("brokers", len(c.Brokers) > 0))
}

func (c *Config) setDefaults() {
	if c.Transport == nil {
		c.Transport = kafka.DefaultTransport
	}
	if c.Writer == nil && len(c.Brokers) > 0 {
		c.Writer = publish.NewWriter(c.Brokers, c.Transport)
	}
	if c.Suffix == "" {
		c.Suffix = DefaultSuffix
	}
	if c.PositionGroup == "" {
		c.PositionGroup = DefaultPositionGroup
	}
	watermark.Default(&c.Interval, 5*time.Second)
	watermark.Default(&c.Overlap, 2*time.Minute)
	watermark.Default(&c.BatchSize, 1000)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// ErrNotCompacted is returned by [Compactor.EnsureTopics] for an existing
// latest-state topic whose cleanup.policy is not compact.
var ErrNotCompacted = errors.New("latest-state topic is not compacted")

// Compactor maintains the latest-state topics. Its methods must not be
// called concurrently.
type Compactor struct {
	cfg   Config
	log   *slog.Logger
	m     *metrics
	marks *watermark.Table
	// state holds the watermark of each object, by _sf_synced_at.
	state map[*mapping.Object]*watermark.Mark
}

// marks describes the table of watermarks, [Table].
var marks = watermark.Spec{Name: Table, Keys: []string{"object", "topic"}, Column: "watermark"}

// New checks cfg, fills in its defaults and returns a Compactor.
func New(cfg Config) (*Compactor, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	c := &Compactor{cfg: cfg, log: cfg.Logger, m: m, marks: watermark.NewTable(cfg.DB, marks), state: map[*mapping.Object]*watermark.Mark{}}
	for _, o := range cfg.Mapping.Objects {
		c.state[o] = &watermark.Mark{}
	}
	return c, nil
}

// Topic returns the latest-state topic of obj.
func (c *Compactor) Topic(obj *mapping.Object) string { return TopicName(obj, c.cfg.Suffix) }

// Run makes sure the topics exist and are compacted, then follows
// PostgreSQL every Interval until ctx ends, and returns nil. It returns
// an error when a topic cannot be created or is not compacted
// ([ErrNotCompacted]); a failed pass is logged and retried at the next
// interval.
func (c *Compactor) Run(ctx context.Context) error {
	if err := c.EnsureTopics(ctx); err != nil {
		return err
	}
	watermark.Every(ctx, c.cfg.Interval, c.Sync)
	return nil
}

// Sync makes one pass over every object's table, then commits the
// position of the envelope topics whose objects all passed (see
// [Compactor.CommitPositions]), and returns the errors of the objects
// that failed and of the commits, joined.
func (c *Compactor) Sync(ctx context.Context) error {
	positions := map[string]map[int]int64{}
	complete := map[string]bool{}
	pass := watermark.Pass{Failures: c.m.failures, Log: c.log, Message: "compact: pass failed; retrying at the next interval"}
	err := pass.Run(ctx, c.cfg.Mapping.Objects, func(ctx context.Context, o *mapping.Object) error {
		pos, err := c.syncObject(ctx, o)
		mergePosition(positions, complete, o.KafkaTopic, pos, err == nil)
		return err
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	errs := []error{err}
	for topic, ok := range complete {
		if !ok {
			delete(positions, topic)
		}
	}
	if err := c.CommitPositions(ctx, positions); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.log.Error("compact: committing the position failed; retrying after the next pass", "group", c.cfg.PositionGroup, "err", err)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// mergePosition adds pos, the position of topic one object's pass
// reached, to positions; complete records whether every object of the
// topic passed (ok) with a position.
func mergePosition(positions map[string]map[int]int64, complete map[string]bool, topic string, pos map[int]int64, ok bool) {
	prev, seen := positions[topic]
	if _, ok := complete[topic]; !ok {
		complete[topic] = true
	}
	if !ok || pos == nil {
		complete[topic] = false
		return
	}
	if !seen {
		positions[topic] = pos
		return
	}
	// Objects sharing a topic: the topic's position is the smallest of
	// theirs, and a partition one of them does not cover is at 0.
	for p, next := range prev {
		if n, ok := pos[p]; ok {
			prev[p] = min(next, n)
		} else {
			delete(prev, p)
		}
	}
}

// CommitPositions commits, under [Config.PositionGroup], the position
// of each envelope topic of positions: every partition the map names at
// its offset, every other partition of the topic at 0.
func (c *Compactor) CommitPositions(ctx context.Context, positions map[string]map[int]int64) error {
	if len(positions) == 0 {
		return nil
	}
	client := &kafka.Client{Addr: kafka.TCP(c.cfg.Brokers...), Transport: c.cfg.Transport, Timeout: 30 * time.Second}
	topics := make([]string, 0, len(positions))
	for t := range positions {
		topics = append(topics, t)
	}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return fmt.Errorf("compact: partitions of %s: %w", strings.Join(topics, ","), err)
	}
	commits := map[string][]kafka.OffsetCommit{}
	for _, t := range md.Topics {
		if t.Error != nil {
			continue // not created yet: no position to give
		}
		for _, p := range t.Partitions {
			commits[t.Name] = append(commits[t.Name], kafka.OffsetCommit{Partition: p.ID, Offset: positions[t.Name][p.ID]})
		}
	}
	if len(commits) == 0 {
		return nil
	}
	resp, err := client.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: c.cfg.PositionGroup, GenerationID: -1, Topics: commits})
	if err != nil {
		return fmt.Errorf("compact: commit the position under group %s: %w", c.cfg.PositionGroup, err)
	}
	for topic, parts := range resp.Topics {
		for _, p := range parts {
			if p.Error != nil {
				return fmt.Errorf("compact: commit the position of %s/%d under group %s: %w", topic, p.Partition, c.cfg.PositionGroup, p.Error)
			}
		}
	}
	return nil
}

// SyncObject publishes the rows of obj's table synced since the last
// pass to its latest-state topic. A table the consumer has not created
// yet is skipped.
func (c *Compactor) SyncObject(ctx context.Context, obj *mapping.Object) error {
	_, err := c.syncObject(ctx, obj)
	return err
}

// syncObject is SyncObject, which also returns the position of obj's
// Kafka topic the pass reached: the consumer's next offset of each
// partition, the greatest of its groups', read in the same snapshot as
// the rows, so that the rows published in this pass and the passes
// before hold the effect of every envelope before it. It is nil when the
// table or the consumer's offsets do not exist yet.
func (c *Compactor) syncObject(ctx context.Context, obj *mapping.Object) (map[int]int64, error) {
	st, ok := c.state[obj]
	if !ok {
		return nil, fmt.Errorf("compact %s: not an object of the mapping", obj.Name)
	}
	topic := c.Topic(obj)
	if err := c.marks.Load(ctx, st, obj.Name, topic); err != nil {
		return nil, fmt.Errorf("compact %s: read watermark: %w", obj.Name, err)
	}
	from := st.From(c.cfg.Overlap)
	q := fmt.Sprintf(`SELECT %s, %s, %s, %s, %s, %s, %s
FROM %s WHERE %s > $1 ORDER BY %[7]s`, selectList(obj), tablelayout.Deleted, tablelayout.BaseCommit, tablelayout.BaseSeq,
		tablelayout.Versions, tablelayout.CommitTimestamp, tablelayout.SyncedAt, pgx.Identifier{obj.Table}.Sanitize(), tablelayout.SyncedAt)
	// One snapshot for the consumer's offsets and the rows: a consumer
	// transaction writes its rows and its offsets together.
	tx, err := c.cfg.DB.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("compact %s: %w", obj.Name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	position, err := readPosition(ctx, tx, obj.KafkaTopic)
	if err != nil {
		return nil, fmt.Errorf("compact %s: %w", obj.Name, err)
	}
	rows, err := tx.Query(ctx, q, from)
	if undefinedTable(err) {
		c.log.Debug("compact: no table yet", "object", obj.Name, "table", obj.Table)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("compact %s: %w", obj.Name, err)
	}
	defer rows.Close()
	keyIdx := -1
	for i, f := range obj.Fields {
		if f.Name == obj.Key {
			keyIdx = i
		}
	}
	n := len(obj.Fields)
	text := make([]*string, n)
	var (
		deleted    bool
		base       publish.Version
		versions   []byte
		commitTS   *time.Time
		syncedAt   time.Time
		batch      []kafka.Message
		batchSeen  = map[string]time.Time{}
		batchWater time.Time
		tombstones int
	)
	dest := make([]any, 0, n+6)
	for i := range text {
		dest = append(dest, &text[i])
	}
	dest = append(dest, &deleted, &base.Commit, &base.Seq, &versions, &commitTS, &syncedAt)
	flush := func() error {
		if len(batch) > 0 {
			if err := c.cfg.Writer.WriteMessages(ctx, batch...); err != nil {
				return fmt.Errorf("compact %s: write %s: %w", obj.Name, topic, err)
			}
			c.m.published.WithLabelValues(obj.Name, "state").Add(float64(len(batch) - tombstones))
			c.m.published.WithLabelValues(obj.Name, "tombstone").Add(float64(tombstones))
		}
		moved, err := c.marks.Advance(ctx, st, batchWater, batchSeen, c.cfg.Overlap, obj.Name, topic)
		if err != nil {
			return fmt.Errorf("compact %s: store watermark: %w", obj.Name, err)
		}
		if moved {
			c.m.watermark.WithLabelValues(obj.Name).Set(float64(batchWater.UnixMicro()) / 1e6)
		}
		batch, batchSeen, tombstones = batch[:0], map[string]time.Time{}, 0
		return nil
	}
	now := time.Now()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("compact %s: %w", obj.Name, err)
		}
		if text[keyIdx] == nil {
			continue
		}
		id := *text[keyIdx]
		if syncedAt.After(batchWater) {
			batchWater = syncedAt
		}
		if st.Published(id, syncedAt) {
			continue
		}
		batchSeen[id] = syncedAt
		msg := kafka.Message{Topic: topic, Key: []byte(id)}
		if deleted {
			tombstones++
		} else {
			e, err := c.envelope(obj, id, text, base, versions, commitTS, now)
			if err != nil {
				return nil, err
			}
			if msg.Value, err = c.cfg.Codec.EncodeTo(nil, topic, e); err != nil {
				return nil, fmt.Errorf("compact %s %s: %w", obj.Name, id, err)
			}
			msg.Headers = []kafka.Header{{Key: latest.HeaderVersions, Value: versionsHeader(base, versions)}}
		}
		batch = append(batch, msg)
		if len(batch) >= c.cfg.BatchSize {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("compact %s: %w", obj.Name, err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return position, nil
}

// readPosition returns the consumer's next offset of each partition of
// topic, the greatest of its groups' (each group's offsets say what it
// has applied to these tables), or nil when the consumer has not created
// its offsets table yet.
func readPosition(ctx context.Context, tx pgx.Tx, topic string) (map[int]int64, error) {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, consumerOffsets).Scan(&exists); err != nil {
		return nil, fmt.Errorf("look for the consumer's offsets: %w", err)
	}
	if !exists {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT partition, max(next_offset) FROM `+consumerOffsets+` WHERE topic = $1 GROUP BY partition`, topic)
	if err != nil {
		return nil, fmt.Errorf("read the consumer's offsets: %w", err)
	}
	defer rows.Close()
	out := map[int]int64{}
	for rows.Next() {
		var p int32
		var next int64
		if err := rows.Scan(&p, &next); err != nil {
			return nil, fmt.Errorf("read the consumer's offsets: %w", err)
		}
		out[int(p)] = next
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the consumer's offsets: %w", err)
	}
	return out, nil
}

// envelope builds the SNAPSHOT envelope of a live row.
func (c *Compactor) envelope(obj *mapping.Object, id string, text []*string, base publish.Version, versions []byte, commitTS *time.Time, now time.Time) (*envelope.Envelope, error) {
	v, err := publish.Newest(base, versions)
	if err != nil {
		return nil, fmt.Errorf("compact %s %s: %w", obj.Name, id, err)
	}
	e := &envelope.Envelope{
		EventID: fmt.Sprintf("%s/%d.%d", Origin, v.Commit, v.Seq), OrgID: c.cfg.OrgID, SourceChannel: Origin,
		Entity: obj.Name, RecordID: id, ChangeType: envelope.ChangeSnapshot,
		CommitNumber: v.Commit, SequenceNumber: v.Seq, ProducedAt: now, PartitionKey: id,
		Values: make(map[string]envelope.Value, len(obj.Fields)), ChangedFields: make([]string, 0, len(obj.Fields)),
	}
	if commitTS != nil {
		e.CommitTimestamp = *commitTS
	}
	for i, f := range obj.Fields {
		val, err := fieldValue(f, text[i])
		if err != nil {
			return nil, fmt.Errorf("compact %s %s: column %s: %w", obj.Name, id, f.Column, err)
		}
		e.Values[f.Name] = val
		e.ChangedFields = append(e.ChangedFields, f.Name)
		if f.Name == obj.PartitionKey && obj.PartitionKey != obj.Key {
			if s, ok := val.AsString(); ok && s != "" {
				e.PartitionKey = s
			}
		}
	}
	return e, nil
}

// versionsHeader returns the [latest.Versions] of a row as JSON: its
// base version and its _sf_versions column, whose cells are named as
// the header's.
func versionsHeader(base publish.Version, versions []byte) []byte {
	if len(versions) == 0 {
		versions = []byte("{}")
	}
	return fmt.Appendf(nil, `{"base":[%d,%d],"fields":%s}`, base.Commit, base.Seq, versions)
}

// resetWatermarks forgets the watermarks of topic, whose records are
// gone (a topic just created), so that every row is published again.
func (c *Compactor) resetWatermarks(ctx context.Context, topic string) error {
	if err := c.marks.Forget(ctx, "topic", topic); err != nil {
		return fmt.Errorf("reset watermarks of %s: %w", topic, err)
	}
	for o, st := range c.state {
		if c.Topic(o) == topic {
			st.Reset()
		}
	}
	return nil
}

// undefinedTable reports whether err says a table does not exist.
func undefinedTable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42P01"
}

// EnsureTopics creates the missing latest-state topics with
// cleanup.policy=compact and checks that the existing ones are compacted;
// one that is not stops it with an error wrapping [ErrNotCompacted] that
// names the topic and how to fix it.
func (c *Compactor) EnsureTopics(ctx context.Context) error {
	client := &kafka.Client{Addr: kafka.TCP(c.cfg.Brokers...), Transport: c.cfg.Transport, Timeout: 30 * time.Second}
	var topics []string
	streamTopic := map[string]string{} // latest-state topic → the object's Kafka topic
	for _, o := range c.cfg.Mapping.Objects {
		t := c.Topic(o)
		if _, ok := streamTopic[t]; !ok {
			topics = append(topics, t)
			streamTopic[t] = o.KafkaTopic
		}
	}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return fmt.Errorf("compact: kafka at %s: %w", strings.Join(c.cfg.Brokers, ","), err)
	}
	partitions := map[string]int{}
	for _, t := range md.Topics {
		if t.Error == nil {
			partitions[t.Name] = len(t.Partitions)
		}
	}
	var existing []string
	var create []kafka.TopicConfig
	for _, t := range topics {
		if _, ok := partitions[t]; ok {
			existing = append(existing, t)
			continue
		}
		n := c.cfg.Partitions
		if n <= 0 {
			n = max(1, partitions[streamTopic[t]])
		}
		rf := c.cfg.ReplicationFactor
		if rf <= 0 {
			rf = kafkaconf.ClusterReplication
		}
		create = append(create, kafka.TopicConfig{Topic: t, NumPartitions: n, ReplicationFactor: rf,
			ConfigEntries: []kafka.ConfigEntry{{ConfigName: "cleanup.policy", ConfigValue: "compact"}}})
	}
	if len(existing) > 0 {
		req := &kafka.DescribeConfigsRequest{}
		for _, t := range existing {
			req.Resources = append(req.Resources, kafka.DescribeConfigRequestResource{
				ResourceType: kafka.ResourceTypeTopic, ResourceName: t, ConfigNames: []string{"cleanup.policy"}})
		}
		resp, err := client.DescribeConfigs(ctx, req)
		if err != nil {
			return fmt.Errorf("compact: describe topics: %w", err)
		}
		for _, r := range resp.Resources {
			if r.Error != nil {
				return fmt.Errorf("compact: describe topic %s: %w", r.ResourceName, r.Error)
			}
			for _, e := range r.ConfigEntries {
				if e.ConfigName == "cleanup.policy" && !strings.Contains(e.ConfigValue, "compact") {
					return fmt.Errorf("compact: %w: topic %s exists with cleanup.policy=%s; set it with "+
						"kafka-configs.sh --alter --entity-type topics --entity-name %s --add-config cleanup.policy=compact, "+
						"or choose another suffix for the latest-state topics", ErrNotCompacted, r.ResourceName, e.ConfigValue, r.ResourceName)
				}
			}
		}
	}
	created, err := kafkaconf.CreateTopics(ctx, client, create) // one created meanwhile by another replica is no error
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	for _, t := range created {
		c.log.Info("created latest-state topic", "topic", t.Topic, "partitions", t.NumPartitions, "replication", t.ReplicationFactor)
		if err := c.resetWatermarks(ctx, t.Topic); err != nil {
			return err
		}
		if err := kafkaconf.WaitForLeaders(ctx, client, t.Topic, t.NumPartitions); err != nil {
			return fmt.Errorf("compact: %w", err)
		}
	}
	return nil
}
