package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc"

	"github.com/sfsync/sfsync/platform/checkpointstore"
	"github.com/sfsync/sfsync/platform/endpoint"
	"github.com/sfsync/sfsync/platform/sflogin"
	"github.com/sfsync/sfsync/producer/internal/config"
	"github.com/sfsync/sfsync/producer/internal/keys"
	"github.com/sfsync/sfsync/producer/internal/normalize"
	"github.com/sfsync/sfsync/producer/internal/replay"
	"github.com/sfsync/sfsync/producer/internal/stream"
	"github.com/sfsync/sfsync/salesforce/login"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/rest"
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
	defer srv.Stop()

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
	producerID := replay.ProducerID()
	checkpoints := replay.NewCheckpoints(store, producerID)
	if err := checkpoints.Load(ctx); err != nil {
		return err
	}

	metrics := stream.NewMetrics(reg)
	sf, err := connect(ctx, cfg, log, metrics.CreditsDialOption())
	if err != nil {
		return err
	}
	defer sf.client.Close()

	snk, err := newSink(ctx, cfg, transport, log)
	if err != nil {
		return err
	}
	defer snk.Close()
	requests, err := replay.NewRequests(replay.RequestsConfig{
		Brokers: cfg.Kafka.Brokers, Topic: cfg.Replay.ReconcileTopic, Transport: transport, OrgID: sf.orgID, ProducerID: producerID,
	})
	if err != nil {
		return err
	}
	defer requests.Close()
	resolver, err := keys.New(keys.Config{Mapping: cfg.Mapping, Salesforce: sf.rest, Capacity: cfg.PartitionKeyCache, Logger: log, Registerer: reg})
	if err != nil {
		return err
	}

	deps := streamDeps{
		orgID: sf.orgID, normalizer: normalize.New(cfg.Mapping, sf.orgID), subscriber: sf.client, writer: snk,
		checkpoints: checkpoints, reconciler: requests, keys: resolver, metrics: metrics, log: log,
	}
	var streams []runner
	for _, topic := range cfg.Mapping.Topics() {
		st, err := stream.New(streamConfig(cfg, topic, deps))
		if err != nil {
			return err
		}
		log.Info("stream configured", "topic", topic, "resume_after", hexID(checkpoints.Start(sf.orgID, topic)))
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
	log.Info("producer running", "org", sf.orgID, "streams", len(streams))
	return runAll(ctx, streams)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
