package pipeline

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/dedup"
	"github.com/sfsync/sfsync/consumer/internal/store"
	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// benchMapping is the real mapping whose Account object the benchmark
// streams: about 45 mapped fields, keyed by territory.
const benchMapping = "../../../schemas/mappings/territory.yaml"

// benchPartitions is the number of partitions of the preloaded topic.
const benchPartitions = 6

// benchEnv reads a positive integer from the environment variable name,
// def when it is unset.
func benchEnv(b *testing.B, name string, def, least int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < least {
		b.Fatalf("%s=%q: want a number >= %d", name, s, least)
	}
	return n
}

// BenchmarkDrain measures how fast the consumer drains a backlog into
// PostgreSQL, against a raw COPY of the same rows in the same run.
//
// It preloads SFSYNC_BENCH_ENVELOPES (default 20,000) Account envelopes
// into a topic of 6 partitions, keyed and balanced as the producer does:
// half are CREATEs of distinct accounts with every mapped field filled,
// interleaved in commit order with UPDATEs of one to four fields (and
// LastModifiedDate and LastModifiedById) of accounts already created. Each iteration then drains the topic from
// the beginning with a fresh consumer group into a fresh schema, timed
// from Run until PostgreSQL's offsets cover every envelope (group join
// included), with Redis as the duplicate filter (fresh key prefix) or
// without. The baseline reads the drained rows back and COPYs them
// (pgx CopyFrom) into an empty table LIKE the drained one, timed.
//
// Metrics: envelopes/s and rows/s of the drain, copy_rows/s of the
// baseline, copy/drain the ratio of the times for the same rows (the
// design's target is at least 0.5), and join_s the time the consumer
// took to own its partitions, included in the drain time. floor/drain
// bounds what any apply could reach: floor is the baseline's COPY plus
// the least the UPDATEs must do, one rewrite of a row per UPDATE
// envelope (one column set to itself, in statements of a batch's ids,
// each its own transaction), so copy/floor is the best copy/drain
// PostgreSQL allows this workload on this machine.
// SFSYNC_BENCH_BATCH_SIZE sets Config.BatchSize (default 1000, the
// consumer's). Use -benchtime=1x at large sizes.
func BenchmarkDrain(b *testing.B) {
	n := benchEnv(b, "SFSYNC_BENCH_ENVELOPES", 20_000, 100)
	batchSize := benchEnv(b, "SFSYNC_BENCH_BATCH_SIZE", 1000, 1)
	m, err := mapping.Load(benchMapping)
	if err != nil {
		b.Fatal(err)
	}
	obj := m.Object("Account")
	if obj == nil {
		b.Fatal("no Account in " + benchMapping)
	}
	codec, err := envelope.NewCodec()
	if err != nil {
		b.Fatal(err)
	}
	k := harness.NewKafka(b)
	d := &drain{
		m: m, obj: obj, codec: codec, kafka: k, n: n, batchSize: batchSize,
		topic: k.Topic("accounts", benchPartitions), dlq: k.Topic("dlq", 1), refetch: k.Topic("refetch", 1),
	}
	start := time.Now()
	d.creates, d.updated = preload(b, k, codec, obj, d.topic, n)
	b.Logf("preloaded %d envelopes (%d creates) into %d partitions in %v", n, d.creates, benchPartitions, time.Since(start).Round(time.Millisecond))
	for _, sc := range []struct {
		name  string
		redis bool
	}{{"no-redis", false}, {"redis", true}} {
		b.Run(sc.name, func(b *testing.B) {
			var total result
			for range b.N {
				r := d.once(b, run{redis: sc.redis, replicas: 1, baseline: true})
				total.drain += r.drain
				total.join += r.join
				total.copy += r.copy
				total.floor += r.floor
				total.rows += r.rows
				total.cpu += r.cpu
				total.sqlTime += r.sqlTime
				b.Logf("drain %v (join %v): PostgreSQL round trips %s; copy %v",
					r.drain.Round(time.Millisecond), r.join.Round(time.Millisecond), r.sql, r.copy.Round(time.Millisecond))
			}
			env := float64(n) * float64(b.N)
			b.ReportMetric(env/total.drain.Seconds(), "envelopes/s")
			b.ReportMetric(float64(total.rows)/total.drain.Seconds(), "rows/s")
			b.ReportMetric(float64(total.rows)/total.copy.Seconds(), "copy_rows/s")
			b.ReportMetric(total.copy.Seconds()/total.drain.Seconds(), "copy/drain")
			b.ReportMetric(total.floor.Seconds()/total.drain.Seconds(), "floor/drain")
			b.ReportMetric(total.copy.Seconds()/total.floor.Seconds(), "copy/floor")
			b.ReportMetric(total.join.Seconds()/float64(b.N), "join_s")
			// Where the time goes: the consumer's CPU (this process's, as
			// Kafka and PostgreSQL run in their own) and the PostgreSQL
			// round trips summed over the lanes, each over the drain's time.
			b.ReportMetric(total.cpu.Seconds()/total.drain.Seconds(), "consumer-cpu/drain")
			b.ReportMetric(total.sqlTime.Seconds()/total.drain.Seconds(), "pg-roundtrips/drain")
		})
	}
	// The same drain by 1, 2 and 4 replicas of one group (in this process,
	// each with its own connection pool), without Redis; the rates as
	// ratios to one replica's.
	b.Run("replicas", func(b *testing.B) {
		took := map[int]time.Duration{}
		for range b.N {
			for _, replicas := range []int{1, 2, 4} {
				r := d.once(b, run{replicas: replicas})
				took[replicas] += r.drain
				b.Logf("%d replicas: drain %v (join %v)", replicas, r.drain.Round(time.Millisecond), r.join.Round(time.Millisecond))
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/took[1].Seconds(), "envelopes/s")
		b.ReportMetric(took[1].Seconds()/took[2].Seconds(), "2-replicas/1")
		b.ReportMetric(took[1].Seconds()/took[4].Seconds(), "4-replicas/1")
	})
}

// run says how [drain.once] drains: with Redis as the duplicate filter,
// by how many replicas, and whether it measures the baselines.
type run struct {
	redis    bool
	replicas int
	baseline bool
}

// drain is the state BenchmarkDrain's iterations share.
type drain struct {
	m                     *mapping.Mapping
	obj                   *mapping.Object
	codec                 *envelope.Codec
	kafka                 *harness.Kafka
	topic, dlq, refetch   string
	n, creates, batchSize int
	updated               []string // the record id of each UPDATE envelope
	runs                  int      // drains so far
}

// result is what one iteration measured.
type result struct {
	drain, join, copy time.Duration
	floor             time.Duration // copy, plus one rewrite of a row per UPDATE envelope
	rows              int
	sql               string        // time in each kind of statement
	sqlTime, cpu      time.Duration // PostgreSQL round trips summed; the consumer's CPU
}

// once drains the topic into a fresh schema as r says, then, for a
// baseline run, COPYs the rows it wrote into an identical table; only
// the drain runs under b's timer.
func (d *drain) once(b *testing.B, r run) result {
	b.StopTimer()
	ctx := context.Background()
	pg := harness.NewPostgres(b)
	pool, sqlTime := tracedPool(b, pg.URL)
	if err := store.New(pool, d.m).Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() {
		// Free the disk now; the harness drops the schema at the end.
		if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS account, account_copy, `+store.OffsetsTable); err != nil {
			b.Error(err)
		}
	}()
	writer := &kafka.Writer{Addr: kafka.TCP(d.kafka.Brokers...), BatchTimeout: 5 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	defer writer.Close()
	d.runs++ // a fresh group, which has committed nothing to Kafka
	group := d.kafka.Group(fmt.Sprintf("drain-%d", d.runs))
	joined := make(chan time.Time, 1)
	var filter Dedup
	if r.redis {
		rd := harness.NewRedis(b)
		filter = dedup.New(rd.Client(), rd.Prefix, time.Hour)
	}
	var consumers []*Consumer
	var metrics []*Metrics
	for replica := range r.replicas {
		p := pool
		if replica > 0 {
			p, _ = tracedPool(b, pg.URL) // each replica its own pool, as in its own process
		}
		m := NewMetrics(prometheus.NewRegistry())
		c, err := New(Config{
			Group: group, Brokers: d.kafka.Brokers, Topics: []string{d.topic},
			DeadLetterTopic: d.dlq, RefetchTopic: d.refetch, Codec: d.codec, Store: store.New(p, d.m), Writer: writer,
			BatchSize: d.batchSize, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: m, Dedup: filter,
			Ready: func(ok bool) {
				if ok {
					select {
					case joined <- time.Now():
					default:
					}
				}
			},
		})
		if err != nil {
			b.Fatal(err)
		}
		consumers, metrics = append(consumers, c), append(metrics, m)
	}
	checkpoint(b, pool)
	sqlTime.reset()

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, len(consumers))
	cpuBefore := processCPU(b)
	b.StartTimer()
	start := time.Now()
	for _, c := range consumers {
		go func() { done <- c.Run(runCtx) }()
	}
	// Poll the metrics, which cost PostgreSQL nothing, then confirm with
	// the offsets stored with the rows.
	deadline := start.Add(30 * time.Minute)
	for {
		if time.Now().After(deadline) {
			b.Fatalf("drain: %d of %d envelopes applied after 30 minutes", applied(b, pool, group, d.topic), d.n)
		}
		if appliedMetric(metrics...) >= d.n && applied(b, pool, group, d.topic) >= int64(d.n) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	res := result{drain: time.Since(start)}
	b.StopTimer()
	res.cpu = processCPU(b) - cpuBefore
	res.sql, res.sqlTime = sqlTime.report(), sqlTime.sum()
	cancel()
	for range consumers {
		if err := <-done; err != nil {
			b.Fatalf("consumer: %v", err)
		}
	}
	select {
	case t := <-joined:
		res.join = t.Sub(start)
	default:
	}
	for _, m := range metrics {
		if dl := testutil.CollectAndCount(m.deadLetters); dl != 0 {
			b.Fatalf("%d dead-letter series: the envelopes should all apply", dl)
		}
		if e := testutil.ToFloat64(m.dedupErrors); e != 0 {
			b.Fatalf("%v Redis errors: the filter was not exercised", e)
		}
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM account`).Scan(&res.rows); err != nil {
		b.Fatal(err)
	}
	if res.rows != d.creates {
		b.Fatalf("%d rows after the drain, want %d", res.rows, d.creates)
	}
	if r.baseline {
		res.copy = copyRows(b, pool)
		res.floor = res.copy + rewriteRows(b, pool, d.updated, d.batchSize)
	}
	return res
}

// tracedPool returns a pool on url whose statements' round-trip times
// are added up by kind, to show where a drain's time goes.
func tracedPool(b *testing.B, url string) (*pgxpool.Pool, *sqlTimes) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	t := &sqlTimes{}
	t.reset()
	cfg.ConnConfig.Tracer = t
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool, t
}

