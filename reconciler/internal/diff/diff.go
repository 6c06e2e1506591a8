package diff

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/reconciler/internal/source"
	"github.com/sfsync/sfsync/salesforce/soql"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// Mode is how a verify compares an object.
type Mode string

// The verify modes.
const (
	// ModeIncremental compares the records Salesforce changed in a recent
	// window with their rows.
	ModeIncremental Mode = "incremental"
	// ModeFull compares every record, by range hashes.
	ModeFull Mode = "full"
)

// Kind is the kind of a difference.
type Kind string

// The kinds of differences.
const (
	// Missing is a record live in Salesforce whose row is absent or a
	// tombstone.
	Missing Kind = "missing"
	// Extra is a live row whose record Salesforce deleted or does not know.
	Extra Kind = "extra"
	// Different is a record whose live row has other values.
	Different Kind = "different"
)

// Hidden stands for the values of sensitive fields in a [FieldDiff].
const Hidden = "(hidden)"

// Null stands for NULL in a [FieldDiff].
const Null = "NULL"

// FieldDiff is one field whose value differs.
type FieldDiff struct {
	// Field is the Salesforce field name.
	Field string `json:"field"`
	// Postgres is the row's value as PostgreSQL's ::text renders it, Null
	// or Hidden for a sensitive field.
	Postgres string `json:"postgres"`
	// Salesforce is the record's value, Null or Hidden.
	Salesforce string `json:"salesforce"`
}

// Difference is one record that differs.
type Difference struct {
	// ID is the record id.
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Fields lists the differing fields of a Different record, in
	// mapping order.
	Fields []FieldDiff `json:"fields,omitempty"`
	// Repaired is true once the corrective envelope is in Kafka.
	Repaired bool `json:"repaired"`

	sf *source.Row // nil when Salesforce does not know the record
	pg *pgRow      // nil when PostgreSQL has no row
}

// Stats tells how a verify went about its work.
type Stats struct {
	// SalesforceRows and PostgresRows are the records each side holds in
	// the compared set (live ones; incremental: the window's records).
	SalesforceRows int64 `json:"salesforce_rows"`
	PostgresRows   int64 `json:"postgres_rows"`
	// Segments is the number of key ranges a full verify hashed, and
	// SegmentsDiffering those whose hashes differed.
	Segments          int `json:"segments"`
	SegmentsDiffering int `json:"segments_differing"`
	// RangeQueries counts the PostgreSQL queries that hashed sub-ranges
	// while bisecting.
	RangeQueries int `json:"range_queries"`
	// RowsCompared counts the rows compared one by one (key and hash),
	// from both sides: the rows of the small ranges bisection ended in.
	RowsCompared int `json:"rows_compared"`
	// Candidates is the number of differences found before the grace
	// period; those the stream fixed in it are not reported.
	Candidates int `json:"candidates"`
}

// Result is the outcome of verifying one object.
type Result struct {
	Object string `json:"object"`
	Mode   Mode   `json:"mode"`
	// Compared is the number of records compared: the Salesforce records
	// read plus the rows Salesforce has no live record for.
	Compared  int64 `json:"compared"`
	Missing   int   `json:"missing"`
	Extra     int   `json:"extra"`
	Different int   `json:"different"`
	// Repaired is the number of differences whose corrective envelope
	// was published.
	Repaired int `json:"repaired"`
	// DeletesWithheld is the number of extra rows not deleted because
	// there were more than Config.MaxDeletes.
	DeletesWithheld int  `json:"deletes_withheld,omitempty"`
	DryRun          bool `json:"dry_run"`
	// Differences lists every difference, by id.
	Differences []Difference `json:"differences"`
	Stats       Stats        `json:"stats"`
	Started     time.Time    `json:"started"`
	// Duration is how long the verify took, the grace period included.
	Duration time.Duration `json:"-"`
	// Error is why the verify failed, "" when it did not.
	Error string `json:"error,omitempty"`
}

