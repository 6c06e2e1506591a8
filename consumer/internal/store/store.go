package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sfsync/sfsync/consumer/internal/apply"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/latest"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// Store keeps the mapped objects' records in PostgreSQL tables, one row
// per record, with the cells' versions in bookkeeping columns, and the
// consumed offsets in [OffsetsTable]. Tables live in the first schema of
// the connection's search path. A Store is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	tables map[string]*table // by lower-case entity name
	order  []*table          // mapping order
}

// table is one mapped object's table.
type table struct {
	obj   *mapping.Object
	name  string
	ident string // quoted
	cols  []column
	key   int // index of the key column in cols
}

// column is one mapped field's column.
type column struct {
	field *mapping.Field
	name  string
	ident string // quoted
	isKey bool
}

// New returns a Store for the objects of m on pool. Call [Store.Migrate]
// before applying.
func New(pool *pgxpool.Pool, m *mapping.Mapping) *Store {
	s := &Store{pool: pool, tables: map[string]*table{}}
	for _, o := range m.Objects {
		t := &table{obj: o, name: o.Table, ident: pgx.Identifier{o.Table}.Sanitize()}
		for _, f := range o.Fields {
			c := column{field: f, name: f.Column, ident: pgx.Identifier{f.Column}.Sanitize(), isKey: f.Name == o.Key}
			if c.isKey {
				t.key = len(t.cols)
			}
			t.cols = append(t.cols, c)
		}
		s.tables[strings.ToLower(o.Name)] = t
		s.order = append(s.order, t)
	}
	return s
}

// Maps reports whether the mapping names entity (case-insensitively, as
// [Store.Apply] looks it up).
func (s *Store) Maps(entity string) bool { return s.tables[strings.ToLower(entity)] != nil }

// Offset is the next offset to consume from one partition.
type Offset struct {
	Topic     string
	Partition int
	Next      int64
}

// Batch is what one transaction applies: data envelopes in delivery
// order, and the offsets they bring each partition to.
type Batch struct {
	Group     string
	Envelopes []*envelope.Envelope
	Offsets   []Offset
	// Versions, when set, has an entry per envelope: for a SNAPSHOT read
	// from a latest-state topic, the versions of its fields, which it is
	// applied at (see [apply.Record.ApplyCells]); nil for an envelope
	// applied at its own version.
	Versions []*latest.Versions
}

// Result says what a batch did.
type Result struct {
	// Changed has one entry per envelope of the batch: whether it changed
	// at least one cell; the others were older than what the table holds,
	// or repeats.
	Changed []bool
	// Rows counts rows inserted or updated.
	Rows int
}

// ErrUnmapped marks an envelope of an entity the mapping does not name.
var ErrUnmapped = errors.New("entity is not in the mapping")

// Apply applies b in one transaction: it locks the records' keys, reads
// their cells' versions, merges the envelopes with [apply.Record.Apply],
// writes the new rows with one COPY and the changed ones with one UPDATE
// per table, and advances the offsets, all or nothing. Replicas that
// receive changes to the same record through different partitions
// serialise on the record's advisory lock. Besides BEGIN and COMMIT the
// statements take three round trips: the locks with the reads, the
// COPYs, and the UPDATEs with the offsets.
func (s *Store) Apply(ctx context.Context, b Batch) (Result, error) {
	byTable := map[*table][]int{}
	var lockKeys []string
	for i, e := range b.Envelopes {
		t := s.tables[strings.ToLower(e.Entity)]
		if t == nil {
			return Result{}, fmt.Errorf("%s %s: %w", e.Entity, e.RecordID, ErrUnmapped)
		}
		if !apply.Applies(e.ChangeType) {
			return Result{}, fmt.Errorf("%s %s: %s is a marker, not data", e.Entity, e.RecordID, e.ChangeType)
		}
		byTable[t] = append(byTable[t], i)
		lockKeys = append(lockKeys, t.name+":"+e.RecordID)
	}
	var tables []*tableWork
	for _, t := range s.order {
		if idx := byTable[t]; len(idx) > 0 {
			tables = append(tables, &tableWork{t: t, idx: idx, ids: recordIDs(b.Envelopes, idx)})
		}
	}
	var res Result
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		res = Result{Changed: make([]bool, len(b.Envelopes))}
		if err := s.read(ctx, tx, lockKeys, tables); err != nil {
			return err
		}
		var updates statements
		// A batch writes at most a batch's rows, each found by its key:
		// without these, PostgreSQL joins a batch's UPDATE to a table of
		// some 20,000 rows by scanning its whole key index (a merge join,
		// twice the time of the lookups, measured with auto_explain).
		updates.add("plan the writes", "SET LOCAL enable_mergejoin = off", nil, false)
		updates.add("plan the writes", "SET LOCAL enable_hashjoin = off", nil, false)
		for _, w := range tables {
			n, err := s.applyTable(ctx, tx, w, b.Envelopes, b.Versions, res.Changed, &updates)
			if err != nil {
				return err
			}
			res.Rows += n
		}
		queueOffsets(&updates, b.Group, b.Offsets)
		n, err := updates.send(ctx, tx)
		res.Rows += n
		return err
	})
	return res, err
}

