package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/consumer/internal/store"
	"github.com/sfsync/sfsync/schemas/mapping"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestPipelineConfig(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{}
	cfg.ShutdownTimeout = 7 * time.Second
	cfg.Kafka.Group, cfg.Kafka.Brokers, cfg.Kafka.Topics = "g", []string{"127.0.0.1:1"}, []string{"a", "b"}
	cfg.Kafka.DeadLetterTopic, cfg.Kafka.RefetchTopic = "dlq", "refetch"
	cfg.Batch.Size, cfg.Batch.Wait, cfg.Batch.Lanes, cfg.Batch.Timeout = 300, 20*time.Millisecond, 4, 90*time.Second
	pc := pipelineConfig(cfg)
	if pc.Group != "g" || len(pc.Brokers) != 1 || strings.Join(pc.Topics, ",") != "a,b" || pc.DeadLetterTopic != "dlq" || pc.RefetchTopic != "refetch" {
		t.Errorf("kafka settings %+v", pc)
	}
	if pc.BatchSize != 300 || pc.BatchWait != 20*time.Millisecond || pc.Lanes != 4 || pc.ApplyTimeout != 90*time.Second {
		t.Errorf("batch settings: size %d, wait %s, lanes %d, timeout %s", pc.BatchSize, pc.BatchWait, pc.Lanes, pc.ApplyTimeout)
	}
	if pc.DrainTimeout != 7*time.Second {
		t.Errorf("drain timeout %s, want shutdown_timeout 7s", pc.DrainTimeout)
	}
}

func TestDuplicateFilter(t *testing.T) {
	t.Parallel()
	st := store.New(nil, &mapping.Mapping{})
	cfg := &config.Config{}
	filter, pst, closeRedis, err := duplicateFilter(context.Background(), cfg, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	closeRedis()
	// A nil filter, not a typed nil: the pipeline checks filter == nil.
	if filter != nil || pst != st {
		t.Fatalf("without redis.url: filter %v, store %T; want none and the store itself", filter, pst)
	}

	// Redis configured but not answering: the filter is set all the same,
	// and resumes when Redis does.
	cfg.Redis.URL = "redis://127.0.0.1:1/0"
	cfg.Redis.Prefix, cfg.Redis.TTL = "p:", time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	filter, pst, closeRedis, err = duplicateFilter(ctx, cfg, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRedis()
	if filter == nil {
		t.Fatal("with redis.url: no filter")
	}
	if es, ok := pst.(*epochStore); !ok || es.Store != st {
		t.Fatalf("with redis.url: store %T; want the epoch store over the store", pst)
	}

	cfg.Redis.URL = "mysql://nope"
	if _, _, _, err := duplicateFilter(ctx, cfg, st, quiet); err == nil || !strings.Contains(err.Error(), "cannot be parsed") {
		t.Fatalf("a bad redis.url: %v; want it refused", err)
	}
}

func TestUnfinishedBootstrap(t *testing.T) {
	t.Parallel()
	started := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	plan := &store.BootstrapPlan{Started: started}
	for _, tc := range []struct {
		scenario string
		plan     *store.BootstrapPlan
		finished bool
		stops    bool
	}{
		{scenario: "never bootstrapped", plan: nil},
		{scenario: "bootstrap finished", plan: plan, finished: true},
		{scenario: "bootstrap under way", plan: plan, stops: true},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			err := unfinishedBootstrap("g", tc.plan, tc.finished)
			if (err != nil) != tc.stops {
				t.Fatalf("err %v; want an error %v", err, tc.stops)
			}
			if err != nil && (!strings.Contains(err.Error(), "group g") || !strings.Contains(err.Error(), started.Format(time.RFC3339))) {
				t.Fatalf("err %q; want the group and the start", err)
			}
		})
	}
}

func TestReadiness(t *testing.T) {
	t.Parallel()
	var r readiness
	ctx := context.Background()
	if err := r.check(ctx); err == nil || !strings.Contains(err.Error(), "not consuming") {
		t.Fatalf("before a generation: %v", err)
	}
	r.consuming.Store(true)
	if err := r.check(ctx); err == nil || !strings.Contains(err.Error(), "postgresql not connected") {
		t.Fatalf("consuming without a pool: %v", err)
	}
	// A pool whose server does not answer (nothing listens on port 1).
	p, err := pgxpool.New(ctx, "postgres://u@127.0.0.1:1/db?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r.pool.Store(p)
	if err := r.check(ctx); err == nil || !strings.HasPrefix(err.Error(), "postgresql: ") {
		t.Fatalf("postgresql down: %v", err)
	}
	r.consuming.Store(false)
	if err := r.check(ctx); err == nil || !strings.Contains(err.Error(), "not consuming") {
		t.Fatalf("generation lost: %v", err)
	}
}