// Drift returns the number of differences.
func (r *Result) Drift() int { return r.Missing + r.Extra + r.Different }

// Source reads Salesforce records; *source.Reader is one.
type Source interface {
	Query(ctx context.Context, obj *mapping.Object, where string, withDeleted bool) iter.Seq2[source.Row, error]
	IDs(ctx context.Context, obj *mapping.Object, ids []string) iter.Seq2[source.Row, error]
}

// Publisher publishes corrective envelopes; *publish.Publisher is one.
type Publisher interface {
	Publish(ctx context.Context, changes []publish.Change) error
}

// Config configures a [Differ].
type Config struct {
	// Grace is how long a difference may take to be fixed by the stream:
	// differences are re-read after it and only those that persist are
	// reported. Default 30s; negative: no re-check.
	Grace time.Duration
	// SegmentRows is the number of rows of a full verify's key ranges.
	// Default 2,000.
	SegmentRows int
	// Fanout is the number of sub-ranges a differing range is split into
	// at each bisection step. Default 64.
	Fanout int
	// LeafRows is the size of a range, in Salesforce records, below which
	// bisection stops and rows are compared one by one. Default 32.
	LeafRows int
	// Publisher publishes repairs; nil only reports.
	Publisher Publisher
	// MaxDeletes caps the DELETE envelopes one object's repair publishes
	// for extra rows: a verify that finds more publishes none of them
	// (the other repairs go ahead), logs an error and counts them in
	// sfsync_reconciler_verify_deletes_withheld_total. Default
	// publish.DefaultMaxDeletes; negative: no cap.
	MaxDeletes int
	// DryRun only reports, publishing nothing.
	DryRun bool
	// Metrics records drift found, repairs and verify times; nil records
	// nothing.
	Metrics *Metrics
	// Logger logs progress; nil logs nothing.
	Logger *slog.Logger
}

// Differ compares PostgreSQL with Salesforce and repairs what differs.
// It is safe for concurrent use on different objects.
type Differ struct {
	db  DB
	src Source
	cfg Config
	now func() time.Time
}

// New returns a Differ reading db, the consumer's PostgreSQL database,
// and src.
func New(db DB, src Source, cfg Config) *Differ {
	if cfg.Grace == 0 {
		cfg.Grace = 30 * time.Second
	}
	if cfg.MaxDeletes == 0 {
		cfg.MaxDeletes = publish.DefaultMaxDeletes
	}
	if cfg.SegmentRows <= 0 {
		cfg.SegmentRows = 2000
	}
	if cfg.Fanout < 2 {
		cfg.Fanout = 64
	}
	if cfg.LeafRows <= 0 {
		cfg.LeafRows = 32
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Differ{db: db, src: src, cfg: cfg, now: time.Now}
}

// Verify verifies objs one after the other in mode (since bounds the
// window of ModeIncremental) and records the verify's time and duration.
// A failed object's Result carries its Error; the others go on.
func (d *Differ) Verify(ctx context.Context, objs []*mapping.Object, mode Mode, since time.Time) []*Result {
	start := d.now()
	var out []*Result
	for _, obj := range objs {
		var res *Result
		var err error
		if mode == ModeFull {
			res, err = d.Full(ctx, obj)
		} else {
			res, err = d.Incremental(ctx, obj, since)
		}
		if err != nil {
			res = &Result{Object: obj.Name, Mode: mode, DryRun: d.dryRun(), Started: d.now(), Error: err.Error()}
		}
		out = append(out, res)
	}
	d.cfg.Metrics.verified(mode, d.now(), d.now().Sub(start))
	return out
}

func (d *Differ) dryRun() bool { return d.cfg.DryRun || d.cfg.Publisher == nil }

// Full compares every record of obj with its row: range hashes on both
// sides, bisection of the ranges that differ, and row by row comparison
// of the small ranges it ends in; then it re-reads the differences after
// the grace period and repairs those that persist.
func (d *Differ) Full(ctx context.Context, obj *mapping.Object) (*Result, error) {
	res := &Result{Object: obj.Name, Mode: ModeFull, DryRun: d.dryRun(), Started: d.now()}
	t := newTable(obj)
	ids, err := d.fullCandidates(ctx, t, res)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", obj.Name, err)
	}
	diffs, err := d.resolve(ctx, t, ids)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", obj.Name, err)
	}
	res.Compared = res.Stats.SalesforceRows
	for _, df := range diffs {
		if df.Kind == Extra && (df.sf == nil || df.sf.Deleted) {
			res.Compared++
		}
	}
	return d.finish(ctx, t, res, diffs)
}