// tableWork is the part of a batch of one table: the indexes of its
// envelopes, their distinct record ids, and the records as read.
type tableWork struct {
	t       *table
	idx     []int
	ids     []string
	records map[string]*stored
}

// recordIDs returns the distinct record ids of envs[i] for i in idx.
func recordIDs(envs []*envelope.Envelope, idx []int) []string {
	ids := make([]string, 0, len(idx))
	seen := map[string]bool{}
	for _, i := range idx {
		if e := envs[i]; !seen[e.RecordID] {
			seen[e.RecordID] = true
			ids = append(ids, e.RecordID)
		}
	}
	return ids
}

// lockSQL takes the advisory locks of the keys in $1, sorted, so that two
// transactions take shared keys in the same order and never deadlock.
const lockSQL = `SELECT pg_advisory_xact_lock(k) FROM (
	SELECT DISTINCT hashtextextended(x, 0) AS k FROM unnest($1::text[]) AS x ORDER BY k OFFSET 0) AS keys`

// read locks lockKeys and reads the versions of each table's records, in
// one round trip: PostgreSQL runs the statements in order, so the reads
// see the rows as they are once the locks are held.
func (s *Store) read(ctx context.Context, tx pgx.Tx, lockKeys []string, tables []*tableWork) error {
	b := &pgx.Batch{}
	if len(lockKeys) > 0 {
		b.Queue(lockSQL, lockKeys)
	}
	for _, w := range tables {
		b.Queue(loadSQL(w.t), w.ids)
	}
	br := tx.SendBatch(ctx, b)
	if len(lockKeys) > 0 {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return fmt.Errorf("lock records: %w", err)
		}
	}
	for _, w := range tables {
		rows, err := br.Query()
		if err == nil {
			w.records, err = scanVersions(rows, w.t)
		}
		if err != nil {
			_ = br.Close()
			return err
		}
	}
	return br.Close()
}

// applyTable merges w's envelopes into its records, setting changed[i],
// COPYs the new rows in and queues the UPDATE of the changed ones; it
// returns the number of rows inserted.
func (s *Store) applyTable(ctx context.Context, tx pgx.Tx, w *tableWork, envs []*envelope.Envelope, versions []*latest.Versions, changed []bool, updates *statements) (int, error) {
	t, records := w.t, w.records
	for _, i := range w.idx {
		e := envs[i]
		r, ok := records[e.RecordID]
		if !ok {
			r = &stored{}
			records[e.RecordID] = r
		}
		if i < len(versions) && versions[i] != nil {
			vs := versions[i]
			changed[i] = r.rec.ApplyCells(t.obj, e, func(cell string) (apply.Version, bool) {
				c, seq, ok := vs.Of(cell)
				return apply.Version{Commit: c, Seq: seq}, ok
			})
			continue
		}
		changed[i] = r.rec.Apply(t.obj, e)
	}
	var inserts, changes []string
	for _, id := range w.ids {
		r := records[id]
		switch {
		case !r.dirty():
		case r.exists:
			changes = append(changes, id)
		default:
			inserts = append(inserts, id)
		}
	}
	if len(changes) > 0 {
		rows, err := t.rows(changes, records)
		if err != nil {
			return 0, err
		}
		sql, args := t.updateSQL(rows)
		updates.add("write "+t.name, sql, args, true)
	}
	if len(inserts) == 0 {
		return 0, nil
	}
	rows, err := t.rows(inserts, records)
	if err != nil {
		return 0, err
	}
	return copyIn(ctx, tx, t, rows)
}

