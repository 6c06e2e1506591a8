package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/consumer/internal/connect"
	"github.com/sfsync/sfsync/consumer/internal/dedup"
	"github.com/sfsync/sfsync/consumer/internal/pipeline"
	"github.com/sfsync/sfsync/consumer/internal/store"
	"github.com/sfsync/sfsync/platform/endpoint"
)

// Run runs the consumer until ctx is done, then finishes the batch in
// progress within cfg.ShutdownTimeout and returns nil. It waits for
// PostgreSQL to answer, migrates the schema (a conflict with the mapping
// stops it with the conflict's message), carries on without Redis when
// Redis does not answer, and creates the dead-letter, re-fetch and
// reconcile-request topics when missing. It waits for Kafka as for
// PostgreSQL, at the start and after: only a permanent Kafka failure
// ([connect.KafkaPermanent]) stops it. reg receives the metrics and is
// served on /metrics; nil uses a new registry.
//
// It stops in the reverse order of the start: the pipeline (its batch
// drained), then Redis, the Kafka writer, PostgreSQL, and last the HTTP
// endpoints, so that /readyz answers until the end.
func Run(ctx context.Context, cfg *config.Config, log *slog.Logger, reg *prometheus.Registry) error {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := pipeline.NewMetrics(reg)

	var ready readiness
	srv, err := endpoint.Serve(cfg.MetricsAddr, reg, ready.check, log)
	if err != nil {
		return err
	}
	defer srv.Stop()

	p, st, err := openStore(ctx, cfg, log)
	if err != nil {
		if ctx.Err() != nil {
			return nil // ctx ended while waiting
		}
		return err
	}
	defer p.Close()
	ready.pool.Store(p)

	transport, dialer, err := cfg.Kafka.Clients()
	if err != nil {
		return err
	}
	if err := connect.WaitKafka(ctx, log, func(ctx context.Context) error { return connect.EnsureTopics(ctx, cfg, transport, log) }); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	writer := connect.Writer(cfg, transport)
	defer writer.Close()

	filter, pst, closeRedis, err := duplicateFilter(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	defer closeRedis()

	codec, err := cfg.SchemaRegistry.EnvelopeCodec()
	if err != nil {
		return err
	}
	pc := pipelineConfig(cfg)
	pc.Dialer, pc.Codec, pc.Store, pc.Writer, pc.Dedup = dialer, codec, pst, writer, filter
	pc.Logger, pc.Metrics, pc.Ready = log, metrics, ready.consuming.Store
	pc.RecordsLost = reconcileRequester(cfg, codec, writer)
	c, err := pipeline.New(pc)
	if err != nil {
		return err
	}
	log.Info("consumer running", "group", cfg.Kafka.Group, "topics", strings.Join(cfg.Kafka.Topics, ","),
		"postgres", cfg.Postgres.URL, "metrics", cfg.MetricsAddr)
	return c.Run(ctx)
}

// readiness answers /readyz: ready once the pipeline consumes (it owns
// a consumer group generation and its partition readers read) and
// PostgreSQL answers. It is safe for concurrent use.
type readiness struct {
	consuming atomic.Bool
	pool      atomic.Pointer[pgxpool.Pool]
}

// check returns why the consumer is not ready, or nil.
func (r *readiness) check(ctx context.Context) error {
	if !r.consuming.Load() {
		return errors.New("not consuming: no consumer group generation yet")
	}
	p := r.pool.Load()
	if p == nil {
		return errors.New("postgresql not connected")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := p.Ping(ctx); err != nil {
		return fmt.Errorf("postgresql: %w", err)
	}
	return nil
}

// openStore waits for PostgreSQL, migrates the schema and checks that no
// bootstrap of the group is unfinished.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*pgxpool.Pool, *store.Store, error) {
	p, err := connect.Postgres(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	st := store.New(p, cfg.Mapping)
	if err := st.Migrate(ctx); err != nil {
		p.Close()
		return nil, nil, fmt.Errorf("postgresql schema: %w", err)
	}
	plan, finished, err := st.Bootstrap(ctx, cfg.Kafka.Group)
	if err == nil {
		err = unfinishedBootstrap(cfg.Kafka.Group, plan, finished)
	}
	if err != nil {
		p.Close()
		return nil, nil, err
	}
	return p, st, nil
}

// unfinishedBootstrap returns the error that stops the consumer when a
// bootstrap of group into the database has started and not finished.
func unfinishedBootstrap(group string, plan *store.BootstrapPlan, finished bool) error {
	if plan == nil || finished {
		return nil
	}
	return fmt.Errorf("the bootstrap of group %s into this database, started %s, has not finished: "+
		"run sfsync-consumer bootstrap again to finish it", group, plan.Started.Format(time.RFC3339))
}

// duplicateFilter returns the duplicate filter and the store as the
// pipeline sees them. Without redis.url the filter is nil (not a typed
// nil: the pipeline then keeps every envelope) and the store is st; with
// it, the filter is Redis's, carrying on when Redis does not answer yet,
// and the store tells it the offsets committed ([epochStore]). closeRedis
// closes the Redis client.
func duplicateFilter(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger) (filter pipeline.Dedup, pst pipeline.Store, closeRedis func(), err error) {
	if cfg.Redis.URL == "" {
		log.Info("no redis.url: running without the duplicate filter")
		return nil, st, func() {}, nil
	}
	client, err := connect.Redis(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	if err := client.Ping(pctx).Err(); err != nil {
		log.Warn("redis does not answer; carrying on, the duplicate filter resumes when it does", "redis", cfg.Redis.URL, "err", err)
	}
	cancel()
	f := dedup.New(client, cfg.Redis.Prefix, cfg.Redis.TTL)
	return f, &epochStore{Store: st, filter: f, log: log}, func() { _ = client.Close() }, nil
}

// pipelineConfig returns the pipeline's configuration from cfg, without
// its dependencies (dialer, codec, store, writer, filter, logger,
// metrics and callbacks), which Run adds.
func pipelineConfig(cfg *config.Config) pipeline.Config {
	return pipeline.Config{
		Group: cfg.Kafka.Group, Brokers: cfg.Kafka.Brokers, Topics: cfg.Kafka.Topics,
		DeadLetterTopic: cfg.Kafka.DeadLetterTopic, RefetchTopic: cfg.Kafka.RefetchTopic,
		BatchSize: cfg.Batch.Size, BatchWait: cfg.Batch.Wait, Lanes: cfg.Batch.Lanes,
		ApplyTimeout: cfg.Batch.Timeout, DrainTimeout: cfg.ShutdownTimeout,
	}
}
