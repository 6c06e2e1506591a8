package e2e

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// Diff is one difference between PostgreSQL and the emulator.
type Diff struct {
	Object, ID, What string
}

func (d Diff) String() string { return fmt.Sprintf("%s %s: %s", d.Object, d.ID, d.What) }

// Compare checks every mapped object's table against the emulator's
// records: a live record must have a live row whose every mapped column
// equals the record's field; a deleted or unknown record must have no
// live row. It returns the differences, at most limit of them, sorted.
func Compare(ctx context.Context, pool *pgxpool.Pool, srv *sffake.Server, m *mapping.Mapping, limit int) ([]Diff, error) {
	var diffs []Diff
	for _, o := range m.Objects {
		rows, err := readTable(ctx, pool, o)
		if err != nil {
			return nil, err
		}
		for rec := range srv.EachRecord(o.Name, true) {
			row, ok := rows[rec.ID]
			delete(rows, rec.ID)
			switch {
			case rec.Deleted && ok && !row.deleted:
				diffs = append(diffs, Diff{o.Name, rec.ID, "deleted in Salesforce, live in PostgreSQL"})
			case rec.Deleted:
			case !ok:
				diffs = append(diffs, Diff{o.Name, rec.ID, "missing in PostgreSQL"})
			case row.deleted:
				diffs = append(diffs, Diff{o.Name, rec.ID, "live in Salesforce, deleted in PostgreSQL"})
			default:
				for i, f := range o.Fields {
					want := expected(f.Type, rec.Fields[f.Name])
					if got := row.values[i]; !equal(got, want) {
						diffs = append(diffs, Diff{o.Name, rec.ID, fmt.Sprintf("%s = %s, want %s", f.Name, show(got), show(want))})
					}
				}
			}
		}
		for id, row := range rows {
			if !row.deleted {
				diffs = append(diffs, Diff{o.Name, id, "live in PostgreSQL, unknown to Salesforce"})
			}
		}
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i].String() < diffs[j].String() })
	if len(diffs) > limit {
		diffs = diffs[:limit]
	}
	return diffs, nil
}

func equal(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func show(p *string) string {
	if p == nil {
		return "NULL"
	}
	return strconv.Quote(*p)
}

type tableRow struct {
	values  []*string
	deleted bool
}

// readTable reads o's table, every mapped column as comparable text
// (timestamps as epoch milliseconds), keyed by record id.
func readTable(ctx context.Context, pool *pgxpool.Pool, o *mapping.Object) (map[string]tableRow, error) {
	cols := make([]string, len(o.Fields))
	for i, f := range o.Fields {
		c := pgx.Identifier{f.Column}.Sanitize()
		if f.Type.Kind == mapping.KindTimestamptz {
			cols[i] = fmt.Sprintf("(extract(epoch FROM %s) * 1000)::bigint::text", c)
		} else {
			cols[i] = c + "::text"
		}
	}
	key := pgx.Identifier{o.KeyField().Column}.Sanitize()
	q := fmt.Sprintf("SELECT %s::text, _sf_deleted, %s FROM %s", key, strings.Join(cols, ", "), pgx.Identifier{o.Table}.Sanitize())
	rows, err := pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", o.Table, err)
	}
	defer rows.Close()
	out := map[string]tableRow{}
	for rows.Next() {
		var id string
		r := tableRow{values: make([]*string, len(o.Fields))}
		dest := []any{&id, &r.deleted}
		for i := range r.values {
			dest = append(dest, &r.values[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read %s: %w", o.Table, err)
		}
		out[id] = r
	}
	return out, rows.Err()
}

// expected renders an emulator field value as readTable renders the
// column of type t.
func expected(t mapping.Type, v any) *string {
	if v == nil {
		return nil
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case bool:
		s = strconv.FormatBool(x)
	case time.Time:
		if t.Kind == mapping.KindDate {
			s = x.UTC().Format("2006-01-02")
		} else {
			s = strconv.FormatInt(x.UnixMilli(), 10)
		}
	case time.Duration:
		s = time.Time{}.Add(x).Format("15:04:05.000")
	case int:
		s = number(t, float64(x))
	case int32:
		s = number(t, float64(x))
	case int64:
		s = number(t, float64(x))
	case float64:
		s = number(t, x)
	default:
		s = fmt.Sprint(x)
	}
	return &s
}

func number(t mapping.Type, f float64) string {
	switch t.Kind {
	case mapping.KindNumeric:
		if t.Precision > 0 {
			return strconv.FormatFloat(f, 'f', t.Scale, 64)
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	case mapping.KindSmallint, mapping.KindInteger, mapping.KindBigint:
		return strconv.FormatInt(int64(math.Round(f)), 10)
	case mapping.KindText, mapping.KindVarchar:
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