// statements are queued to be sent in one round trip.
type statements struct {
	b      pgx.Batch
	labels []string
	count  []bool // whether the statement's rows count as written
}

func (st *statements) add(label, sql string, args []any, count bool) {
	st.b.Queue(sql, args...)
	st.labels = append(st.labels, label)
	st.count = append(st.count, count)
}

// send sends the statements and returns the rows written by those that
// count.
func (st *statements) send(ctx context.Context, tx pgx.Tx) (int, error) {
	if len(st.labels) == 0 {
		return 0, nil
	}
	br := tx.SendBatch(ctx, &st.b)
	n := 0
	for i, label := range st.labels {
		tag, err := br.Exec()
		if err != nil {
			_ = br.Close()
			return 0, fmt.Errorf("%s: %w", label, err)
		}
		if st.count[i] {
			n += int(tag.RowsAffected())
		}
	}
	return n, br.Close()
}

// stored is a record as read from its table: versions only, no values.
type stored struct {
	rec    apply.Record
	exists bool
}

func (r *stored) dirty() bool {
	for _, c := range r.rec.Cells {
		if c.Dirty {
			return true
		}
	}
	return false
}

// loadSQL reads the versions of t's records whose ids are in $1.
func loadSQL(t *table) string {
	key := t.cols[t.key]
	return fmt.Sprintf(`SELECT %s::text, %s, %s, %s, %s, %s FROM %s WHERE %s = ANY($1::%s[])`,
		key.ident, colBaseCommit, colBaseSeq, colVersions, colDeleted, colCommitTS,
		t.ident, key.ident, key.field.Type)
}

// scanVersions reads the rows of loadSQL.
func scanVersions(rows pgx.Rows, t *table) (map[string]*stored, error) {
	defer rows.Close()
	out := map[string]*stored{}
	for rows.Next() {
		var id string
		var base apply.Version
		var versions []byte
		var deleted bool
		var ts *time.Time
		if err := rows.Scan(&id, &base.Commit, &base.Seq, &versions, &deleted, &ts); err != nil {
			return nil, fmt.Errorf("read %s: %w", t.name, err)
		}
		r := &stored{exists: true}
		if err := decodeVersions(&r.rec, t.obj, base, versions); err != nil {
			return nil, fmt.Errorf("read %s %s: %w", t.name, id, err)
		}
		if c, ok := r.rec.Cells[apply.DeletedCell]; ok {
			c.Value = envelope.BoolValue(deleted)
			r.rec.Cells[apply.DeletedCell] = c
		}
		if ts != nil {
			r.rec.CommitTimestamp = *ts
		}
		out[id] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", t.name, err)
	}
	return out, nil
}

// cellNames returns the names of the cells of a record of obj: every
// mapped field but the key, then [apply.DeletedCell].
func cellNames(obj *mapping.Object) []string {
	names := make([]string, 0, len(obj.Fields))
	for _, f := range obj.Fields {
		if f.Name != obj.Key {
			names = append(names, f.Name)
		}
	}
	return append(names, apply.DeletedCell)
}