// sqlTimes adds up statement times by kind (the COPY of new rows, sent
// below pgx's tracing, is not among them); it is a pgx.QueryTracer and
// a pgx.BatchTracer, safe for concurrent use.
type sqlTimes struct {
	mu    sync.Mutex
	total map[string]time.Duration
	count map[string]int
}

type sqlStartKey struct{}

type sqlStart struct {
	kind string
	at   time.Time
}

func (t *sqlTimes) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, sqlStartKey{}, sqlStart{kind: sqlKind(data.SQL), at: time.Now()})
}

func (t *sqlTimes) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	s, ok := ctx.Value(sqlStartKey{}).(sqlStart)
	if !ok {
		return
	}
	d := time.Since(s.at)
	t.mu.Lock()
	t.total[s.kind] += d
	t.count[s.kind]++
	t.mu.Unlock()
}

// TraceBatchStart and TraceBatchEnd make sqlTimes a pgx.BatchTracer: a
// batch counts as one statement whose kind joins its statements' kinds.
func (t *sqlTimes) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	var kinds []string
	for _, q := range data.Batch.QueuedQueries {
		if k := sqlKind(q.SQL); !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return context.WithValue(ctx, sqlStartKey{}, sqlStart{kind: strings.Join(kinds, "+"), at: time.Now()})
}

