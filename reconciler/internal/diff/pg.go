package diff

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/schemas/mapping"
	"github.com/sfsync/sfsync/schemas/tablelayout"
)

// DB runs PostgreSQL queries; *pgxpool.Pool and *pgx.Conn are DBs.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// agg is the hash of a range of rows: their count and the XOR of their
// row hashes.
type agg struct {
	n int64
	x int64
}

func (a *agg) add(h int64) { a.n++; a.x ^= h }

// boundaries returns every step-th key of the live rows in fold order:
// the lower bounds of the segments after the first.
func (t *table) boundaries(ctx context.Context, db DB, step int) ([]string, error) {
	q := fmt.Sprintf(`SELECT k FROM (SELECT %s::text AS k, row_number() OVER (ORDER BY %s) AS rn FROM %s WHERE NOT %s) s WHERE rn %% $1 = 1 AND rn > 1 ORDER BY rn`,
		t.key, t.foldKey, t.name, tablelayout.Deleted)
	rows, err := db.Query(ctx, q, step)
	if err != nil {
		return nil, fmt.Errorf("sample %s keys: %w", t.obj.Table, err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("sample %s keys: %w", t.obj.Table, err)
	}
	// Keys equal ignoring case would make empty segments; drop them.
	out := keys[:0]
	for _, k := range keys {
		if len(out) == 0 || foldCompare(out[len(out)-1], k) < 0 {
			out = append(out, k)
		}
	}
	return out, nil
}

// bucketSQL returns the bucket expression of a row for the thresholds in
// parameter $1 (folded keys, ascending): width_bucket gives 0 below the
// first threshold and i from the i-th on, as [bucketOf] does. Over name,
// a fixed-length type compared byte-wise, width_bucket searches the
// thresholds by bisection; over text it walks them one by one, which
// costs a minute per million rows at 6,400 thresholds (0.2s as name).
func (t *table) bucketSQL() string { return bucketSQL(t.foldKey, t.bucketType) }

func bucketSQL(foldKey, typ string) string {
	return "width_bucket(" + foldKey + "::" + typ + ", $1::" + typ + "[])"
}

// aggregates returns the count and hash of the live rows in each bucket
// of the thresholds named in want (every bucket when want is nil).
func (t *table) aggregates(ctx context.Context, db DB, thresholds []string, want []int32) (map[int32]agg, error) {
	q := fmt.Sprintf(`SELECT b, count(*), bit_xor(h) FROM (SELECT %s AS b, %s AS h FROM %s WHERE NOT %s) s`,
		t.bucketSQL(), t.hash, t.name, tablelayout.Deleted)
	args := []any{folded(thresholds)}
	if want != nil {
		// The filter on b is evaluated before the hash, so that only
		// the wanted rows are hashed.
		q = fmt.Sprintf(`SELECT b, count(*), bit_xor(%s) FROM (SELECT %s AS b, * FROM %s WHERE NOT %s) s WHERE ($2::boolean[])[b + 1]`,
			t.hash, t.bucketSQL(), t.name, tablelayout.Deleted)
		args = append(args, mask(len(thresholds), want))
	}
	rows, err := db.Query(ctx, q+" GROUP BY b", args...)
	if err != nil {
		return nil, fmt.Errorf("hash %s ranges: %w", t.obj.Table, err)
	}
	out := map[int32]agg{}
	var b int32
	var a agg
	_, err = pgx.ForEachRow(rows, []any{&b, &a.n, &a.x}, func() error { out[b] = a; return nil })
	if err != nil {
		return nil, fmt.Errorf("hash %s ranges: %w", t.obj.Table, err)
	}
	return out, nil
}

// keyHash is a record key and its row hash.
type keyHash struct {
	id string
	h  int64
}

// hashes returns the key and row hash of every live row in the buckets
// want of thresholds.
func (t *table) hashes(ctx context.Context, db DB, thresholds []string, want []int32) ([]keyHash, error) {
	q := fmt.Sprintf(`SELECT %s::text, %s FROM (SELECT %s AS b, * FROM %s WHERE NOT %s) s WHERE ($2::boolean[])[b + 1]`,
		t.key, t.hash, t.bucketSQL(), t.name, tablelayout.Deleted)
	rows, err := db.Query(ctx, q, folded(thresholds), mask(len(thresholds), want))
	if err != nil {
		return nil, fmt.Errorf("read %s row hashes: %w", t.obj.Table, err)
	}
	var out []keyHash
	var kh keyHash
	_, err = pgx.ForEachRow(rows, []any{&kh.id, &kh.h}, func() error { out = append(out, kh); return nil })
	if err != nil {
		return nil, fmt.Errorf("read %s row hashes: %w", t.obj.Table, err)
	}
	return out, nil
}

// mask returns the buckets want of n thresholds as a boolean array
// indexed by bucket (from 1 in SQL), so that a row's test costs one
// lookup however many buckets are wanted.
func mask(n int, want []int32) []bool {
	m := make([]bool, n+1)
	for _, b := range want {
		m[b] = true
	}
	return m
}

func folded(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fold(k)
	}
	return out
}

// pgRow is a PostgreSQL row read for a field-level comparison and its
// repair.
type pgRow struct {
	id      string
	deleted bool
	// cells holds each field's canonical text (nil for NULL), display its
	// ::text, in the order of table.fields.
	cells, display []*string
	// part is the partition key column's value, "" when NULL or the key.
	part string
	// newest is the newest version of any of the row's fields.
	newest publish.Version
}

// rows reads the rows with the given keys, tombstones included.
func (t *table) rows(ctx context.Context, db DB, ids []string) (map[string]*pgRow, error) {
	cols := []string{t.key + "::text", tablelayout.Deleted, tablelayout.BaseCommit, tablelayout.BaseSeq, "coalesce(" + tablelayout.Versions + "::text, '{}')"}
	if t.part != "" {
		cols = append(cols, t.part+"::text")
	} else {
		cols = append(cols, "NULL::text")
	}
	for _, f := range t.fields {
		col := pgx.Identifier{f.Column}.Sanitize()
		cols = append(cols, valueSQL(col, f.Type), col+"::text")
	}
	match := t.key + "::text"
	if k := t.obj.KeyField().Type.Kind; k == mapping.KindText || k == mapping.KindVarchar {
		match = t.key // keeps the primary key index usable
	}
	q := fmt.Sprintf(`SELECT %s FROM %s WHERE %s = ANY($1::text[])`, strings.Join(cols, ", "), t.name, match)
	out := make(map[string]*pgRow, len(ids))
	for start := 0; start < len(ids); start += 1000 {
		rows, err := db.Query(ctx, q, ids[start:min(start+1000, len(ids))])
		if err != nil {
			return nil, fmt.Errorf("read %s rows: %w", t.obj.Table, err)
		}
		for rows.Next() {
			r := &pgRow{cells: make([]*string, len(t.fields)), display: make([]*string, len(t.fields))}
			var versions string
			var part *string
			dest := []any{&r.id, &r.deleted, &r.newest.Commit, &r.newest.Seq, &versions, &part}
			for i := range t.fields {
				dest = append(dest, &r.cells[i], &r.display[i])
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read %s rows: %w", t.obj.Table, err)
			}
			if part != nil {
				r.part = *part
			}
			newest, err := publish.Newest(r.newest, []byte(versions))
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("read %s %s: %w", t.obj.Table, r.id, err)
			}
			r.newest = newest
			out[r.id] = r
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read %s rows: %w", t.obj.Table, err)
		}
	}
	return out, nil
}