// encodeVersions returns the version most cells share (the newest among
// equally common ones) and the cells whose version differs, with [0, 0]
// for a cell no change has set, as a JSON object.
func encodeVersions(r *apply.Record, obj *mapping.Object) (apply.Version, []byte) {
	names := cellNames(obj)
	// A record's cells carry few distinct versions: a slice counts them
	// faster than a map.
	type tally struct {
		v apply.Version
		n int
	}
	var counts []tally
	for _, n := range names {
		v := r.Cells[n].Version
		i := slices.IndexFunc(counts, func(t tally) bool { return t.v == v })
		if i < 0 {
			i = len(counts)
			counts = append(counts, tally{v: v})
		}
		counts[i].n++
	}
	var base apply.Version
	best := -1
	for _, t := range counts {
		if t.n > best || (t.n == best && t.v.Compare(base) > 0) {
			base, best = t.v, t.n
		}
	}
	b := append(make([]byte, 0, 2+(len(names)-best)*32), '{')
	for _, n := range names {
		v := r.Cells[n].Version
		if v == base {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendJSONName(b, n)
		b = append(b, ':', '[')
		b = strconv.AppendInt(b, v.Commit, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(v.Seq), 10)
		b = append(b, ']')
	}
	return base, append(b, '}')
}

// appendJSONName appends name as a JSON string: mapped field names are
// API names (letters, digits, underscores) or [apply.DeletedCell], which
// need no escaping; anything else is escaped by encoding/json.
func appendJSONName(b []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c == '_' || c == '$' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			q, _ := json.Marshal(name) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"')
}

// decodeVersions fills r's cells with the versions encodeVersions wrote;
// the values stay unknown (NULL), and a cell at [0, 0] stays absent.
func decodeVersions(r *apply.Record, obj *mapping.Object, base apply.Version, data []byte) error {
	except, ok := parseVersions(data)
	if !ok {
		if err := json.Unmarshal(data, &except); err != nil {
			return fmt.Errorf("decode %s: %w", colVersions, err)
		}
	}
	names := cellNames(obj)
	r.Cells = make(map[string]apply.Cell, len(names))
	for _, n := range names {
		v := base
		if x, ok := except[n]; ok {
			v = apply.Version{Commit: x[0], Seq: int32(x[1])}
		}
		if v != (apply.Version{}) {
			r.Cells[n] = apply.Cell{Version: v}
		}
		if v.Compare(r.Latest) > 0 {
			r.Latest = v
		}
	}
	return nil
}

// parseVersions reads the versions column as PostgreSQL writes jsonb out,
// {"Name": [150, 3], "$deleted": [7, 1]}, with plain names and integers;
// ok is false for anything else, which encoding/json then reads.
func parseVersions(data []byte) (out map[string][2]int64, ok bool) {
	p := versionsParser{b: data}
	if !p.byte('{') {
		return nil, false
	}
	if p.byte('}') {
		return nil, p.end() // {}: no exceptions
	}
	out = map[string][2]int64{}
	for {
		name, ok1 := p.name()
		if !ok1 || !p.byte(':') || !p.byte('[') {
			return nil, false
		}
		c, ok2 := p.int()
		if !ok2 || !p.byte(',') {
			return nil, false
		}
		s, ok3 := p.int()
		if !ok3 || !p.byte(']') {
			return nil, false
		}
		out[name] = [2]int64{c, s}
		if p.byte('}') {
			if !p.end() {
				return nil, false
			}
			return out, true
		}
		if !p.byte(',') {
			return nil, false
		}
	}
}

// versionsParser reads parseVersions's input from the front of b.
type versionsParser struct{ b []byte }

// space skips spaces.
func (p *versionsParser) space() {
	for len(p.b) > 0 && p.b[0] == ' ' {
		p.b = p.b[1:]
	}
}

// byte skips spaces, then takes c if it is next.
func (p *versionsParser) byte(c byte) bool {
	p.space()
	if len(p.b) == 0 || p.b[0] != c {
		return false
	}
	p.b = p.b[1:]
	return true
}

func (p *versionsParser) end() bool { return len(p.b) == 0 }

// name takes a quoted string without escapes.
func (p *versionsParser) name() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	i := bytes.IndexByte(p.b, '"')
	if i < 0 || bytes.IndexByte(p.b[:i], '\\') >= 0 {
		return "", false
	}
	name := string(p.b[:i])
	p.b = p.b[i+1:]
	return name, true
}

// int takes an integer of at most 18 digits, which fits int64.
func (p *versionsParser) int() (int64, bool) {
	p.space()
	i := 0
	if i < len(p.b) && p.b[i] == '-' {
		i++
	}
	start := i
	for i < len(p.b) && '0' <= p.b[i] && p.b[i] <= '9' {
		i++
	}
	if i == start || i-start > 18 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(p.b[:i]), 10, 64)
	p.b = p.b[i:]
	return n, err == nil
}

