package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/segmentio/kafka-go"
)

// TestKafkaRoundTrip writes to a topic and reads it back through a consumer
// group, committing offsets, then checks that the group's committed offsets
// cover every message.
func TestKafkaRoundTrip(t *testing.T) {
	t.Parallel()
	k := NewKafka(t)
	const partitions, messages = 3, 60
	topic := k.Topic("roundtrip", partitions)
	group := k.Group("readers")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	w := &kafka.Writer{
		Addr:         kafka.TCP(k.Brokers...),
		Topic:        topic,
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: 5 * time.Millisecond,
	}
	defer w.Close()
	want := map[string]bool{}
	var batch []kafka.Message
	for i := range messages {
		key := fmt.Sprintf("record-%03d", i)
		want[key] = true
		batch = append(batch, kafka.Message{Key: []byte(key), Value: []byte("value of " + key)})
	}
	if err := w.WriteMessages(ctx, batch...); err != nil {
		t.Fatalf("write: %v", err)
	}

	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:     k.Brokers,
		GroupID:     group,
		Topic:       topic,
		StartOffset: kafka.FirstOffset,
		MaxWait:     100 * time.Millisecond,
	})
	next := map[int]int64{} // partition → offset after the last message read
	for len(want) > 0 {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("fetch with %d messages missing: %v", len(want), err)
		}
		if string(m.Value) != "value of "+string(m.Key) {
			t.Fatalf("message %s has value %q", m.Key, m.Value)
		}
		if err := r.CommitMessages(ctx, m); err != nil {
			t.Fatalf("commit: %v", err)
		}
		delete(want, string(m.Key))
		next[m.Partition] = m.Offset + 1
	}
	if err := r.Close(); err != nil {
		t.Fatalf("close reader: %v", err)
	}

	var reqParts []int
	for p := range partitions {
		reqParts = append(reqParts, p)
	}
	resp, err := k.Client().OffsetFetch(ctx, &kafka.OffsetFetchRequest{
		GroupID: group,
		Topics:  map[string][]int{topic: reqParts},
	})
	if err != nil {
		t.Fatalf("offset fetch: %v", err)
	}
	var committed int64
	for _, p := range resp.Topics[topic] {
		if p.Error != nil {
			t.Fatalf("offset fetch partition %d: %v", p.Partition, p.Error)
		}
		if want := next[p.Partition]; p.CommittedOffset != want && want != 0 {
			t.Errorf("partition %d: committed offset %d, want %d", p.Partition, p.CommittedOffset, want)
		}
		if p.CommittedOffset > 0 {
			committed += p.CommittedOffset
		}
	}
	if committed != messages {
		t.Errorf("committed offsets sum to %d, want %d", committed, messages)
	}
}

