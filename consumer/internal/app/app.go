// Package app wires the consumer from its configuration: PostgreSQL (the
// store, migrated at start), Redis (the optional duplicate filter), the
// Kafka writer for dead letters and GAP markers, the pipeline, and the
// HTTP endpoints (/metrics, /healthz, /readyz). It also holds --check
// ([Check]) and the dead-letter tools ([ListDeadLetters],
// [ReplayDeadLetters]). main only parses flags and calls them.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/consumer/internal/dedup"
	"github.com/sfsync/sfsync/consumer/internal/pipeline"
	"github.com/sfsync/sfsync/consumer/internal/retry"
	"github.com/sfsync/sfsync/consumer/internal/store"
	"github.com/sfsync/sfsync/schemas/svcconfig/endpoint"
	"github.com/sfsync/sfsync/schemas/svcconfig/kafkaconf"
)

// Run runs the consumer until ctx is done, then finishes the batch in
// progress within cfg.ShutdownTimeout and returns nil. It waits for
// PostgreSQL to answer, migrates the schema (a conflict with the mapping
// stops it with the conflict's message), carries on without Redis when
// Redis does not answer, and creates the dead-letter, re-fetch and
// reconcile-request topics when missing. It waits for Kafka as for
// PostgreSQL, at the start and after: only a permanent Kafka failure
// ([pipeline.KafkaPermanent]) stops it. reg receives the metrics and is served on /metrics; nil
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

	p, err := connectPostgres(ctx, cfg, log)
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
	if err := waitKafka(ctx, log, func(ctx context.Context) error { return ensureTopics(ctx, cfg, transport, log) }); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	writer := newWriter(cfg, transport)
	defer writer.Close()

	var filter pipeline.Dedup // nil without Redis: not a typed nil
	var pst pipeline.Store = st
	if cfg.Redis.URL != "" {
		client, err := newRedis(cfg)
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

// setStatementTimeout makes d the sessions' statement_timeout, unless the
// connection string sets one (as ?statement_timeout= or in options).
func setStatementTimeout(pc *pgxpool.Config, d time.Duration) {
	params := pc.ConnConfig.RuntimeParams
	if _, ok := params["statement_timeout"]; ok || strings.Contains(params["options"], "statement_timeout") {
		return
	}
	params["statement_timeout"] = strconv.FormatInt(d.Milliseconds(), 10)
}

// connectPostgres opens a pool and waits until PostgreSQL answers,
// retrying with backoff; it returns ctx's error when ctx ends first.
func connectPostgres(ctx context.Context, cfg *config.Config, log *slog.Logger) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(string(cfg.Postgres.URL))
	if err != nil {
		// Validate parsed it already; do not quote it again.
		return nil, fmt.Errorf("postgres.url %s: cannot be parsed", cfg.Postgres.URL)
	}
	setStatementTimeout(pc, cfg.Batch.Timeout)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgresql at %s: %w", cfg.Postgres.URL, err)
	}
	wait := retry.New(200*time.Millisecond, 5*time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := pool.Ping(pctx)
		cancel()
		if err == nil {
			log.Info("postgresql connected", "postgres", cfg.Postgres.URL)
			return pool, nil
		}
		d := wait.NextBackOff()
		if ctx.Err() == nil {
			log.Warn("postgresql does not answer; retrying", "postgres", cfg.Postgres.URL, "in", d, "err", err)
		}
		if !retry.Sleep(ctx, d) {
			pool.Close()
			return nil, ctx.Err()
		}
	}
}

// waitKafka runs fn until it succeeds, fails for good
// ([pipeline.KafkaPermanent]: its error is returned), or ctx ends,
// retrying transient failures (a broker down or restarting) with backoff.
func waitKafka(ctx context.Context, log *slog.Logger, fn func(context.Context) error) error {
	wait := retry.New(500*time.Millisecond, 10*time.Second)
	for {
		err := fn(ctx)
		if err == nil || pipeline.KafkaPermanent(err) || ctx.Err() != nil {
			return err
		}
		d := wait.NextBackOff()
		log.Warn("kafka does not answer; retrying", "in", d, "err", err)
		if !retry.Sleep(ctx, d) {
			return ctx.Err()
		}
	}
}

// newRedis returns a client for cfg.Redis.URL.
func newRedis(cfg *config.Config) (*redis.Client, error) {
	opts, err := redis.ParseURL(string(cfg.Redis.URL))
	if err != nil {
		return nil, fmt.Errorf("redis.url %s: cannot be parsed", cfg.Redis.URL)
	}
	return redis.NewClient(opts), nil
}

// newWriter returns the writer of dead letters, GAP markers and replays:
// the topic is set per message, and a write returns once every in-sync
// replica holds it.
func newWriter(cfg *config.Config, transport *kafka.Transport) *kafka.Writer {
	return &kafka.Writer{
		Addr: kafka.TCP(cfg.Kafka.Brokers...), Transport: transport,
		RequiredAcks: kafka.RequireAll, Balancer: kafka.Murmur2Balancer{Consistent: true},
		BatchTimeout: 5 * time.Millisecond,
	}
}

// kafkaClient returns an admin client for cfg's brokers.
func kafkaClient(cfg *config.Config, transport *kafka.Transport) *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(cfg.Kafka.Brokers...), Transport: transport, Timeout: 30 * time.Second}
}

// topicPartitions returns the partition count of every topic Kafka
// knows, and the number of brokers.
func topicPartitions(ctx context.Context, cfg *config.Config, client *kafka.Client) (map[string]int, int, error) {
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return nil, 0, fmt.Errorf("kafka at %s: %w", strings.Join(cfg.Kafka.Brokers, ","), err)
	}
	existing := map[string]int{}
	for _, t := range md.Topics {
		if t.Error == nil {
			existing[t.Name] = len(t.Partitions)
		}
	}
	return existing, len(md.Brokers), nil
}

// ensureTopics creates the dead-letter, re-fetch and reconcile-request
// topics when missing (one partition each), and warns about missing
// envelope topics, which the producer or their operators create.
func ensureTopics(ctx context.Context, cfg *config.Config, transport *kafka.Transport, log *slog.Logger) error {
	client := kafkaClient(cfg, transport)
	existing, _, err := topicPartitions(ctx, cfg, client)
	if err != nil {
		return err
	}
	for _, t := range cfg.Kafka.Topics {
		if _, ok := existing[t]; !ok {
			log.Warn("kafka topic missing: nothing is read from it until it is created", "topic", t)
		}
	}
	var create []kafka.TopicConfig
	for _, t := range []string{cfg.Kafka.DeadLetterTopic, cfg.Kafka.RefetchTopic, cfg.Kafka.ReconcileTopic} {
		if _, ok := existing[t]; !ok {
			create = append(create, kafka.TopicConfig{Topic: t, NumPartitions: 1, ReplicationFactor: kafkaconf.ClusterReplication})
		}
	}
	if len(create) == 0 {
		return nil
	}
	resp, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: create})
	if err != nil {
		return fmt.Errorf("create kafka topics: %w", err)
	}
	for _, t := range create {
		if err := resp.Errors[t.Topic]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			return fmt.Errorf("create kafka topic %s: %w", t.Topic, err)
		}
		log.Info("created kafka topic", "topic", t.Topic, "partitions", t.NumPartitions, "replication", "the cluster's default")
	}
	return nil
}