func (t *sqlTimes) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

func (t *sqlTimes) TraceBatchEnd(ctx context.Context, conn *pgx.Conn, _ pgx.TraceBatchEndData) {
	t.TraceQueryEnd(ctx, conn, pgx.TraceQueryEndData{})
}

func (t *sqlTimes) reset() {
	t.mu.Lock()
	t.total, t.count = map[string]time.Duration{}, map[string]int{}
	t.mu.Unlock()
}

// sum returns the time of every statement.
func (t *sqlTimes) sum() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var sum time.Duration
	for _, d := range t.total {
		sum += d
	}
	return sum
}

// processCPU returns the CPU time (user and system) this process has
// used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report lists the kinds of statement by total time, longest first.
func (t *sqlTimes) report() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	kinds := make([]string, 0, len(t.total))
	var sum time.Duration
	for k, d := range t.total {
		kinds = append(kinds, k)
		sum += d
	}
	sort.Slice(kinds, func(i, j int) bool { return t.total[kinds[i]] > t.total[kinds[j]] })
	parts := []string{fmt.Sprintf("total %v", sum.Round(time.Millisecond))}
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %v (%d)", k, t.total[k].Round(time.Millisecond), t.count[k]))
	}
	return strings.Join(parts, ", ")
}

// sqlKind names the statements the store sends.
func sqlKind(sql string) string {
	s := strings.TrimSpace(sql)
	switch {
	case strings.Contains(s, "pg_advisory_xact_lock"):
		return "lock"
	case strings.Contains(s, store.OffsetsTable) && strings.HasPrefix(s, "INSERT"):
		return "offsets"
	case strings.HasPrefix(s, "SELECT") && strings.Contains(s, "= ANY("):
		return "load"
	case strings.HasPrefix(s, "INSERT"):
		return "insert"
	case strings.HasPrefix(s, "UPDATE"):
		return "update"
	case strings.EqualFold(s, "begin"), strings.EqualFold(s, "commit"):
		return strings.ToLower(s)
	case strings.HasPrefix(s, "SELECT coalesce(sum(next_offset)"):
		return "offsets check (benchmark)"
	}
	return "other"
}