// span is a key range [lo, hi) in fold order, with the Salesforce rows in
// it sorted; loInf and hiInf stand for unbounded ends.
type span struct {
	lo, hi       string
	loInf, hiInf bool
	sf           []keyHash
}

func (s span) agg() agg {
	var a agg
	for _, r := range s.sf {
		a.add(r.h)
	}
	return a
}

// bucketOf returns the index of the range of thresholds (folded,
// ascending) holding key, as width_bucket does: how many thresholds are
// at most key.
func bucketOf(thresholds []string, key string) int {
	return sort.Search(len(thresholds), func(i int) bool { return foldCompare(thresholds[i], key) > 0 })
}

// fullCandidates returns the ids of the records whose rows may differ:
// it hashes the segments of the table on both sides, then bisects those
// whose hashes differ.
func (d *Differ) fullCandidates(ctx context.Context, t *table, res *Result) ([]string, error) {
	bounds, err := t.boundaries(ctx, d.db, d.cfg.SegmentRows)
	if err != nil {
		return nil, err
	}
	g := newSegments(bounds)
	res.Stats.Segments = len(g.sf)
	// PostgreSQL hashes its segments while Salesforce streams.
	g.pg = hashSegments(ctx, d.db, t, g.fb)
	err = d.streamSegments(ctx, t, g, res)
	pgAgg, werr := g.pg.wait()
	if err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	for _, a := range pgAgg {
		res.Stats.PostgresRows += a.n
	}
	spans, err := d.differingSpans(ctx, t, g, pgAgg)
	if err != nil {
		return nil, err
	}
	res.Stats.SegmentsDiffering = len(spans)
	d.cfg.Logger.Debug("segments hashed", "object", t.obj.Name, "segments", len(g.sf), "differing", len(spans))
	return d.bisect(ctx, t, spans, res)
}

// pgHashes are PostgreSQL's hashes of the segments of a table, computed
// in a goroutine of their own.
type pgHashes struct {
	done chan pgResult
	got  bool
	pgResult
}

// pgResult is the outcome of [table.aggregates].
type pgResult struct {
	m   map[int32]agg
	err error
}

// hashSegments starts hashing the segments of t the folded thresholds fb
// bound.
func hashSegments(ctx context.Context, db DB, t *table, fb []string) *pgHashes {
	p := &pgHashes{done: make(chan pgResult, 1)}
	go func() {
		m, err := t.aggregates(ctx, db, fb, nil)
		p.done <- pgResult{m, err}
	}()
	return p
}

// ready reports, without waiting, whether the hashes are in.
func (p *pgHashes) ready() bool {
	if !p.got {
		select {
		case r := <-p.done:
			p.got, p.pgResult = true, r
		default:
			return false
		}
	}
	return p.err == nil
}

// wait waits for the hashes.
func (p *pgHashes) wait() (map[int32]agg, error) {
	if !p.got {
		p.got, p.pgResult = true, <-p.done
	}
	return p.m, p.err
}

