package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/consumer/internal/store"
	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/latest"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// bootRig is a consumer configuration with an envelope topic and its
// latest-state topic, one partition each, and a position group.
type bootRig struct {
	t             *testing.T
	k             *harness.Kafka
	pool          *pgxpool.Pool
	cfg           *config.Config
	codec         *envelope.Codec
	stream, state string
	positionGroup string
}

func newBootRig(t *testing.T) *bootRig {
	t.Helper()
	k, pg := harness.NewKafka(t), harness.NewPostgres(t)
	stream := k.Topic("accounts", 1)
	m, err := mapping.Parse("mapping.yaml", []byte(strings.Replace(restoreMapping, "kafka_topic: accounts", "kafka_topic: "+stream, 1)))
	if err != nil {
		t.Fatal(err)
	}
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	r := &bootRig{t: t, k: k, pool: pg.Pool(), codec: codec, stream: stream, positionGroup: k.Group("position")}
	r.state = latest.Topic(r.stream, "")
	k.CreateTopic(r.state, 1)
	cfg := config.Default()
	cfg.Mapping = m
	cfg.Kafka.Brokers = k.Brokers
	cfg.Kafka.Group = k.Group("team")
	cfg.Kafka.Topics = []string{r.stream}
	cfg.Kafka.DeadLetterTopic = k.Topic("dlq", 1)
	cfg.Kafka.RefetchTopic = k.Topic("refetch", 1)
	cfg.Kafka.ReconcileTopic = k.Topic("reconcile", 1)
	cfg.Postgres.URL = config.URL(pg.URL)
	cfg.MetricsAddr = "127.0.0.1:0"
	cfg.Batch.Size = 2 // several chunks per partition
	r.cfg = &cfg
	return r
}

// env returns an Account envelope (another entity when entity is set).
func env(id string, ct envelope.ChangeType, commit int64, name string) *envelope.Envelope {
	e := &envelope.Envelope{
		EventID: fmt.Sprintf("ev-%s-%d", id, commit), Entity: "Account", RecordID: id, ChangeType: ct,
		CommitNumber: commit, CommitTimestamp: time.Now().Add(-time.Second).UTC().Truncate(time.Millisecond),
	}
	if name != "" {
		e.Values = map[string]envelope.Value{"Id": envelope.StringValue(id), "Name": envelope.StringValue(name)}
	}
	return e
}

// write writes envelopes to topic, a nil one as a tombstone of the
// following id.
func (r *bootRig) write(topic string, envs ...*envelope.Envelope) {
	r.t.Helper()
	var msgs []kafka.Message
	for _, e := range envs {
		v, err := r.codec.Encode(nil, e)
		if err != nil {
			r.t.Fatal(err)
		}
		msgs = append(msgs, kafka.Message{Topic: topic, Key: []byte(e.RecordID), Value: v})
	}
	r.writeRaw(msgs...)
}

func (r *bootRig) writeRaw(msgs ...kafka.Message) {
	r.t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(r.k.Brokers...), BatchTimeout: 5 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, m := range msgs { // one at a time: in this order
		if err := w.WriteMessages(ctx, m); err != nil {
			r.t.Fatal(err)
		}
	}
}

