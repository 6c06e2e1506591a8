package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/consumer/internal/dedup"
	"github.com/sfsync/sfsync/consumer/internal/store"
	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

const restoreMapping = `version: 1
objects:
  Account:
    table: account
    kafka_topic: accounts
    fields:
      Id: varchar(18)
      Name: text
`

// TestRestoredDatabaseReappliesRecords restores PostgreSQL from a backup
// taken half-way (its rows, offsets and epoch token as they were), as a
// restore or a failover to a lagging replica leaves it, while Redis still
// holds the keys of the records applied since. The consumer restarted on
// it reads those records again and must apply them, not skip them as
// seen.
func TestRestoredDatabaseReappliesRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, pg, r := harness.NewKafka(t), harness.NewPostgres(t), harness.NewRedis(t)
	pool := pg.Pool()
	_, m := migrated(t, pool)
	cfg := config.Default()
	cfg.Mapping = m
	cfg.Kafka.Brokers = k.Brokers
	cfg.Kafka.Group = k.Group("consumer")
	cfg.Kafka.Topics = []string{k.Topic("accounts", 1)}
	cfg.Kafka.DeadLetterTopic = k.Topic("dlq", 1)
	cfg.Kafka.RefetchTopic = k.Topic("refetch", 1)
	cfg.Postgres.URL = config.URL(pg.URL)
	cfg.Redis.URL = config.URL(r.URL)
	cfg.Redis.Prefix = r.Prefix
	cfg.MetricsAddr = "127.0.0.1:0"
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	producer := &kafka.Writer{Addr: kafka.TCP(k.Brokers...), Balancer: &kafka.Hash{}, BatchTimeout: 5 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	defer producer.Close()
	const records = 10
	send := func(commit int64, name string) {
		t.Helper()
		var msgs []kafka.Message
		for i := range records {
			id := fmt.Sprintf("001%015d", i)
			ct := envelope.ChangeUpdate
			if commit == 10 {
				ct = envelope.ChangeCreate
			}
			e := &envelope.Envelope{
				EventID: fmt.Sprintf("ev-%s-%d", id, commit), Entity: "Account", RecordID: id, ChangeType: ct,
				CommitNumber: commit, CommitTimestamp: time.Now().Add(-time.Second).UTC().Truncate(time.Millisecond),
				Values: map[string]envelope.Value{"Name": envelope.StringValue(name)},
			}
			v, err := codec.Encode(nil, e)
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, kafka.Message{Topic: cfg.Kafka.Topics[0], Key: []byte(id), Value: v})
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := producer.WriteMessages(wctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	offset := func() int {
		return count(`SELECT coalesce(sum(next_offset), 0)::int FROM `+store.OffsetsTable+` WHERE consumer_group = $1`, cfg.Kafka.Group)
	}
	start := func() (stop func()) {
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- Run(rctx, &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil) }()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("consumer: %v", err)
			}
		}
	}

	send(10, "v1")
	stop := start()
	waitFor(t, "the creates applied", func() bool { return offset() == records })
	stop()
	backup(t, pool, "account", store.OffsetsTable, store.EpochTable)
	epoch := count(`SELECT count(*)::int FROM ` + store.EpochTable)
	if epoch != 1 {
		t.Fatalf("%d epoch rows, want 1", epoch)
	}

	send(20, "v2")
	stop = start()
	waitFor(t, "the updates applied", func() bool { return offset() == 2*records })
	stop()
	if n := count(`SELECT count(*)::int FROM account WHERE name = 'v2'`); n != records {
		t.Fatalf("%d rows at v2 before the restore, want %d", n, records)
	}

	restore(t, pool, "account", store.OffsetsTable, store.EpochTable)
	if n := count(`SELECT count(*)::int FROM account WHERE name = 'v1'`); n != records || offset() != records {
		t.Fatalf("restore left %d rows at v1 and offset %d", n, offset())
	}
	stop = start()
	waitFor(t, "the updates read again", func() bool { return offset() == 2*records })
	stop()
	if n := count(`SELECT count(*)::int FROM account WHERE name = 'v2'`); n != records {
		t.Fatalf("%d rows at v2 after the restore, want %d: the duplicate filter skipped records the restored database lacks", n, records)
	}
}

// migrated returns the store of restoreMapping on pool, migrated, and
// the mapping.
func migrated(t *testing.T, pool *pgxpool.Pool) (*store.Store, *mapping.Mapping) {
	t.Helper()
	m, err := mapping.Parse("mapping.yaml", []byte(restoreMapping))
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(pool, m)
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st, m
}

// backup copies tables to backup_<table>.
func backup(t *testing.T, pool *pgxpool.Pool, tables ...string) {
	t.Helper()
	for _, tb := range tables {
		if _, err := pool.Exec(context.Background(), `CREATE TABLE backup_`+tb+` AS SELECT * FROM `+tb); err != nil {
			t.Fatal(err)
		}
	}
}

// restore replaces the rows of tables by those of their backups, in one
// transaction.
func restore(t *testing.T, pool *pgxpool.Pool, tables ...string) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	for _, tb := range tables {
		if _, err := tx.Exec(ctx, `DELETE FROM `+tb); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+tb+` SELECT * FROM backup_`+tb); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds or two minutes pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestEpochWithoutRedis checks that a replica that cannot ask Redis what
// the filter saw starts a new key space rather than trusting the old one.
func TestEpochWithoutRedis(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := migrated(t, harness.NewPostgres(t).Pool())
	before, err := st.Epoch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer client.Close()
	f := dedup.New(client, "x:", 0)
	es := &epochStore{Store: st, filter: f, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := es.Offsets(ctx, "g", "t"); err != nil {
		t.Fatal(err)
	}
	after, err := st.Epoch(ctx)
	if err != nil || after == before || f.Epoch() != after {
		t.Fatalf("epoch %q, then %q (%v), filter on %q; want a new one, in use", before, after, err, f.Epoch())
	}
}