// segments is Salesforce's side of the segments of a table, hashed as
// its rows stream in id order: the rows of a segment are kept only while
// its hash may differ from PostgreSQL's. Salesforce orders ids ignoring
// case as the segments do; a row out of that order still counts, and a
// segment it reopens is read again. Segments that end before
// PostgreSQL's hashes are ready keep their rows until they are.
type segments struct {
	bounds, fb []string // the lower bounds of the segments after the first, as they are and folded
	pg         *pgHashes
	sf         []agg // Salesforce's hash of each segment
	kept       map[int][]keyHash
	dropped    []bool       // segments found equal, whose rows are no longer kept
	reread     map[int]bool // dropped segments a row out of order reopened
	pending    []int        // segments ended before PostgreSQL's hashes were ready
	cur        int          // the segment of the rows streaming
}

func newSegments(bounds []string) *segments {
	n := len(bounds) + 1
	return &segments{bounds: bounds, fb: folded(bounds), sf: make([]agg, n), kept: map[int][]keyHash{},
		dropped: make([]bool, n), reread: map[int]bool{}}
}

// add counts the Salesforce row id with row hash h in its segment, and
// ends the segments before it.
func (g *segments) add(id string, h int64) {
	s := bucketOf(g.fb, id)
	g.sf[s].add(h)
	switch {
	case s > g.cur:
		for i := g.cur; i < s; i++ {
			g.end(i)
		}
		g.cur = s
	case s < g.cur && g.dropped[s]:
		g.reread[s] = true
		return
	}
	g.kept[s] = append(g.kept[s], keyHash{id: id, h: h})
}

// end drops the rows of segment s, and of the segments pending, whose
// hashes equal PostgreSQL's, once PostgreSQL's are ready.
func (g *segments) end(s int) {
	g.pending = append(g.pending, s)
	if !g.pg.ready() {
		return
	}
	for _, p := range g.pending {
		if g.sf[p] == g.pg.m[int32(p)] {
			g.dropped[p] = true
			delete(g.kept, p)
		}
	}
	g.pending = g.pending[:0]
}

// streamSegments reads the live Salesforce rows of t once, adding each
// to its segment.
func (d *Differ) streamSegments(ctx context.Context, t *table, g *segments, res *Result) error {
	for row, err := range d.src.Query(ctx, t.obj, "", false) {
		if err != nil {
			return err
		}
		if row.Deleted {
			continue
		}
		res.Stats.SalesforceRows++
		g.add(row.ID, t.sfHash(row.ID, row.Values))
	}
	return nil
}

// differingSpans returns the segments whose hashes differ from
// PostgreSQL's pgAgg as spans holding their Salesforce rows, reading
// again those that were reopened.
func (d *Differ) differingSpans(ctx context.Context, t *table, g *segments, pgAgg map[int32]agg) ([]span, error) {
	n := len(g.sf)
	var spans []span
	for s := range n {
		if g.sf[s] == pgAgg[int32(s)] {
			continue
		}
		sp := span{loInf: s == 0, hiInf: s == n-1}
		if s > 0 {
			sp.lo = g.fb[s-1]
		}
		if s < n-1 {
			sp.hi = g.fb[s]
		}
		if g.reread[s] {
			rows, err := d.segment(ctx, t, g.bounds, s)
			if err != nil {
				return nil, err
			}
			g.kept[s] = rows
		}
		sp.sf = g.kept[s]
		slices.SortFunc(sp.sf, func(a, b keyHash) int { return foldCompare(a.id, b.id) })
		spans = append(spans, sp)
	}
	return spans, nil
}

// segment reads the Salesforce rows of segment s again.
func (d *Differ) segment(ctx context.Context, t *table, bounds []string, s int) ([]keyHash, error) {
	var where []string
	if s > 0 {
		where = append(where, t.obj.Key+" >= "+soql.Quote(bounds[s-1]))
	}
	if s < len(bounds) {
		where = append(where, t.obj.Key+" < "+soql.Quote(bounds[s]))
	}
	cond := ""
	for i, w := range where {
		if i > 0 {
			cond += " AND "
		}
		cond += w
	}
	fb := folded(bounds)
	var out []keyHash
	for row, err := range d.src.Query(ctx, t.obj, cond, false) {
		if err != nil {
			return nil, err
		}
		if !row.Deleted && bucketOf(fb, row.ID) == s {
			out = append(out, keyHash{id: row.ID, h: t.sfHash(row.ID, row.Values)})
		}
	}
	return out, nil
}