// commitPosition commits the latest-state topic's position, as the
// reconciler does.
func (r *bootRig) commitPosition(next int64) {
	r.t.Helper()
	// On a new cluster the group's coordinator may not be chosen yet: a
	// temporary error is asked again, as the reconciler's next pass would.
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := r.k.Client().OffsetCommit(context.Background(), &kafka.OffsetCommitRequest{GroupID: r.positionGroup, GenerationID: -1,
			Topics: map[string][]kafka.OffsetCommit{r.stream: {{Partition: 0, Offset: next}}}})
		if err == nil {
			for _, p := range resp.Topics[r.stream] {
				if p.Error != nil {
					err = p.Error
				}
			}
		}
		var kerr kafka.Error
		if err == nil {
			return
		}
		if !errors.As(err, &kerr) || !kerr.Temporary() || time.Now().After(deadline) {
			r.t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// names returns the live rows of account, id to name.
func (r *bootRig) names() map[string]string {
	r.t.Helper()
	rows, err := r.pool.Query(context.Background(), `SELECT id, coalesce(name, '') FROM account WHERE NOT _sf_deleted`)
	if err != nil {
		r.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			r.t.Fatal(err)
		}
		out[id] = name
	}
	return out
}

func (r *bootRig) bootstrap(ctx context.Context, follow bool) error {
	return Bootstrap(ctx, r.cfg, BootstrapOptions{PositionGroup: r.positionGroup, Follow: follow},
		slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
}

// TestBootstrap fills an empty database from a latest-state topic, then
// follows the envelope topic from the position: envelopes before it are
// not read again, one after it that the latest-state topic already holds
// changes nothing, newer ones are applied, and so is one older than a
// record's newest field but newer than the field it sets, as the
// record's versions header says; tombstones and the records of
// objects the mapping does not name leave no row. A second bootstrap of
// the filled database is refused for another group and reads nothing for
// the same one.
func TestBootstrap(t *testing.T) {
	t.Parallel()
	r := newBootRig(t)
	opp := env("006000000000000001", envelope.ChangeSnapshot, 9, "an opportunity")
	opp.Entity = "Opportunity"
	r.write(r.stream,
		env("a1", envelope.ChangeCreate, 10, "a1 old"), // offsets 0 and 1: before the position
		env("a2", envelope.ChangeCreate, 10, "a2"),
		env("a1", envelope.ChangeUpdate, 11, "a1 new"),  // 2: after it, held by the latest-state topic
		env("a2", envelope.ChangeUpdate, 12, "a2 live"), // 3, 4: newer
		env("a6", envelope.ChangeCreate, 20, "a6 live"),
		env("a7", envelope.ChangeUpdate, 7, "a7 newer"), // 5: older than a7's record, newer than its Name
	)
	r.write(r.state,
		env("a1", envelope.ChangeSnapshot, 10, "a1 old"), env("a2", envelope.ChangeSnapshot, 10, "a2"),
		env("a3", envelope.ChangeSnapshot, 7, "a3"), env("a4", envelope.ChangeSnapshot, 8, "a4"),
		env("a1", envelope.ChangeSnapshot, 11, "a1 new"), opp, env("a5", envelope.ChangeSnapshot, 9, "a5"))
	r.writeRaw(kafka.Message{Topic: r.state, Key: []byte("a4")}) // a4 deleted
	// a7's Name is older than its other fields (sfsync's consumer had not
	// applied the change at 7 yet, which came through another partition).
	a7, err := r.codec.Encode(nil, env("a7", envelope.ChangeSnapshot, 10, "a7 old"))
	if err != nil {
		t.Fatal(err)
	}
	r.writeRaw(kafka.Message{Topic: r.state, Key: []byte("a7"), Value: a7,
		Headers: []kafka.Header{{Key: latest.HeaderVersions, Value: []byte(`{"base": [10, 0], "fields": {"Name": [5, 0]}}`)}}})
	r.commitPosition(2)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.bootstrap(ctx, true) }()
	want := map[string]string{"a1": "a1 new", "a2": "a2 live", "a3": "a3", "a5": "a5", "a6": "a6 live", "a7": "a7 newer"}
	deadline := time.Now().Add(time.Minute)
	for {
		var got map[string]string
		if n := count(t, r.pool, `SELECT count(*) FROM pg_tables WHERE tablename = 'account' AND schemaname = current_schema()`); n == 1 {
			got = r.names()
		}
		if maps.Equal(got, want) {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("bootstrap ended: %v; rows %v", err, got)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("rows %v, want %v", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// It hands over at the position, and follows to the end.
	for count(t, r.pool, `SELECT coalesce(max(next_offset), 0) FROM sfsync_consumer_offsets WHERE consumer_group = $1`, r.cfg.Kafka.Group) != 6 {
		if time.Now().After(deadline) {
			t.Fatal("the consumer did not follow the envelope topic to its end")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var plan string
	if err := r.pool.QueryRow(context.Background(), `SELECT plan->>'follow_from' FROM `+store.BootstrapTable+` WHERE consumer_group = $1 AND finished_at IS NOT NULL`,
		r.cfg.Kafka.Group).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	if wantPlan := fmt.Sprintf(`{%q: {"0": 2}}`, r.stream); plan != wantPlan {
		t.Errorf("follow_from %s, want %s", plan, wantPlan)
	}
	if n := count(t, r.pool, `SELECT count(*) FROM pg_tables WHERE tablename = 'opportunity'`); n != 0 {
		t.Error("a table was created for an object the mapping does not name")
	}

	// Bootstrapped: the same group reads nothing; another is refused.
	if err := r.bootstrap(context.Background(), false); err != nil {
		t.Fatalf("bootstrap again: %v", err)
	}
	r.cfg.Kafka.Group = r.k.Group("other")
	err = r.bootstrap(context.Background(), false)
	if !errors.Is(err, store.ErrNotEmpty) || !strings.Contains(err.Error(), "table account has rows") {
		t.Fatalf("bootstrap into a filled database: %v", err)
	}
}

// TestBootstrapResumes starts a bootstrap as a killed one leaves it:
// planned, and its first records applied. The consumer refuses to start
// on it; bootstrap again reads on from where it stopped.
func TestBootstrapResumes(t *testing.T) {
	t.Parallel()
	r := newBootRig(t)
	r.write(r.state, env("b1", envelope.ChangeSnapshot, 1, "b1"), env("b2", envelope.ChangeSnapshot, 1, "b2"),
		env("b3", envelope.ChangeSnapshot, 1, "b3"), env("b4", envelope.ChangeSnapshot, 1, "b4"))
	ctx := context.Background()
	st := store.New(r.pool, r.cfg.Mapping)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	plan := &store.BootstrapPlan{ReadTo: map[string]map[int]int64{r.state: {0: 4}}, FollowFrom: map[string]map[int]int64{r.stream: {0: 0}}}
	if err := st.StartBootstrap(ctx, r.cfg.Kafka.Group, plan); err != nil {
		t.Fatal(err)
	}
	// The first two records "applied": only their progress, so that
	// reading them again would show.
	if _, err := st.Apply(ctx, store.Batch{Group: progressGroup(r.cfg.Kafka.Group), Offsets: []store.Offset{{Topic: r.state, Next: 2}}}); err != nil {
		t.Fatal(err)
	}
	err := Run(ctx, r.cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err == nil || !strings.Contains(err.Error(), "has not finished") {
		t.Fatalf("the consumer on an unfinished bootstrap: %v", err)
	}
	if err := r.bootstrap(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got := r.names(); !maps.Equal(got, map[string]string{"b3": "b3", "b4": "b4"}) {
		t.Fatalf("rows after the resumed bootstrap: %v", got)
	}
}

// TestBootstrapNeedsPosition checks that a bootstrap without the
// reconciler's position refuses to start, and says why.
func TestBootstrapNeedsPosition(t *testing.T) {
	t.Parallel()
	r := newBootRig(t)
	err := r.bootstrap(context.Background(), false)
	if err == nil || !strings.Contains(err.Error(), "no position for "+r.stream) {
		t.Fatalf("bootstrap without a position: %v", err)
	}
	if n := count(t, r.pool, `SELECT count(*) FROM pg_tables WHERE tablename = $1 AND schemaname = current_schema()`, store.BootstrapTable); n != 0 {
		t.Fatal("a bootstrap without a position was recorded")
	}
}

func count(t *testing.T, pool *pgxpool.Pool, q string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
