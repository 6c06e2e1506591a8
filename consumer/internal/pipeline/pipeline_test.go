package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/dedup"
	"github.com/sfsync/sfsync/consumer/internal/store"
	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/schemas/deadletter"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

const testMapping = `version: 1
objects:
  Account:
    table: account
    kafka_topic: accounts
    fields:
      Id: varchar(18)
      Name: text
      NumberOfEmployees: integer
`

// rig is one test's consumer and its services.
type rig struct {
	t        *testing.T
	kafka    *harness.Kafka
	pool     *pgxpool.Pool
	redis    *harness.Redis
	codec    *envelope.Codec
	topic    string
	dlq      string
	refetch  string
	group    string
	store    *store.Store
	producer *kafka.Writer
	// applyTimeout, when set, is the consumers' ApplyTimeout.
	applyTimeout time.Duration
}

func newRig(t *testing.T, partitions int) *rig {
	t.Helper()
	m, err := mapping.Parse("mapping.yaml", []byte(testMapping))
	if err != nil {
		t.Fatal(err)
	}
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	k := harness.NewKafka(t)
	r := &rig{
		t: t, kafka: k, pool: harness.NewPostgres(t).Pool(), redis: harness.NewRedis(t), codec: codec,
		topic: k.Topic("accounts", partitions), dlq: k.Topic("dlq", 1), refetch: k.Topic("refetch", 1),
		group: k.Group("consumer"),
	}
	r.store = store.New(r.pool, m)
	if err := r.store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.producer = &kafka.Writer{Addr: kafka.TCP(k.Brokers...), Balancer: &kafka.Hash{}, BatchTimeout: 5 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	t.Cleanup(func() { r.producer.Close() })
	return r
}

// start runs a consumer until the test ends or stop is called.
func (r *rig) start(withRedis bool) (stop func(), metrics *Metrics) {
	r.t.Helper()
	writer := &kafka.Writer{Addr: kafka.TCP(r.kafka.Brokers...), BatchTimeout: 5 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	reg := prometheus.NewRegistry()
	metrics = NewMetrics(reg)
	cfg := Config{
		Group: r.group, Brokers: r.kafka.Brokers, Topics: []string{r.topic},
		DeadLetterTopic: r.dlq, RefetchTopic: r.refetch, Codec: r.codec, Store: r.store, Writer: writer,
		BatchSize: 50, ApplyTimeout: r.applyTimeout, SessionTimeout: 6 * time.Second, RebalanceTimeout: 6 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics,
	}
	if withRedis {
		cfg.Dedup = dedup.New(r.redis.Client(), r.redis.Prefix, time.Hour)
	}
	c, err := New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once bool
	stop = func() {
		if once {
			return
		}
		once = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				r.t.Errorf("consumer: %v", err)
			}
		case <-time.After(60 * time.Second):
			r.t.Error("consumer did not stop within 60s")
		}
		writer.Close()
	}
	r.t.Cleanup(stop)
	return stop, metrics
}

func (r *rig) send(envs ...*envelope.Envelope) {
	r.t.Helper()
	var msgs []kafka.Message
	for _, e := range envs {
		v, err := r.codec.Encode(nil, e)
		if err != nil {
			r.t.Fatal(err)
		}
		msgs = append(msgs, kafka.Message{Topic: r.topic, Key: []byte(e.RecordID), Value: v})
	}
	r.sendRaw(msgs...)
}

func (r *rig) sendRaw(msgs ...kafka.Message) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.producer.WriteMessages(ctx, msgs...); err != nil {
		r.t.Fatal(err)
	}
}

// waitFor polls cond until it holds or 60s pass.
func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *rig) count(q string, args ...any) int {
	var n int
	if err := r.pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		r.t.Fatal(err)
	}
	return n
}

