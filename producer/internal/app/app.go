// Package app wires the producer from its configuration: the Salesforce
// credentials and Pub/Sub client, the Kafka sink, the checkpoint store,
// one stream per Pub/Sub topic of the mapping, and the HTTP endpoints
// (/metrics, /healthz, /readyz). main only parses flags and calls [Run]
// or [Check].
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/segmentio/kafka-go"
	"google.golang.org/grpc"

	"github.com/sfsync/sfsync/platform/checkpointstore"
	"github.com/sfsync/sfsync/platform/endpoint"
	"github.com/sfsync/sfsync/platform/kafkaconf"
	"github.com/sfsync/sfsync/platform/sflogin"
	"github.com/sfsync/sfsync/producer/internal/config"
	"github.com/sfsync/sfsync/producer/internal/keys"
	"github.com/sfsync/sfsync/producer/internal/normalize"
	"github.com/sfsync/sfsync/producer/internal/sink"
	"github.com/sfsync/sfsync/producer/internal/stream"
	"github.com/sfsync/sfsync/salesforce/login"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/rest"
	schemacp "github.com/sfsync/sfsync/schemas/checkpoint"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// Options are the command-line choices that are not configuration.
type Options struct {
	// CreateTopics, when above zero, creates the mapping's missing Kafka
	// topics with that many partitions (replication factor 1 on a
	// one-broker cluster, else 3), for local runs. Production topics are
	// created by their operators, with the partition count they plan.
	CreateTopics int
	// Registry, when not nil, receives the producer's metrics and is
	// served on /metrics, so that an embedding program (a test, a
	// benchmark) can read them; the default is a new registry.
	Registry *prometheus.Registry
}

// salesforce holds the connection to the org.
type salesforce struct {
	client *pubsub.Client
	rest   *rest.Client
	orgID  string
}

// connect logs in and dials the Pub/Sub API with the extra dial options
// (metrics interceptors).
func connect(ctx context.Context, cfg *config.Config, log *slog.Logger, dialOpts ...grpc.DialOption) (*salesforce, error) {
	ss, err := sflogin.Open(ctx, &cfg.Salesforce.Salesforce, login.Options{Logger: log, HTTPClient: &http.Client{Timeout: pollTimeout}})
	if err != nil {
		return nil, err
	}
	client, err := ss.DialPubSub(ctx, dialOpts...)
	if err != nil {
		return nil, err
	}
	return &salesforce{client: client, rest: ss.REST, orgID: ss.OrgID}, nil
}

