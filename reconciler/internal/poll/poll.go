package poll

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/reconciler/internal/source"
	"github.com/sfsync/sfsync/reconciler/internal/watermark"
	"github.com/sfsync/sfsync/salesforce/soql"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
	"github.com/sfsync/sfsync/schemas/tablelayout"
)

// Table is the reconciler's table of high-water marks, one row per polled
// object.
const Table = "sfsync_reconciler_poll"

// Publisher publishes corrective envelopes; *publish.Publisher is one.
type Publisher interface {
	Publish(ctx context.Context, changes []publish.Change) error
}

// DB runs SQL; *pgxpool.Pool is one.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Config configures a [Poller].
type Config struct {
	// Mapping names the objects; those with Sync == mapping.SyncPoll are
	// polled. Required.
	Mapping *mapping.Mapping
	// Source reads records from Salesforce. Required.
	Source *source.Reader
	// Publisher publishes the envelopes, e.g. a publish.Publisher with
	// origin "reconciler/poll". Required.
	Publisher Publisher
	// DB is the consumer's PostgreSQL database: the Poller keeps its
	// high-water marks there and reads the polled tables' live ids.
	// Required.
	DB DB
	// Interval is the time between polls. Default: 1m.
	Interval time.Duration
	// Overlap is how far before the high-water mark each poll starts
	// reading, for records committed after others but stamped before
	// them. Default: 5s.
	Overlap time.Duration
	// HardDeleteEvery makes every Nth poll of an object, the first one
	// included, look for records deleted for good. Default: 10; negative
	// never looks.
	HardDeleteEvery int
	// MaxDeletes caps the DELETE envelopes one hard-delete check of an
	// object publishes: a check that finds more live rows missing from
	// Salesforce publishes none, logs an error and counts them in
	// sfsync_reconciler_poll_deletes_withheld_total. Default
	// publish.DefaultMaxDeletes; negative: no cap.
	MaxDeletes int
	// Logger logs. Default: slog.Default().
	Logger *slog.Logger
	// Registerer registers the metrics; nil records none.
	Registerer prometheus.Registerer
}

// Validate reports a missing required field.
func (c *Config) Validate() error {
	return watermark.Required("poll", watermark.Need("mapping", c.Mapping != nil), watermark.Need("Salesforce source", c.Source != nil),
		watermark.Need("publisher", c.Publisher != nil), watermark.Need("database", c.DB != nil))
}