// appliedMetric returns how many envelopes the replicas report applied.
func appliedMetric(replicas ...*Metrics) int {
	n := 0.0
	for _, m := range replicas {
		n += testutil.ToFloat64(m.applied.WithLabelValues("Account", "changed")) +
			testutil.ToFloat64(m.applied.WithLabelValues("Account", "unchanged"))
	}
	return int(n)
}

// applied returns how many envelopes of topic group has applied, from
// the offsets stored with them.
func applied(b *testing.B, pool *pgxpool.Pool, group, topic string) int64 {
	var n int64
	err := pool.QueryRow(context.Background(), `SELECT coalesce(sum(next_offset), 0) FROM `+store.OffsetsTable+`
WHERE consumer_group = $1 AND topic = $2`, group, topic).Scan(&n)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// checkpoint flushes PostgreSQL's dirty pages, so that a timed phase
// does not pay for the writes of the one before; it needs a superuser
// (or pg_checkpoint) and is skipped without.
func checkpoint(b *testing.B, pool *pgxpool.Pool) {
	if _, err := pool.Exec(context.Background(), "CHECKPOINT"); err != nil {
		b.Logf("CHECKPOINT refused (%v); timings include earlier writes", err)
	}
}

// copyRows reads every row of account back and returns how long a COPY
// of them into an empty table LIKE account takes.
func copyRows(b *testing.B, pool *pgxpool.Pool) time.Duration {
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE account_copy (LIKE account INCLUDING ALL)`); err != nil {
		b.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT * FROM account`)
	if err != nil {
		b.Fatal(err)
	}
	var cols []string
	for _, f := range rows.FieldDescriptions() {
		cols = append(cols, f.Name)
	}
	var data [][]any
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, v)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	checkpoint(b, pool)
	start := time.Now()
	n, err := pool.CopyFrom(ctx, pgx.Identifier{"account_copy"}, cols, pgx.CopyFromRows(data))
	took := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	if int(n) != len(data) {
		b.Fatalf("copied %d rows of %d", n, len(data))
	}
	return took
}