// Run runs the producer until ctx is done, then drains within the
// configured shutdown timeout and returns nil; or returns the first error
// a stream cannot recover from.
func Run(ctx context.Context, cfg *config.Config, opts Options, log *slog.Logger) error {
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var ready atomic.Bool
	srv, err := endpoint.Serve(cfg.MetricsAddr, reg, func(context.Context) error {
		if !ready.Load() {
			return errors.New("starting")
		}
		return nil
	}, log)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	transport, err := cfg.Kafka.Transport()
	if err != nil {
		return err
	}
	if err := ensureTopics(ctx, cfg, transport, opts, log); err != nil {
		return err
	}
	store, err := checkpointstore.New(checkpointstore.Config{Brokers: cfg.Kafka.Brokers, Topic: cfg.Kafka.CheckpointTopic, Transport: transport})
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.EnsureTopic(ctx); err != nil {
		return err
	}
	saved, err := store.Load(ctx)
	if err != nil {
		return err
	}

	metrics := stream.NewMetrics(reg)
	sf, err := connect(ctx, cfg, log, metrics.CreditsDialOption())
	if err != nil {
		return err
	}
	defer sf.client.Close()

	limits, err := readLimits(ctx, cfg, transport, log)
	if err != nil {
		return err
	}
	envelopes, err := envelopeCodec(ctx, cfg)
	if err != nil {
		return err
	}
	snk, err := sink.New(sink.Config{
		Brokers: cfg.Kafka.Brokers, Transport: transport, MaxInFlight: cfg.Kafka.MaxInFlight,
		BatchSize: cfg.Kafka.BatchSize, BatchTimeout: cfg.Kafka.BatchTimeout, Logger: log,
		Limits: limits.Topics, DefaultLimit: limits.Default, Codec: envelopes,
	})
	if err != nil {
		return err
	}
	defer snk.Close()
	reconcile := &kafka.Writer{
		Addr: kafka.TCP(cfg.Kafka.Brokers...), Topic: cfg.Replay.ReconcileTopic,
		RequiredAcks: kafka.RequireAll, Balancer: kafka.Murmur2Balancer{Consistent: true}, Transport: transport,
	}
	defer reconcile.Close()
	codec, err := schemacp.NewCodec()
	if err != nil {
		return err
	}
	producerID, _ := os.Hostname()
	producerID = fmt.Sprintf("%s/%d", producerID, os.Getpid())

	norm := normalize.New(cfg.Mapping, sf.orgID)
	resolver, err := keys.New(keys.Config{Mapping: cfg.Mapping, Salesforce: sf.rest, Capacity: cfg.PartitionKeyCache, Logger: log, Registerer: reg})
	if err != nil {
		return err
	}
	var streams []*stream.Stream
	for _, topic := range cfg.Mapping.Topics() {
		sub := topic
		var start []byte
		if cp, ok := saved[schemacp.Key(sf.orgID, sub)]; ok {
			start = cp.ReplayID
		}
		st, err := stream.New(stream.Config{
			Topic: sub, Mapping: cfg.Mapping, Normalizer: norm, DeadLetterTopic: cfg.Kafka.DeadLetterTopic,
			Subscriber: sf.client, Writer: snk,
			Saver: saverFunc(func(ctx context.Context, id []byte) error {
				return store.Save(ctx, schemacp.Checkpoint{OrgID: sf.orgID, Subscription: sub, ReplayID: id, UpdatedAt: time.Now(), ProducerID: producerID})
			}),
			Start: start, StartLatest: cfg.Subscription.Start == "latest",
			Policy: stream.Policy(cfg.Replay.Policy),
			RequestReconciliation: func(ctx context.Context, topic string, refused []byte, reason string) error {
				cp := schemacp.Checkpoint{
					OrgID: sf.orgID, Subscription: topic, ReplayID: refused, UpdatedAt: time.Now(),
					ProducerID: producerID, GapSuspected: true, GapReason: reason,
				}
				value, err := codec.Encode(nil, cp)
				if err != nil {
					return err
				}
				return reconcile.WriteMessages(ctx, kafka.Message{Key: []byte(cp.Key()), Value: value})
			},
			Capacity: cfg.Subscription.Capacity, StallTimeout: cfg.Subscription.StallTimeout,
			Backoff: cfg.Subscription.Backoff(), CheckpointInterval: cfg.CheckpointInterval,
			DrainTimeout: cfg.ShutdownTimeout, Logger: log, Metrics: metrics, Keys: resolver,
		})
		if err != nil {
			return err
		}
		log.Info("stream configured", "topic", sub, "resume_after", fmt.Sprintf("%x", start))
		streams = append(streams, st)
	}

	ctx, stop := context.WithCancel(ctx)
	var polling sync.WaitGroup
	defer func() { stop(); polling.Wait() }()
	if every := cfg.Salesforce.LimitsPollInterval; every > 0 {
		poller := newLimitsPoller(sf.rest, every, reg, log)
		polling.Go(func() { poller.run(ctx) })
	}
	ready.Store(true)
	log.Info("producer running", "org", sf.orgID, "streams", len(streams), "metrics", cfg.MetricsAddr)
	return runAll(ctx, streams)
}