// bisect narrows spans, whose hashes differ, down to ranges of at most
// LeafRows Salesforce records, hashing sub-ranges in PostgreSQL one
// level at a time, then compares the rows of those ranges one by one and
// returns the ids that differ.
func (d *Differ) bisect(ctx context.Context, t *table, spans []span, res *Result) ([]string, error) {
	var leaves []span
	for len(spans) > 0 {
		var next []span
		for _, sp := range spans {
			subs := d.split(sp)
			if len(subs) < 2 {
				leaves = append(leaves, sp)
				continue
			}
			next = append(next, subs...)
		}
		if len(next) == 0 {
			break
		}
		thresholds, idx := layout(next)
		pg, err := t.aggregates(ctx, d.db, thresholds, idx)
		if err != nil {
			return nil, err
		}
		res.Stats.RangeQueries++
		spans = spans[:0:0]
		for i, sp := range next {
			if sp.agg() != pg[idx[i]] {
				spans = append(spans, sp)
			}
		}
	}
	if len(leaves) == 0 {
		return nil, nil
	}
	slices.SortFunc(leaves, func(a, b span) int {
		switch {
		case a.loInf:
			return -1
		case b.loInf:
			return 1
		}
		return cmp.Compare(a.lo, b.lo)
	})
	thresholds, idx := layout(leaves)
	rows, err := t.hashes(ctx, d.db, thresholds, idx)
	if err != nil {
		return nil, err
	}
	pg := make(map[string]int64, len(rows))
	for _, r := range rows {
		pg[r.id] = r.h
	}
	res.Stats.RowsCompared += len(rows)
	var ids []string
	for _, sp := range leaves {
		res.Stats.RowsCompared += len(sp.sf)
		for _, r := range sp.sf {
			h, ok := pg[r.id]
			if !ok || h != r.h {
				ids = append(ids, r.id)
			}
			delete(pg, r.id)
		}
	}
	for id := range pg {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// split cuts sp into up to Fanout sub-ranges of about as many Salesforce
// records each; it returns sp alone when it is small enough to compare
// row by row.
func (d *Differ) split(sp span) []span {
	if len(sp.sf) <= d.cfg.LeafRows {
		return nil
	}
	var cuts []string
	for k := 1; k < d.cfg.Fanout; k++ {
		c := fold(sp.sf[k*len(sp.sf)/d.cfg.Fanout].id)
		if (sp.loInf || c > sp.lo) && (len(cuts) == 0 || c > cuts[len(cuts)-1]) {
			cuts = append(cuts, c)
		}
	}
	if len(cuts) == 0 {
		return nil
	}
	out := make([]span, 0, len(cuts)+1)
	lo, loInf := sp.lo, sp.loInf
	rest := sp.sf
	for _, c := range cuts {
		n := sort.Search(len(rest), func(i int) bool { return foldCompare(rest[i].id, c) >= 0 })
		out = append(out, span{lo: lo, loInf: loInf, hi: c, sf: rest[:n]})
		rest = rest[n:]
		lo, loInf = c, false
	}
	return append(out, span{lo: lo, loInf: loInf, hi: sp.hi, hiInf: sp.hiInf, sf: rest})
}

// layout returns the thresholds that bound spans (ascending, disjoint)
// and the bucket of each span among them.
func layout(spans []span) ([]string, []int32) {
	var thresholds []string
	idx := make([]int32, len(spans))
	for i, sp := range spans {
		if !sp.loInf {
			if len(thresholds) == 0 || thresholds[len(thresholds)-1] != sp.lo {
				thresholds = append(thresholds, sp.lo)
			}
			idx[i] = int32(len(thresholds))
		}
		if !sp.hiInf {
			thresholds = append(thresholds, sp.hi)
		}
	}
	return thresholds, idx
}

// Incremental compares the records of obj Salesforce changed since
// since (deletes included) with their rows, then re-reads the
// differences after the grace period and repairs those that persist.
func (d *Differ) Incremental(ctx context.Context, obj *mapping.Object, since time.Time) (*Result, error) {
	res := &Result{Object: obj.Name, Mode: ModeIncremental, DryRun: d.dryRun(), Started: d.now()}
	t := newTable(obj)
	var diffs []Difference
	batch := make([]source.Row, 0, 500)
	flush := func() error {
		ids := make([]string, len(batch))
		for i, r := range batch {
			ids[i] = r.ID
		}
		pg, err := t.rows(ctx, d.db, ids)
		if err != nil {
			return err
		}
		for i := range batch {
			r := pg[batch[i].ID]
			if r != nil && !r.deleted {
				res.Stats.PostgresRows++
			}
			if df, ok := t.classify(batch[i].ID, &batch[i], r); ok {
				diffs = append(diffs, df)
			}
		}
		batch = make([]source.Row, 0, 500)
		return nil
	}
	where := "SystemModstamp >= " + soql.FormatDateTime(since)
	for row, err := range d.src.Query(ctx, obj, where, true) {
		if err != nil {
			return nil, fmt.Errorf("verify %s: %w", obj.Name, err)
		}
		res.Stats.SalesforceRows++
		if batch = append(batch, row); len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return nil, fmt.Errorf("verify %s: %w", obj.Name, err)
			}
		}
	}
	if len(batch) > 0 {
		if err := flush(); err != nil {
			return nil, fmt.Errorf("verify %s: %w", obj.Name, err)
		}
	}
	res.Compared = res.Stats.SalesforceRows
	return d.finish(ctx, t, res, diffs)
}

