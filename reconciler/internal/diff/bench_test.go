package diff

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/reconciler/internal/source"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// BenchmarkFullVerify runs a full verify of SFSYNC_BENCH_RECORDS accounts
// (default 10,000) held identically by sffake and PostgreSQL, then of the
// same with 100 scattered differences, each against a baseline in the
// same run: every row fetched from both sides and compared in memory.
// It reports both times and their ratio (make bench-reconciler).
func BenchmarkFullVerify(b *testing.B) {
	n := 10_000
	if s := os.Getenv("SFSYNC_BENCH_RECORDS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n <= 0 {
			b.Fatalf("SFSYNC_BENCH_RECORDS=%q: want a positive number", s)
		}
	}
	ctx := context.Background()
	obj := accountMapping(b, "sfsync.account")
	pool := harness.NewPostgres(b).Pool()
	start := time.Now()
	_, reader := startOrg(b, n)
	createTable(b, pool, obj)
	n = int(fillFrom(b, pool, obj, reader.Query(ctx, obj, "", false), 100))
	if _, err := pool.Exec(ctx, "ANALYZE account"); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d accounts seeded and loaded in %v", n, time.Since(start).Round(time.Millisecond))
	d := New(pool, reader, Config{Grace: -1})

	run := func(b *testing.B, wantDrift int) {
		var verify, baseline time.Duration
		var res *Result
		for b.Loop() {
			t0 := time.Now()
			var err error
			if res, err = d.Full(ctx, obj); err != nil {
				b.Fatal(err)
			}
			verify += time.Since(t0)
			t0 = time.Now()
			drift := compareAll(b, pool, reader, obj)
			baseline += time.Since(t0)
			if res.Drift() != wantDrift || drift != wantDrift {
				b.Fatalf("verify found %d, baseline %d, want %d", res.Drift(), drift, wantDrift)
			}
		}
		b.ReportMetric(verify.Seconds()/float64(b.N), "verify-s/op")
		b.ReportMetric(baseline.Seconds()/float64(b.N), "baseline-s/op")
		b.ReportMetric(verify.Seconds()/baseline.Seconds(), "verify/baseline")
		b.ReportMetric(float64(res.Stats.RowsCompared), "rows-compared")
		b.ReportMetric(float64(res.Stats.RangeQueries), "range-queries")
	}
	b.Run(fmt.Sprintf("identical/records=%d", n), func(b *testing.B) { run(b, 0) })
	// 100 differences, one in the middle of each hundredth of the ids.
	tag, err := pool.Exec(ctx, `UPDATE account SET name = name || ' (edited)' WHERE id IN (
		SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM account) s WHERE i % ($1::bigint / 100) = $1::bigint / 200)`, n)
	if err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("100-differences/records=%d", n), func(b *testing.B) { run(b, int(tag.RowsAffected())) })
}

// compareAll is the baseline: every live record and row fetched whole,
// rendered as the verify renders them, and compared in memory. It
// returns how many differ.
func compareAll(b *testing.B, pool *pgxpool.Pool, reader *source.Reader, obj *mapping.Object) int {
	t := newTable(obj)
	ctx := context.Background()
	sf := map[string]string{}
	for row, err := range reader.Query(ctx, obj, "", false) {
		if err != nil {
			b.Fatal(err)
		}
		var s strings.Builder
		s.WriteString(cell(row.ID, true))
		for _, f := range t.fields {
			s.WriteString(cell(render(f.Type, row.Values[f.Name])))
		}
		sf[row.ID] = s.String()
	}
	cells := []string{cellSQL(t.key, obj.KeyField().Type)}
	for _, f := range t.fields {
		cells = append(cells, cellSQL(pgx.Identifier{f.Column}.Sanitize(), f.Type))
	}
	rows, err := pool.Query(ctx, "SELECT "+t.key+"::text, "+strings.Join(cells, " || ")+" FROM "+t.name+" WHERE NOT _sf_deleted")
	if err != nil {
		b.Fatal(err)
	}
	differ := 0
	var id, text string
	_, err = pgx.ForEachRow(rows, []any{&id, &text}, func() error {
		if s, ok := sf[id]; !ok || s != text {
			differ++
		}
		delete(sf, id)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return differ + len(sf)
}