func (c *Config) setDefaults() {
	watermark.Default(&c.Interval, time.Minute)
	watermark.Default(&c.Overlap, 5*time.Second)
	if c.HardDeleteEvery == 0 {
		c.HardDeleteEvery = 10
	}
	if c.MaxDeletes == 0 {
		c.MaxDeletes = publish.DefaultMaxDeletes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Poller polls the poll-only objects of a mapping. Its methods must not
// be called concurrently.
type Poller struct {
	cfg     Config
	log     *slog.Logger
	m       *metrics
	objects []*mapping.Object

	marks *watermark.Table
	state map[*mapping.Object]*objectState
}

// marks describes the table of high-water marks, [Table].
var marks = watermark.Spec{Name: Table, Keys: []string{"object"}, Column: "high_water", KeepGreatest: true}

// objectState is what the Poller remembers of an object between polls:
// its high-water mark, by SystemModstamp, and how many polls it made.
type objectState struct {
	watermark.Mark
	polls int
}

// New checks cfg, fills in its defaults and returns a Poller.
func New(cfg Config) (*Poller, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	p := &Poller{cfg: cfg, log: cfg.Logger, m: m, marks: watermark.NewTable(cfg.DB, marks), state: map[*mapping.Object]*objectState{}}
	for _, o := range cfg.Mapping.Objects {
		if o.Sync == mapping.SyncPoll {
			p.objects = append(p.objects, o)
			p.state[o] = &objectState{}
			p.m.deletesWithheld.WithLabelValues(o.Name) // exported from 0, so an increase shows
		}
	}
	return p, nil
}

// Objects returns the polled objects.
func (p *Poller) Objects() []*mapping.Object { return slices.Clone(p.objects) }

// Run polls every Interval, starting at once, until ctx ends, then
// returns nil. A failed poll of an object is logged and retried at the
// next interval. Run returns at once when the mapping has no poll-only
// object.
func (p *Poller) Run(ctx context.Context) error {
	if len(p.objects) == 0 {
		return nil
	}
	watermark.Every(ctx, p.cfg.Interval, p.Poll)
	return nil
}

// Poll polls every poll-only object once and returns the errors of those
// that failed, joined.
func (p *Poller) Poll(ctx context.Context) error {
	pass := watermark.Pass{Failures: p.m.failures, Log: p.log, Message: "poll failed; retrying at the next interval"}
	return pass.Run(ctx, p.objects, p.PollObject)
}

// PollObject polls obj once: it publishes what changed since the last
// poll and, every HardDeleteEvery polls, DELETE envelopes for records
// deleted for good.
func (p *Poller) PollObject(ctx context.Context, obj *mapping.Object) error {
	st, ok := p.state[obj]
	if !ok {
		return fmt.Errorf("poll %s: not a poll-only object of the mapping", obj.Name)
	}
	if err := p.marks.Load(ctx, &st.Mark, obj.Name); err != nil {
		return fmt.Errorf("read the high-water mark of %s: %w", obj.Name, err)
	}
	if err := p.pollChanges(ctx, obj, st); err != nil {
		return err
	}
	if n := p.cfg.HardDeleteEvery; n > 0 && st.polls%n == 0 {
		if err := p.hardDeletes(ctx, obj); err != nil {
			return err
		}
	}
	st.polls++
	p.m.lastPoll.WithLabelValues(obj.Name).SetToCurrentTime()
	return nil
}

// publishChunk is how many envelopes are published at once.
const publishChunk = 1000

func (p *Poller) pollChanges(ctx context.Context, obj *mapping.Object, st *objectState) error {
	where := ""
	if from := st.From(p.cfg.Overlap); !from.IsZero() {
		where = "SystemModstamp > " + soql.FormatDateTime(from)
	}
	hw := st.At
	published := map[string]time.Time{}
	changes := make([]publish.Change, 0, publishChunk)
	flush := func() error {
		if err := p.cfg.Publisher.Publish(ctx, changes); err != nil {
			return fmt.Errorf("poll %s: %w", obj.Name, err)
		}
		for _, c := range changes {
			p.m.published.WithLabelValues(obj.Name, c.Type.String()).Inc()
		}
		changes = changes[:0]
		return nil
	}
	for row, err := range p.cfg.Source.Query(ctx, obj, where, true) {
		if err != nil {
			return fmt.Errorf("poll %s: %w", obj.Name, err)
		}
		if row.Modstamp.After(hw) {
			hw = row.Modstamp
		}
		if st.Published(row.ID, row.Modstamp) {
			continue
		}
		published[row.ID] = row.Modstamp
		changes = append(changes, Change(obj, row))
		if len(changes) == publishChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	moved, err := p.marks.Advance(ctx, &st.Mark, hw, published, p.cfg.Overlap, obj.Name)
	if err != nil {
		return fmt.Errorf("store the high-water mark of %s: %w", obj.Name, err)
	}
	if moved {
		p.m.highWater.WithLabelValues(obj.Name).Set(float64(hw.UnixMilli()) / 1e3)
	}
	return nil
}

// Change returns the envelope that publishes row of a poll-only object:
// a SNAPSHOT of a live record, a DELETE of a deleted one, versioned by
// its SystemModstamp.
func Change(obj *mapping.Object, row source.Row) publish.Change {
	c := publish.Change{Object: obj, RecordID: row.ID, Type: envelope.ChangeSnapshot, Values: row.Values,
		Version: publish.Version{Commit: row.Modstamp.UnixMicro()}, Modstamp: row.Modstamp}
	if row.Deleted {
		c.Type = envelope.ChangeDelete
	}
	return c
}

// HighWater returns the stored high-water mark of obj, zero when it has
// none.
func (p *Poller) HighWater(ctx context.Context, obj *mapping.Object) (time.Time, error) {
	hw, err := p.marks.Read(ctx, obj.Name)
	if err != nil {
		return time.Time{}, fmt.Errorf("read the high-water mark of %s: %w", obj.Name, err)
	}
	return hw, nil
}

// liveRow is a live PostgreSQL row: its partition key and newest version.
type liveRow struct {
	partitionKey *string
	version      publish.Version
}

// hardDeletes publishes a DELETE for every live row of obj whose record
// Salesforce no longer has live.
func (p *Poller) hardDeletes(ctx context.Context, obj *mapping.Object) error {
	rows, err := p.liveRows(ctx, obj)
	if err != nil || rows == nil {
		return err
	}
	// PostgreSQL first: a record created after this point is not in rows.
	for row, err := range p.cfg.Source.Query(ctx, obj, "", false) {
		if err != nil {
			return fmt.Errorf("poll %s: ids: %w", obj.Name, err)
		}
		delete(rows, row.ID)
	}
	if len(rows) == 0 {
		return nil
	}
	if p.cfg.MaxDeletes >= 0 && len(rows) > p.cfg.MaxDeletes {
		p.m.deletesWithheld.WithLabelValues(obj.Name).Add(float64(len(rows)))
		p.log.Error("more live rows missing from Salesforce than one check may delete; none deleted: check the Salesforce user's access, then delete them with verify --full --max-deletes",
			"object", obj.Name, "missing", len(rows), "max_deletes", p.cfg.MaxDeletes)
		return nil
	}
	ids := make([]string, 0, len(rows))
	for id := range rows {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	now := time.Now()
	changes := make([]publish.Change, 0, len(ids))
	for _, id := range ids {
		r := rows[id]
		c := publish.Change{Object: obj, RecordID: id, Type: envelope.ChangeDelete,
			Version: publish.Version{Commit: r.version.Commit, Seq: r.version.Seq + 1}, Modstamp: now}
		if r.partitionKey != nil && obj.PartitionKey != obj.Key {
			c.PartitionKey = *r.partitionKey
		}
		changes = append(changes, c)
	}
	for c := range slices.Chunk(changes, publishChunk) {
		if err := p.cfg.Publisher.Publish(ctx, c); err != nil {
			return fmt.Errorf("poll %s: hard deletes: %w", obj.Name, err)
		}
	}
	p.m.hardDeletes.WithLabelValues(obj.Name).Add(float64(len(ids)))
	p.log.Info("records deleted for good in Salesforce", "object", obj.Name, "records", len(ids))
	return nil
}

// liveRows reads the live rows of obj's table, or nil when the table does
// not exist yet.
func (p *Poller) liveRows(ctx context.Context, obj *mapping.Object) (map[string]liveRow, error) {
	key := pgx.Identifier{obj.KeyField().Column}.Sanitize()
	part := pgx.Identifier{obj.PartitionField().Column}.Sanitize()
	q := fmt.Sprintf(`SELECT %s::text, %s::text, %s, %s, %s FROM %s WHERE NOT %s`,
		key, part, tablelayout.BaseCommit, tablelayout.BaseSeq, tablelayout.Versions, pgx.Identifier{obj.Table}.Sanitize(), tablelayout.Deleted)
	rows, err := p.cfg.DB.Query(ctx, q)
	if undefinedTable(err) {
		p.log.Debug("no table yet; hard deletes not checked", "object", obj.Name, "table", obj.Table)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read live ids of %s: %w", obj.Table, err)
	}
	defer rows.Close()
	out := map[string]liveRow{}
	for rows.Next() {
		var id string
		var r liveRow
		var versions []byte
		if err := rows.Scan(&id, &r.partitionKey, &r.version.Commit, &r.version.Seq, &versions); err != nil {
			return nil, fmt.Errorf("read live ids of %s: %w", obj.Table, err)
		}
		v, err := publish.Newest(r.version, versions)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", obj.Table, id, err)
		}
		r.version = v
		out[id] = r
	}
	if err := rows.Err(); undefinedTable(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read live ids of %s: %w", obj.Table, err)
	}
	return out, nil
}

// undefinedTable reports whether err says a table does not exist (the
// consumer has not created it yet).
func undefinedTable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42P01"
}
