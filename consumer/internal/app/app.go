// Package app wires the consumer from its configuration: PostgreSQL (the
// store, migrated at start), Redis (the optional duplicate filter), the
// Kafka writer for dead letters and GAP markers, the pipeline, and the
// HTTP endpoints (/metrics, /healthz, /readyz). It also holds --check
// ([Check]) and the bootstrap ([Bootstrap]). main only parses flags and
// calls them; the dead-letter tools are package dlq's.
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
	"github.com/sfsync/sfsync/schemas/svcconfig/endpoint"
)

// Run runs the consumer until ctx is done, then finishes the batch in
// progress within cfg.ShutdownTimeout and returns nil. It waits for
// PostgreSQL to answer, migrates the schema (a conflict with the mapping
// stops it with the conflict's message), carries on without Redis when
// Redis does not answer, and creates the dead-letter, re-fetch and
// reconcile-request topics when missing. It waits for Kafka as for
// PostgreSQL, at the start and after: only a permanent Kafka failure
// ([connect.KafkaPermanent]) stops it. reg receives the metrics and is served on /metrics; nil
// uses a new registry.
func Run(ctx context.Context, cfg *config.Config, log *slog.Logger, reg *prometheus.Registry) error {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := pipeline.NewMetrics(reg)

	var consuming atomic.Bool
	var pool atomic.Pointer[pgxpool.Pool]
	ready := func(ctx context.Context) error {
		if !consuming.Load() {
			return errors.New("not consuming: no consumer group generation yet")
		}
		p := pool.Load()
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
	srv, err := endpoint.Serve(cfg.MetricsAddr, reg, ready, log)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	p, err := connect.Postgres(ctx, cfg, log)
	if err != nil {
		if ctx.Err() != nil {
			return nil // ctx ended while waiting
		}
		return err
	}
	defer p.Close()
	st := store.New(p, cfg.Mapping)
	if err := st.Migrate(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("postgresql schema: %w", err)
	}
	if plan, finished, err := st.Bootstrap(ctx, cfg.Kafka.Group); err != nil {
		return err
	} else if plan != nil && !finished {
		return fmt.Errorf("the bootstrap of group %s into this database, started %s, has not finished: "+
			"run sfsync-consumer bootstrap again to finish it", cfg.Kafka.Group, plan.Started.Format(time.RFC3339))
	}
	pool.Store(p)

	transport, err := cfg.Kafka.Transport()
	if err != nil {
		return err
	}
	dialer, err := cfg.Kafka.Dialer()
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

	var filter pipeline.Dedup // nil without Redis: not a typed nil
	var pst pipeline.Store = st
	if cfg.Redis.URL != "" {
		client, err := connect.Redis(cfg)
		if err != nil {
			return err
		}
		defer client.Close()
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if err := client.Ping(pctx).Err(); err != nil {
			log.Warn("redis does not answer; carrying on, the duplicate filter resumes when it does", "redis", cfg.Redis.URL, "err", err)
		}
		cancel()
		f := dedup.New(client, cfg.Redis.Prefix, cfg.Redis.TTL)
		filter, pst = f, &epochStore{Store: st, filter: f, log: log}
	} else {
		log.Info("no redis.url: running without the duplicate filter")
	}

	codec, err := cfg.SchemaRegistry.EnvelopeCodec()
	if err != nil {
		return err
	}
	c, err := pipeline.New(pipeline.Config{
		Group: cfg.Kafka.Group, Brokers: cfg.Kafka.Brokers, Dialer: dialer, Topics: cfg.Kafka.Topics,
		DeadLetterTopic: cfg.Kafka.DeadLetterTopic, RefetchTopic: cfg.Kafka.RefetchTopic,
		Codec: codec, Store: pst, Writer: writer, Dedup: filter,
		BatchSize: cfg.Batch.Size, BatchWait: cfg.Batch.Wait, Lanes: cfg.Batch.Lanes, ApplyTimeout: cfg.Batch.Timeout, DrainTimeout: cfg.ShutdownTimeout,
		Logger: log, Metrics: metrics, Ready: consuming.Store,
		RecordsLost: reconcileRequester(cfg, codec, writer),
	})
	if err != nil {
		return err
	}
	log.Info("consumer running", "group", cfg.Kafka.Group, "topics", strings.Join(cfg.Kafka.Topics, ","),
		"postgres", cfg.Postgres.URL, "metrics", cfg.MetricsAddr)
	return c.Run(ctx)
}
