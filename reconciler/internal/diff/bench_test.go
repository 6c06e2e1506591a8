package diff

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/reconciler/internal/source"
	"github.com/sfsync/sfsync/reconciler/internal/tabletest"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// BenchmarkFullVerify runs a full verify of SFSYNC_BENCH_RECORDS accounts
// (default 10,000) held identically by Salesforce and PostgreSQL, then of
// the same with 100 scattered differences, each against a baseline in the
// same run: every row fetched from both sides and compared in memory.
// Salesforce is sfemu in a process of its own, as a real org is remote,
// so that this process holds only the reconciler's work. It reports both
// times, their ratio, and the peak live heap each needed (make
// bench-reconciler).
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
	reader := startEmulator(b, n)
	tabletest.Create(b, pool, obj)
	n = int(fillFrom(b, pool, obj, reader.Query(ctx, obj, "", false), 100))
	if _, err := pool.Exec(ctx, "ANALYZE account"); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d accounts seeded and loaded in %v", n, time.Since(start).Round(time.Millisecond))
	d := New(pool, reader, Config{Grace: -1})

	run := func(b *testing.B, wantDrift int) {
		var verify, baseline time.Duration
		var verifyHeap, baselineHeap uint64
		var res *Result
		for b.Loop() {
			t0, heap := time.Now(), watchHeap()
			var err error
			if res, err = d.Full(ctx, obj); err != nil {
				b.Fatal(err)
			}
			verify += time.Since(t0)
			verifyHeap = max(verifyHeap, heap())
			t0, heap = time.Now(), watchHeap()
			drift := compareAll(b, pool, reader, obj)
			baseline += time.Since(t0)
			baselineHeap = max(baselineHeap, heap())
			if res.Drift() != wantDrift || drift != wantDrift {
				b.Fatalf("verify found %d, baseline %d, want %d", res.Drift(), drift, wantDrift)
			}
		}
		b.ReportMetric(verify.Seconds()/float64(b.N), "verify-s/op")
		b.ReportMetric(baseline.Seconds()/float64(b.N), "baseline-s/op")
		b.ReportMetric(verify.Seconds()/baseline.Seconds(), "verify/baseline")
		b.ReportMetric(float64(verifyHeap)/(1<<20), "verify-heap-MiB")
		b.ReportMetric(float64(baselineHeap)/(1<<20), "baseline-heap-MiB")
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
// both sides at once, rendered as the verify renders them, and compared
// in memory. It returns how many differ.
func compareAll(b *testing.B, pool *pgxpool.Pool, reader *source.Reader, obj *mapping.Object) int {
	t := newTable(obj)
	ctx := context.Background()
	cells := []string{cellSQL(t.key, obj.KeyField().Type)}
	for _, f := range t.fields {
		cells = append(cells, cellSQL(pgx.Identifier{f.Column}.Sanitize(), f.Type))
	}
	pg := map[string]string{}
	pgDone := make(chan error, 1)
	go func() {
		rows, err := pool.Query(ctx, "SELECT "+t.key+"::text, "+strings.Join(cells, " || ")+" FROM "+t.name+" WHERE NOT _sf_deleted")
		if err != nil {
			pgDone <- err
			return
		}
		var id, text string
		_, err = pgx.ForEachRow(rows, []any{&id, &text}, func() error { pg[id] = text; return nil })
		pgDone <- err
	}()
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
	if err := <-pgDone; err != nil {
		b.Fatal(err)
	}
	differ := 0
	for id, text := range pg {
		if s, ok := sf[id]; !ok || s != text {
			differ++
		}
		delete(sf, id)
	}
	return differ + len(sf)
}

// watchHeap samples the live heap (as of each garbage collection) until
// the returned function is called, which returns the peak above the live
// heap at the start.
func watchHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := read()
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		return max(peak.Load(), base) - base
	}
}

// startEmulator builds sfemu, starts it seeded with accounts accounts
// and no churn, waits for the seeding to finish and returns a reader of
// its REST API.
func startEmulator(b *testing.B, accounts int) *source.Reader {
	b.Helper()
	dir := b.TempDir()
	bin := filepath.Join(dir, "sfemu")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/sfsync/sfsync/salesforce/cmd/sfemu").CombinedOutput(); err != nil {
		b.Fatalf("build sfemu: %v\n%s", err, out)
	}
	token := "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	cmd := exec.Command(bin, "--http-addr", "127.0.0.1:0", "--pubsub-addr", "127.0.0.1:0", "--token", token,
		"--accounts", strconv.Itoa(accounts), "--no-churn")
	logs, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	instanceURL := regexp.MustCompile(`instance_url=(\S+)`)
	var url string
	lines := bufio.NewScanner(logs)
	for lines.Scan() {
		if m := instanceURL.FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
		}
		if strings.Contains(lines.Text(), "dataset seeded") {
			break
		}
	}
	if url == "" || lines.Err() != nil {
		b.Fatalf("sfemu did not report its address and a seeded dataset (%v)", lines.Err())
	}
	go func() { _, _ = io.Copy(io.Discard, logs) }()
	rc, err := rest.New(rest.Config{
		Credentials: rest.StaticCredentials(rest.Token{AccessToken: oauth.Secret(token), InstanceURL: url}),
		BackoffMin:  time.Millisecond, BackoffMax: 5 * time.Millisecond,
	})
	if err != nil {
		b.Fatal(err)
	}
	return &source.Reader{REST: rc}
}