func (r *rig) read(topic string, n int) []kafka.Message {
	r.t.Helper()
	rd := kafka.NewReader(kafka.ReaderConfig{Brokers: r.kafka.Brokers, Topic: topic, MaxWait: 100 * time.Millisecond})
	defer rd.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out []kafka.Message
	for len(out) < n {
		m, err := rd.ReadMessage(ctx)
		if err != nil {
			r.t.Fatalf("read %s: got %d of %d: %v", topic, len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

func account(id string, commit int64, ct envelope.ChangeType, name string) *envelope.Envelope {
	e := &envelope.Envelope{
		EventID: fmt.Sprintf("ev-%s-%d", id, commit), Entity: "Account", RecordID: id, ChangeType: ct,
		CommitNumber: commit, CommitTimestamp: time.Now().Add(-time.Second).UTC().Truncate(time.Millisecond),
	}
	if name != "" {
		e.Values = map[string]envelope.Value{"Name": envelope.StringValue(name)}
	}
	return e
}

func TestConsumeAppliesResumesAndDeduplicates(t *testing.T) {
	t.Parallel()
	r := newRig(t, 3)
	const records = 40
	var envs []*envelope.Envelope
	for i := range records {
		id := fmt.Sprintf("001%015d", i)
		envs = append(envs, account(id, 10, envelope.ChangeCreate, "v1"), account(id, 20, envelope.ChangeUpdate, "v2"))
	}
	r.send(envs...)
	stop, m := r.start(true)
	r.waitFor("every row at v2", func() bool {
		return r.count(`SELECT count(*) FROM account WHERE name = 'v2'`) == records
	})
	// The only replica owns all three partitions, as the partition-count
	// gauge says the topic has.
	r.waitFor("the topic's partition count", func() bool {
		return testutil.ToFloat64(m.partitions.WithLabelValues(r.topic)) == 3
	})
	if n := testutil.ToFloat64(m.assigned.WithLabelValues(r.topic)); n != 3 {
		t.Fatalf("%v partitions assigned, want 3", n)
	}
	stop()
	// The offsets are in PostgreSQL; a restart applies only what is new.
	if n := r.count(`SELECT coalesce(sum(next_offset), 0) FROM sfsync_consumer_offsets WHERE consumer_group = $1`, r.group); n != 2*records {
		t.Fatalf("stored offsets sum to %d, want %d", n, 2*records)
	}
	applied := testutil.ToFloat64(m.applied.WithLabelValues("Account", "changed"))
	if applied != 2*records {
		t.Fatalf("applied %v envelopes, want %d", applied, 2*records)
	}
	// Redelivered duplicates (as after a producer crash) are filtered by
	// Redis; a newer change goes through.
	r.send(append(envs[:10:10], account("001000000000000000", 30, envelope.ChangeUpdate, "v3"))...)
	stop, m = r.start(true)
	r.waitFor("the newer change", func() bool {
		return r.count(`SELECT count(*) FROM account WHERE name = 'v3'`) == 1
	})
	r.waitFor("dedup hits", func() bool { return testutil.ToFloat64(m.dedupHits) == 10 })
	stop()
	if n := r.count(`SELECT count(*) FROM account WHERE name = 'v2'`); n != records-1 {
		t.Fatalf("%d rows at v2, want %d", n, records-1)
	}
}

// TestApplyTimeout checks that a batch held up in PostgreSQL (here by a
// lock another session holds) is rolled back after ApplyTimeout and
// retried, rather than holding its lane for as long as the lock lasts.
func TestApplyTimeout(t *testing.T) {
	t.Parallel()
	r := newRig(t, 1)
	r.applyTimeout = 300 * time.Millisecond
	id := "001000000000000002"
	r.send(account(id, 10, envelope.ChangeCreate, "before"))
	_, m := r.start(false)
	r.waitFor("the row", func() bool { return r.count(`SELECT count(*) FROM account WHERE name = 'before'`) == 1 })

	ctx := context.Background()
	lock, err := r.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Rollback(ctx) }()
	if _, err := lock.Exec(ctx, `LOCK TABLE account IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	r.send(account(id, 20, envelope.ChangeUpdate, "after"))
	r.waitFor("an attempt timed out and retried", func() bool { return testutil.ToFloat64(m.retries) >= 2 })
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the update once the lock is gone", func() bool {
		return r.count(`SELECT count(*) FROM account WHERE name = 'after'`) == 1
	})
}

func TestConsumeWithoutRedisGivesSameRows(t *testing.T) {
	t.Parallel()
	r := newRig(t, 2)
	id := "001000000000000001"
	r.send(account(id, 20, envelope.ChangeUpdate, "new"), account(id, 10, envelope.ChangeCreate, "old"),
		account(id, 20, envelope.ChangeUpdate, "new"))
	stop, m := r.start(false)
	r.waitFor("the row", func() bool {
		return r.count(`SELECT count(*) FROM account WHERE name = 'new'`) == 1
	})
	// Alone in its group, the replica joins once: any function of a
	// generation that returns early would end it and start a storm.
	if n := testutil.ToFloat64(m.generations); n > 2 {
		t.Errorf("%v generations joined by a lone replica", n)
	}
	stop()
}

func TestPoisonAndMarkers(t *testing.T) {
	t.Parallel()
	r := newRig(t, 1)
	good := account("001000000000000002", 10, envelope.ChangeCreate, "good")
	tooBig := account("001000000000000003", 10, envelope.ChangeCreate, "")
	tooBig.Values = map[string]envelope.Value{"NumberOfEmployees": envelope.LongValue(1 << 40)}
	gap := account("001000000000000004", 11, envelope.ChangeGapUpdate, "")
	r.send(good, tooBig, gap)
	r.sendRaw(kafka.Message{Topic: r.topic, Key: []byte("junk"), Value: []byte("not an envelope")})
	// A Schema Registry frame (magic byte 0, schema id 7) to a consumer
	// configured without a registry.
	r.sendRaw(kafka.Message{Topic: r.topic, Key: []byte("framed"), Value: []byte{0, 0, 0, 0, 7, 2, 'x'}})
	after := account("001000000000000005", 12, envelope.ChangeCreate, "after")
	r.send(after)
	stop, m := r.start(true)
	r.waitFor("rows around the poison", func() bool {
		return r.count(`SELECT count(*) FROM account WHERE name IN ('good', 'after')`) == 2
	})
	dls := r.read(r.dlq, 3)
	stop()
	reasons := map[string]map[string]string{}
	for _, d := range dls {
		h := map[string]string{}
		for _, x := range d.Headers {
			h[x.Key] = string(x.Value)
		}
		reasons[h[deadletter.HeaderOriginOffset]] = h
		if h[deadletter.HeaderOriginTopic] != r.topic || h[deadletter.HeaderOriginPartition] != "0" || h[deadletter.HeaderTime] == "" || h[deadletter.HeaderGroup] != r.group {
			t.Errorf("dead letter headers: %v", h)
		}
	}
	if !strings.HasPrefix(reasons["1"][deadletter.HeaderReason], "apply: ") || !strings.Contains(reasons["1"][deadletter.HeaderReason], "integer") {
		t.Errorf("the out-of-range record's reason: %q", reasons["1"][deadletter.HeaderReason])
	}
	if !strings.HasPrefix(reasons["3"][deadletter.HeaderReason], "decode: ") {
		t.Errorf("the junk record's reason: %q", reasons["3"][deadletter.HeaderReason])
	}
	if why := reasons["4"][deadletter.HeaderReason]; !strings.HasPrefix(why, "decode: ") || !strings.Contains(why, "schema id 7") || !strings.Contains(why, "no schema registry is configured") {
		t.Errorf("the Schema Registry frame's reason: %q", why)
	}
	fwd := r.read(r.refetch, 1)
	e, err := r.codec.Decode(fwd[0].Value)
	if err != nil || e.ChangeType != envelope.ChangeGapUpdate || e.RecordID != gap.RecordID {
		t.Fatalf("forwarded %+v, %v", e, err)
	}
	if n := r.count(`SELECT count(*) FROM account WHERE id = $1`, gap.RecordID); n != 0 {
		t.Fatal("a GAP marker was applied as data")
	}
	// Only applied envelopes are marked seen, so a replayed dead letter
	// gets through.
	for _, e := range []*envelope.Envelope{good, tooBig} {
		n, err := r.redis.Client().Exists(context.Background(), r.redis.Prefix+dedupKey(e)).Result()
		if err != nil || (n == 1) != (e == good) {
			t.Errorf("redis key of %s: exists=%d (%v)", e.RecordID, n, err)
		}
	}
	if got := testutil.ToFloat64(m.deadLetters.WithLabelValues(r.topic, "apply")); got != 1 {
		t.Fatalf("apply dead letters = %v", got)
	}
}

// TestSubsetMappingIgnoresTheRest checks that a consumer whose mapping
// names a subset of the objects and fields on its topics (a team's own
// consumer) applies its fields and ignores the rest: the fields it does
// not map, and the envelopes and markers of objects it does not map,
// with no dead letter and nothing forwarded.
func TestSubsetMappingIgnoresTheRest(t *testing.T) {
	t.Parallel()
	r := newRig(t, 1)
	wide := account("001000000000000006", 10, envelope.ChangeCreate, "wide")
	wide.Values["Industry"] = envelope.StringValue("Energy") // not in the mapping
	wide.Values["NumberOfEmployees"] = envelope.IntValue(7)
	onlyOthers := account("001000000000000006", 11, envelope.ChangeUpdate, "")
	onlyOthers.Values = map[string]envelope.Value{"Industry": envelope.StringValue("Retail")}
	other := account("006000000000000001", 12, envelope.ChangeCreate, "an opportunity")
	other.Entity = "Opportunity" // an object this consumer does not map, on its topic
	otherGap := account("006000000000000002", 13, envelope.ChangeGapUpdate, "")
	otherGap.Entity = "Opportunity"
	after := account("001000000000000007", 14, envelope.ChangeCreate, "after")
	r.send(wide, onlyOthers, other, otherGap, after)
	stop, m := r.start(false)
	r.waitFor("the mapped rows", func() bool {
		return r.count(`SELECT count(*) FROM account WHERE name IN ('wide', 'after')`) == 2
	})
	r.waitFor("every record consumed", func() bool {
		return r.count(`SELECT coalesce(sum(next_offset), 0) FROM sfsync_consumer_offsets WHERE consumer_group = $1`, r.group) == 5
	})
	stop()
	if n := r.count(`SELECT count(*) FROM account WHERE id = '001000000000000006' AND numberofemployees = 7`); n != 1 {
		t.Errorf("the mapped field of the wide envelope: %d rows", n)
	}
	if n := r.count(`SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'account' AND column_name = 'industry'`); n != 0 {
		t.Error("a column was created for an unmapped field")
	}
	if n := r.count(`SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'opportunity'`); n != 0 {
		t.Error("a table was created for an unmapped object")
	}
	for _, reason := range []string{"decode", "apply"} {
		if got := testutil.ToFloat64(m.deadLetters.WithLabelValues(r.topic, reason)); got != 0 {
			t.Errorf("%v %s dead letters", got, reason)
		}
	}
	if got := testutil.ToFloat64(m.forwarded.WithLabelValues(envelope.ChangeGapUpdate.String())); got != 0 {
		t.Errorf("%v markers of an unmapped object forwarded", got)
	}
	if got := testutil.ToFloat64(m.ignored.WithLabelValues("Opportunity")); got != 2 {
		t.Errorf("ignored Opportunity envelopes = %v, want 2", got)
	}
}