// finish re-reads the differences after the grace period, repairs those
// that persist, and fills in res.
func (d *Differ) finish(ctx context.Context, t *table, res *Result, diffs []Difference) (*Result, error) {
	res.Stats.Candidates = len(diffs)
	if len(diffs) > 0 && d.cfg.Grace > 0 {
		d.cfg.Logger.Debug("differences found; re-reading after the grace period", "object", t.obj.Name, "candidates", len(diffs), "grace", d.cfg.Grace)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(d.cfg.Grace):
		}
		ids := make([]string, len(diffs))
		for i, df := range diffs {
			ids[i] = df.ID
		}
		var err error
		if diffs, err = d.resolve(ctx, t, ids); err != nil {
			return nil, fmt.Errorf("verify %s: %w", t.obj.Name, err)
		}
	}
	slices.SortFunc(diffs, func(a, b Difference) int { return cmp.Compare(a.ID, b.ID) })
	for _, df := range diffs {
		switch df.Kind {
		case Missing:
			res.Missing++
		case Extra:
			res.Extra++
		case Different:
			res.Different++
		}
	}
	res.Differences = diffs
	if res.Differences == nil {
		res.Differences = []Difference{}
	}
	if !res.DryRun {
		if err := d.repair(ctx, t, res); err != nil {
			return nil, fmt.Errorf("repair %s: %w", t.obj.Name, err)
		}
	}
	res.Duration = d.now().Sub(res.Started)
	d.cfg.Metrics.observe(res)
	return res, nil
}

// resolve reads the records and rows with the given ids on both sides and
// returns their differences.
func (d *Differ) resolve(ctx context.Context, t *table, ids []string) ([]Difference, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	sf := make(map[string]*source.Row, len(ids))
	for row, err := range d.src.IDs(ctx, t.obj, ids) {
		if err != nil {
			return nil, err
		}
		sf[row.ID] = &row
	}
	pg, err := t.rows(ctx, d.db, ids)
	if err != nil {
		return nil, err
	}
	var out []Difference
	for _, id := range ids {
		if df, ok := t.classify(id, sf[id], pg[id]); ok {
			out = append(out, df)
		}
	}
	return out, nil
}