// rowData holds rows to write, column by column, as text: each column's
// values (nil for NULL and for cells an update leaves), which cells an
// update sets (a mask string of '0' and '1' per column), and the
// bookkeeping columns.
type rowData struct {
	cols       [][]*string
	masks      []string
	deleted    []bool
	baseCommit []int64
	baseSeq    []int32
	versions   []string
	commitTS   []*time.Time
}

// rows returns the records ids of t as rowData.
func (t *table) rows(ids []string, records map[string]*stored) (*rowData, error) {
	n := len(ids)
	d := &rowData{cols: make([][]*string, len(t.cols)), masks: make([]string, n), deleted: make([]bool, n),
		baseCommit: make([]int64, n), baseSeq: make([]int32, n), versions: make([]string, n), commitTS: make([]*time.Time, n)}
	for i := range d.cols {
		d.cols[i] = make([]*string, n)
	}
	mask := make([]byte, len(t.cols))
	for row, id := range ids {
		r := &records[id].rec
		for i, c := range t.cols {
			mask[i] = '0'
			if c.isKey {
				d.cols[i][row] = &ids[row]
				continue
			}
			cell, ok := r.Cells[c.field.Name]
			if !ok || !cell.Dirty {
				continue
			}
			mask[i] = '1'
			v, err := text(cell.Value, c.field.Type)
			if err != nil {
				return nil, fmt.Errorf("%s %s: field %s: %w", t.obj.Name, id, c.field.Name, err)
			}
			d.cols[i][row] = v
		}
		d.masks[row] = string(mask)
		d.deleted[row] = r.Deleted()
		base, except := encodeVersions(r, t.obj)
		d.baseCommit[row], d.baseSeq[row], d.versions[row] = base.Commit, base.Seq, string(except)
		if !r.CommitTimestamp.IsZero() {
			ts := r.CommitTimestamp
			d.commitTS[row] = &ts
		}
	}
	return d, nil
}

// updateSQL returns the UPDATE of existing rows: each column travels as a
// text array and is cast in SQL, and only the dirty cells' columns are
// set, as the mask says.
func (t *table) updateSQL(d *rowData) (string, []any) {
	args := make([]any, 0, len(t.cols)+6)
	var from, names []string
	for i := range t.cols {
		args = append(args, d.cols[i])
		from = append(from, fmt.Sprintf("$%d::text[]", len(args)))
		names = append(names, fmt.Sprintf("c%d", i))
	}
	for _, a := range []struct {
		val  any
		typ  string
		name string
	}{
		{d.deleted, "bool", "deleted"}, {d.baseCommit, "int8", "base_commit"}, {d.baseSeq, "int4", "base_seq"},
		{d.versions, "jsonb", "versions"}, {d.commitTS, "timestamptz", "commit_ts"}, {d.masks, "text", "mask"},
	} {
		args = append(args, a.val)
		from = append(from, fmt.Sprintf("$%d::%s[]", len(args), a.typ))
		names = append(names, a.name)
	}
	var sets []string
	for i, c := range t.cols {
		if c.isKey {
			continue
		}
		sets = append(sets, fmt.Sprintf("%s = CASE WHEN substr(u.mask, %d, 1) = '1' THEN u.c%d::%s ELSE t.%s END",
			c.ident, i+1, i, c.field.Type, c.ident))
	}
	sets = append(sets, colDeleted+" = u.deleted", colBaseCommit+" = u.base_commit", colBaseSeq+" = u.base_seq",
		colVersions+" = u.versions", colCommitTS+" = u.commit_ts")
	sets = append(sets, colSyncedAt+" = now()")
	key := t.cols[t.key]
	return fmt.Sprintf("UPDATE %s AS t SET %s FROM unnest(%s) AS u(%s) WHERE t.%s = u.c%d::%s", t.ident,
		strings.Join(sets, ", "), strings.Join(from, ", "), strings.Join(names, ", "), key.ident, t.key, key.field.Type), args
}