// rewriteRows returns how long rewriting a row of account_copy once per
// id of ids takes: each row's name set to itself, which writes a new
// version of the row as any UPDATE does, batch ids to a statement.
func rewriteRows(b *testing.B, pool *pgxpool.Pool, ids []string, batch int) time.Duration {
	ctx := context.Background()
	checkpoint(b, pool)
	start := time.Now()
	for chunk := range slices.Chunk(ids, batch) {
		tag, err := pool.Exec(ctx, `UPDATE account_copy SET name = name WHERE id = ANY($1)`, chunk)
		if err != nil {
			b.Fatal(err)
		}
		if tag.RowsAffected() == 0 {
			b.Fatalf("rewrote no row of %d ids", len(chunk))
		}
	}
	return time.Since(start)
}

// preload writes n Account envelopes to topic as the producer would
// (key: the partition key, Murmur2 balancer, change-type header) and
// returns how many are CREATEs: every other envelope, the others
// UPDATEs of accounts created earlier, in commit order; and the record
// id of each UPDATE.
func preload(b *testing.B, k *harness.Kafka, codec *envelope.Codec, obj *mapping.Object, topic string, n int) (int, []string) {
	w := &kafka.Writer{
		Addr: kafka.TCP(k.Brokers...), Topic: topic, Balancer: kafka.Murmur2Balancer{Consistent: true},
		RequiredAcks: kafka.RequireAll, BatchSize: 10_000, BatchTimeout: 10 * time.Millisecond, // BatchBytes: the broker's 1 MiB default
	}
	defer w.Close()
	g := newGenerator(obj, n)
	const chunk = 50_000
	msgs := make([]kafka.Message, 0, chunk)
	flush := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			msg := err.Error()
			if len(msg) > 500 {
				msg = msg[:500] + "..."
			}
			b.Fatalf("preload: %s", msg)
		}
		msgs = msgs[:0]
	}
	for i := range n {
		e := g.next(i)
		v, err := codec.Encode(nil, e)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, kafka.Message{
			Key: []byte(e.PartitionKey), Value: v,
			Headers: []kafka.Header{{Key: "sfsync-change-type", Value: []byte(e.ChangeType.String())}},
		})
		if len(msgs) == chunk {
			flush()
		}
	}
	if len(msgs) > 0 {
		flush()
	}
	return g.created, g.updated
}

// generator makes the benchmark's envelopes, deterministically.
type generator struct {
	obj     *mapping.Object
	rnd     *rand.Rand
	created int
	updated []string // the record id of each UPDATE made
	terrs   int      // territories, about 50 accounts each
	updates []string // the fields an UPDATE may change
	base    time.Time
}