// runAll runs the streams until ctx is done or one fails, which stops
// the others.
func runAll(ctx context.Context, streams []*stream.Stream) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for _, st := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := st.Run(ctx); err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// readLimits reads the size limits of the topics the producer writes
// envelopes and dead letters to, and logs them; a topic whose limit
// Kafka will not tell (no DescribeConfigs right) takes the broker's, or
// 1 MiB, with a warning.
func readLimits(ctx context.Context, cfg *config.Config, transport *kafka.Transport, log *slog.Logger) (sink.Limits, error) {
	topics := []string{cfg.Kafka.DeadLetterTopic}
	for _, o := range cfg.Mapping.Objects {
		if o.Sync == mapping.SyncStream && !slices.Contains(topics, o.KafkaTopic) {
			topics = append(topics, o.KafkaTopic)
		}
	}
	client := &kafka.Client{Addr: kafka.TCP(cfg.Kafka.Brokers...), Transport: transport, Timeout: 30 * time.Second}
	limits, err := sink.ReadLimits(ctx, client, topics)
	if err != nil {
		return limits, fmt.Errorf("kafka at %s: %w", strings.Join(cfg.Kafka.Brokers, ","), err)
	}
	for _, t := range topics {
		if err, refused := limits.Refused[t]; refused {
			log.Warn("kafka topic's max.message.bytes unknown; assuming the broker's default (grant DescribeConfigs on the topic to read it)",
				"kafka_topic", t, "limit", limits.Default, "err", err)
			continue
		}
		log.Info("kafka topic's size limit", "kafka_topic", t, "max_message_bytes", limits.Topics[t])
	}
	return limits, nil
}

type saverFunc func(ctx context.Context, id []byte) error

func (f saverFunc) Save(ctx context.Context, id []byte) error { return f(ctx, id) }

// ensureTopics checks that every Kafka topic the producer writes exists:
// it creates the dead-letter and reconcile topics when missing, and the
// mapping's topics only with Options.CreateTopics.
func ensureTopics(ctx context.Context, cfg *config.Config, transport *kafka.Transport, opts Options, log *slog.Logger) error {
	client := &kafka.Client{Addr: kafka.TCP(cfg.Kafka.Brokers...), Transport: transport, Timeout: 30 * time.Second}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return fmt.Errorf("kafka at %s: %w", strings.Join(cfg.Kafka.Brokers, ","), err)
	}
	existing := map[string]int{}
	for _, t := range md.Topics {
		if t.Error == nil {
			existing[t.Name] = len(t.Partitions)
		}
	}
	var create []kafka.TopicConfig
	var missing []string
	for _, t := range []string{cfg.Kafka.DeadLetterTopic, cfg.Replay.ReconcileTopic} {
		if _, ok := existing[t]; !ok {
			create = append(create, kafka.TopicConfig{Topic: t, NumPartitions: 1, ReplicationFactor: kafkaconf.ClusterReplication})
		}
	}
	for _, o := range cfg.Mapping.Objects {
		if _, ok := existing[o.KafkaTopic]; ok || o.Sync != mapping.SyncStream {
			continue
		}
		if opts.CreateTopics > 0 {
			create = append(create, kafka.TopicConfig{Topic: o.KafkaTopic, NumPartitions: opts.CreateTopics, ReplicationFactor: kafkaconf.ClusterReplication})
			existing[o.KafkaTopic] = opts.CreateTopics
		} else {
			missing = append(missing, o.KafkaTopic)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("kafka topics missing: %s; create them with the partition counts you plan (e.g. kafka-topics.sh --create --topic %s --partitions 12), or pass --create-topics N for a local run",
			strings.Join(missing, ", "), missing[0])
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

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// envelopeCodec returns the codec of the envelopes the producer writes:
// with a schema registry configured, the envelope schema registered for
// every topic of the mapping and the registry's framing; else Avro
// single-object framing.
func envelopeCodec(ctx context.Context, cfg *config.Config) (*envelope.Codec, error) {
	codec, err := cfg.SchemaRegistry.EnvelopeCodec()
	if err != nil {
		return nil, err
	}
	topics := make([]string, 0, len(cfg.Mapping.Objects))
	for _, o := range cfg.Mapping.Objects {
		topics = append(topics, o.KafkaTopic)
	}
	if err := codec.Register(ctx, topics...); err != nil {
		return nil, err
	}
	return codec, nil
}