// classify compares a record (nil when Salesforce does not know it) with
// its row (nil when absent) and returns their difference, if any.
func (t *table) classify(id string, sf *source.Row, pg *pgRow) (Difference, bool) {
	sfLive := sf != nil && !sf.Deleted
	pgLive := pg != nil && !pg.deleted
	df := Difference{ID: id, sf: sf, pg: pg}
	switch {
	case sfLive && !pgLive:
		df.Kind = Missing
	case !sfLive && pgLive:
		df.Kind = Extra
	case !sfLive:
		return Difference{}, false
	default:
		for i, f := range t.fields {
			v := sf.Values[f.Name]
			text, ok := render(f.Type, v)
			p := pg.cells[i]
			if ok == (p != nil) && (!ok || *p == text) {
				continue
			}
			fd := FieldDiff{Field: f.Name, Postgres: Hidden, Salesforce: Hidden}
			if !f.Sensitive {
				fd.Postgres, fd.Salesforce = Null, Null
				if pg.display[i] != nil {
					fd.Postgres = *pg.display[i]
				}
				if !v.IsNull() {
					fd.Salesforce = display(v)
				}
			}
			df.Fields = append(df.Fields, fd)
		}
		if len(df.Fields) == 0 {
			return Difference{}, false
		}
		df.Kind = Different
	}
	return df, true
}

// display renders a Salesforce value for a report.
func display(v envelope.Value) string {
	if s, ok := v.AsString(); ok {
		return s
	}
	return v.String()
}

// repair publishes a SNAPSHOT of the Salesforce record for every missing
// and different record and a DELETE for every extra row, each one
// sequence newer than the newest version its row holds.
func (d *Differ) repair(ctx context.Context, t *table, res *Result) error {
	if d.cfg.MaxDeletes >= 0 && res.Extra > d.cfg.MaxDeletes {
		res.DeletesWithheld = res.Extra
		if d.cfg.Logger != nil {
			d.cfg.Logger.Error("verify found more extra rows than one repair may delete; none deleted: check the Salesforce user's access, then delete them with verify --max-deletes",
				"object", t.obj.Name, "extra", res.Extra, "max_deletes", d.cfg.MaxDeletes)
		}
	}
	changes := make([]publish.Change, 0, len(res.Differences))
	index := make([]int, 0, len(res.Differences)) // of each change's difference
	for i, df := range res.Differences {
		if df.Kind == Extra && res.DeletesWithheld > 0 {
			continue
		}
		index = append(index, i)
		v := publish.BaseVersion
		if df.pg != nil {
			v = publish.Version{Commit: df.pg.newest.Commit, Seq: df.pg.newest.Seq + 1}
		}
		c := publish.Change{Object: t.obj, RecordID: df.ID, Version: v}
		if df.Kind == Extra {
			c.Type = envelope.ChangeDelete
			c.PartitionKey = df.pg.part
			if c.PartitionKey == "" {
				c.PartitionKey = df.ID
			}
			c.Modstamp = d.now().UTC()
			if df.sf != nil && !df.sf.Modstamp.IsZero() {
				c.Modstamp = df.sf.Modstamp
			}
		} else {
			c.Type = envelope.ChangeSnapshot
			c.Values = df.sf.Values
			c.Modstamp = df.sf.Modstamp
		}
		changes = append(changes, c)
	}
	for start := 0; start < len(changes); start += 500 {
		end := min(start+500, len(changes))
		if err := d.cfg.Publisher.Publish(ctx, changes[start:end]); err != nil {
			return err
		}
		for _, i := range index[start:end] {
			res.Differences[i].Repaired = true
			res.Repaired++
		}
	}
	return nil
}