func newGenerator(obj *mapping.Object, n int) *generator {
	g := &generator{
		obj: obj, rnd: rand.New(rand.NewPCG(1, 2)), terrs: max(n/2/50, 1),
		base: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for _, f := range obj.Fields {
		switch f.Name {
		case obj.Key, obj.PartitionKey, "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById":
		default:
			g.updates = append(g.updates, f.Name)
		}
	}
	return g
}

// sfid returns an 18-character Salesforce-like id.
func sfid(prefix string, n int) string { return fmt.Sprintf("%s%015d", prefix, n) }

// next returns the i-th envelope: a CREATE when i is even, else an
// UPDATE of a random account already created.
func (g *generator) next(i int) *envelope.Envelope {
	commit := int64(1_000_000 + i)
	ts := g.base.Add(time.Duration(i) * time.Millisecond)
	var replay [8]byte
	binary.BigEndian.PutUint64(replay[:], uint64(i+1))
	e := &envelope.Envelope{
		EventID: fmt.Sprintf("bench-%d", i), OrgID: "00D000000000001AAA", SourceChannel: "/data/AccountChangeEvent",
		ReplayID: replay[:], Entity: g.obj.Name, CommitTimestamp: ts, CommitNumber: commit, SequenceNumber: 1,
		TransactionKey: fmt.Sprintf("tx-%d", i), CommitUser: sfid("005", i%200), ProducedAt: ts.Add(40 * time.Millisecond),
		Values: map[string]envelope.Value{},
	}
	var rec int
	if i%2 == 0 {
		rec = g.created
		g.created++
		e.ChangeType = envelope.ChangeCreate
		for _, f := range g.obj.Fields {
			if f.Name != g.obj.Key {
				e.Values[f.Name] = g.value(f, rec, i)
			}
		}
	} else {
		rec = g.rnd.IntN(g.created)
		e.ChangeType = envelope.ChangeUpdate
		for range 1 + g.rnd.IntN(4) {
			name := g.updates[g.rnd.IntN(len(g.updates))]
			e.Values[name] = g.value(g.obj.Field(name), rec, i)
		}
		e.Values["LastModifiedDate"] = envelope.DateTimeValue(ts)
		e.Values["LastModifiedById"] = envelope.StringValue(e.CommitUser)
		for name := range e.Values {
			e.ChangedFields = append(e.ChangedFields, name)
		}
	}
	e.RecordID = sfid("001", rec)
	if e.ChangeType == envelope.ChangeUpdate {
		g.updated = append(g.updated, e.RecordID)
	}
	e.PartitionKey = sfid("0MI", rec%g.terrs)
	return e
}

// value returns a plausible value of field f for record rec at event i.
func (g *generator) value(f *mapping.Field, rec, i int) envelope.Value {
	switch f.Name {
	case g.obj.PartitionKey:
		return envelope.StringValue(sfid("0MI", rec%g.terrs))
	case "ParentId":
		return envelope.StringValue(sfid("001", rec/10))
	case "CreatedDate", "LastModifiedDate":
		return envelope.DateTimeValue(g.base.Add(time.Duration(i) * time.Millisecond))
	}
	switch f.Type.Kind {
	case mapping.KindVarchar:
		return envelope.StringValue(sfid("005", g.rnd.IntN(1000)))
	case mapping.KindInteger, mapping.KindSmallint:
		return envelope.IntValue(int32(g.rnd.IntN(10_000)))
	case mapping.KindBigint:
		return envelope.LongValue(g.rnd.Int64N(1 << 40))
	case mapping.KindNumeric:
		return envelope.DecimalValue(envelope.DecimalFromInt64(g.rnd.Int64N(1e12), 2))
	case mapping.KindDoublePrecision, mapping.KindReal:
		return envelope.DoubleValue(g.rnd.Float64()*180 - 90)
	case mapping.KindTimestamptz:
		return envelope.DateTimeValue(g.base.Add(-time.Duration(g.rnd.IntN(1e9)) * time.Second))
	case mapping.KindBoolean:
		return envelope.BoolValue(g.rnd.IntN(2) == 0)
	default:
		return envelope.StringValue(fmt.Sprintf("%s %d-%d", f.Name, rec, g.rnd.IntN(1_000_000)))
	}
}