// copyIn inserts new rows with COPY, in PostgreSQL's text format, which
// casts each value with its column type's input function as the UPDATE's
// ::type does; _sf_synced_at takes its default, now().
func copyIn(ctx context.Context, tx pgx.Tx, t *table, d *rowData) (int, error) {
	cols := make([]string, 0, len(t.cols)+5)
	for _, c := range t.cols {
		cols = append(cols, c.ident)
	}
	cols = append(cols, colDeleted, colBaseCommit, colBaseSeq, colVersions, colCommitTS)
	var buf bytes.Buffer
	for row := range d.deleted {
		for i := range t.cols {
			copyText(&buf, d.cols[i][row])
			buf.WriteByte('\t')
		}
		buf.WriteString(strconv.FormatBool(d.deleted[row]))
		buf.WriteByte('\t')
		buf.WriteString(strconv.FormatInt(d.baseCommit[row], 10))
		buf.WriteByte('\t')
		buf.WriteString(strconv.FormatInt(int64(d.baseSeq[row]), 10))
		buf.WriteByte('\t')
		copyText(&buf, &d.versions[row])
		buf.WriteByte('\t')
		if ts := d.commitTS[row]; ts != nil {
			buf.WriteString(ts.UTC().Format(time.RFC3339Nano))
		} else {
			buf.WriteString(`\N`)
		}
		buf.WriteByte('\n')
	}
	tag, err := tx.Conn().PgConn().CopyFrom(ctx, &buf, "COPY "+t.ident+" ("+strings.Join(cols, ", ")+") FROM STDIN")
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", t.name, err)
	}
	return int(tag.RowsAffected()), nil
}

// copyText writes v as a value of COPY's text format: \N for NULL, and
// backslash, newline, carriage return and tab escaped.
func copyText(buf *bytes.Buffer, v *string) {
	if v == nil {
		buf.WriteString(`\N`)
		return
	}
	for i := 0; i < len(*v); i++ {
		switch c := (*v)[i]; c {
		case '\\':
			buf.WriteString(`\\`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		default:
			buf.WriteByte(c)
		}
	}
}

// queueOffsets queues the recording of the next offsets of group's
// partitions; an offset never moves backwards, so a replica that lost a
// partition cannot undo the progress of the one that took it over.
func queueOffsets(st *statements, group string, offsets []Offset) {
	if len(offsets) == 0 {
		return
	}
	topics := make([]string, len(offsets))
	parts := make([]int32, len(offsets))
	nexts := make([]int64, len(offsets))
	for i, o := range offsets {
		topics[i], parts[i], nexts[i] = o.Topic, int32(o.Partition), o.Next
	}
	st.add("write offsets", `INSERT INTO `+OffsetsTable+` (consumer_group, topic, partition, next_offset, updated_at)
SELECT $1, t, p, n, now() FROM unnest($2::text[], $3::int4[], $4::int8[]) AS u(t, p, n)
ON CONFLICT (consumer_group, topic, partition) DO UPDATE
SET next_offset = greatest(`+OffsetsTable+`.next_offset, excluded.next_offset), updated_at = now()`,
		[]any{group, topics, parts, nexts}, false)
}

// Offsets returns the next offsets of group's partitions of topic, as
// the last applied batches left them; partitions never applied are
// absent.
func (s *Store) Offsets(ctx context.Context, group, topic string) (map[int]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT partition, next_offset FROM `+OffsetsTable+`
WHERE consumer_group = $1 AND topic = $2`, group, topic)
	if err != nil {
		return nil, fmt.Errorf("read offsets of %s: %w", topic, err)
	}
	out := map[int]int64{}
	for rows.Next() {
		var p int32
		var n int64
		if err := rows.Scan(&p, &n); err != nil {
			return nil, fmt.Errorf("read offsets of %s: %w", topic, err)
		}
		out[int(p)] = n
	}
	return out, rows.Err()
}

// IsPoison reports whether err from [Store.Apply] comes from the data of
// the batch, so that retrying it cannot succeed and its envelopes must be
// tried one by one and the bad ones dead-lettered; any other error
// (connection lost, server restarting, serialization failure) is
// transient and the batch is retried as it is.
func IsPoison(err error) bool {
	if errors.Is(err, ErrBadValue) || errors.Is(err, ErrUnmapped) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code[:2] {
		case "22", // data exception: a value the column's type refuses
			"23": // integrity constraint violation: a NOT NULL or CHECK a user added
			return true
		}
	}
	return false
}