func TestPostgresRoundTrip(t *testing.T) {
	t.Parallel()
	pg := NewPostgres(t)
	pool := pg.Pool()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Unqualified names land in the test's schema through the search_path.
	if _, err := pool.Exec(ctx, `CREATE TABLE account (id text PRIMARY KEY, name text, revenue numeric(18,2))`); err != nil {
		t.Fatalf("create table: %v", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO account VALUES ($1, $2, $3)`, "001000000000001AAA", "Acme", "1250000.50"); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var name, revenue, schema string
	err := pool.QueryRow(ctx, `SELECT name, revenue::text, current_schema() FROM account WHERE id = $1`, "001000000000001AAA").
		Scan(&name, &revenue, &schema)
	if err != nil {
		t.Fatalf("select: %v", err)
	}
	if name != "Acme" || revenue != "1250000.50" || schema != pg.Schema {
		t.Errorf("got (%q, %q, schema %q), want (Acme, 1250000.50, schema %q)", name, revenue, schema, pg.Schema)
	}
}

func TestPostgresSchemasAreIsolated(t *testing.T) {
	t.Parallel()
	a, b := NewPostgres(t), NewPostgres(t)
	if a.Schema == b.Schema {
		t.Fatalf("two calls gave the same schema %q", a.Schema)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := a.Pool().Exec(ctx, `CREATE TABLE only_in_a (id int)`); err != nil {
		t.Fatalf("create in a: %v", err)
	}
	_, err := b.Pool().Exec(ctx, `SELECT * FROM only_in_a`)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("schema b sees schema a's table: err = %v", err)
	}
}

func TestPostgresSchemaDroppedAtCleanup(t *testing.T) {
	t.Parallel()
	var schema string
	t.Run("owner", func(t *testing.T) {
		schema = NewPostgres(t).Schema
	})
	// The server's URL, from the environment or the container.
	url := postgresEndpoint.addr
	if t.Failed() || url == "" {
		t.Skip("no PostgreSQL to look in")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, schema).Scan(&n); err != nil {
		t.Fatalf("query: %v", err)
	}
	if n != 0 {
		t.Errorf("schema %s still exists after its test ended", schema)
	}
}

func TestRedisRoundTrip(t *testing.T) {
	t.Parallel()
	r := NewRedis(t)
	c := r.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key := r.Prefix + "event:abc"
	if err := c.Set(ctx, key, "seen", time.Minute).Err(); err != nil {
		t.Fatalf("set: %v", err)
	}
	got, err := c.Get(ctx, key).Result()
	if err != nil || got != "seen" {
		t.Fatalf("get = %q, %v; want seen", got, err)
	}
}

func TestRedisKeysDeletedAtCleanup(t *testing.T) {
	t.Parallel()
	var prefix string
	var r *Redis
	t.Run("owner", func(t *testing.T) {
		r = NewRedis(t)
		prefix = r.Prefix
		ctx := context.Background()
		c := r.Client()
		// More keys than one scanned page of the cleanup.
		pipe := c.Pipeline()
		for i := range 25_000 {
			pipe.Set(ctx, fmt.Sprintf("%sk%d", prefix, i), i, time.Minute)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatalf("set: %v", err)
		}
	})
	c := NewRedis(t).Client()
	keys, err := c.Keys(context.Background(), prefix+"*").Result()
	if err != nil {
		t.Fatalf("keys: %v", err)
	}
	if len(keys) != 0 {
		t.Errorf("%d keys left under %s", len(keys), prefix)
	}
}

func TestKafkaTopicDeletedAtCleanup(t *testing.T) {
	t.Parallel()
	var topic string
	t.Run("owner", func(t *testing.T) {
		topic = NewKafka(t).Topic("short-lived", 1)
	})
	k := NewKafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Deletion is asynchronous in the broker; poll until the topic is gone.
	for {
		md, err := k.Client().Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
		if err == nil && len(md.Topics) == 1 && errors.Is(md.Topics[0].Error, kafka.UnknownTopicOrPartition) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("topic %s still exists after its test ended (last metadata error %v)", topic, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestMissingService runs this test binary again with a service pointed at a
// closed port, and checks that the harness skips by default and fails when
// SFSYNC_REQUIRE_SERVICES=1, with a message saying how to start the stack.
func TestMissingService(t *testing.T) {
	if os.Getenv("HARNESS_CHILD") == "1" {
		NewRedis(t)
		t.Log("redis found")
		return
	}
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		require  string
		wantFail bool
		wantText string
	}{
		{scenario: "skips by default", require: "", wantFail: false, wantText: "--- SKIP"},
		{scenario: "fails when required", require: "1", wantFail: true, wantText: "--- FAIL"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestMissingService$", "-test.v")
			cmd.Env = append(os.Environ(),
				"HARNESS_CHILD=1",
				EnvRedisURL+"=redis://127.0.0.1:1/0",
				EnvRequireServices+"="+tc.require,
			)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tc.wantFail {
				t.Fatalf("child failed = %v, want %v; output:\n%s", failed, tc.wantFail, out)
			}
			for _, want := range []string{tc.wantText, "redis unavailable", "make up"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestTestID(t *testing.T) {
	t.Parallel()
	a, b := testID(t), testID(t)
	if a == b {
		t.Errorf("testID repeated %q", a)
	}
	if !strings.HasPrefix(a, "testtestid_") {
		t.Errorf("testID = %q, want it to start with the test name", a)
	}
	if i := strings.IndexFunc(a, func(r rune) bool {
		return !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789_", r)
	}); i >= 0 {
		t.Errorf("testID %q has %q", a, a[i])
	}
}
