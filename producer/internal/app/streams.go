package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/sfsync/sfsync/producer/internal/config"
	"github.com/sfsync/sfsync/producer/internal/keys"
	"github.com/sfsync/sfsync/producer/internal/normalize"
	"github.com/sfsync/sfsync/producer/internal/replay"
	"github.com/sfsync/sfsync/producer/internal/stream"
)

// streamDeps are what every stream of the producer shares.
type streamDeps struct {
	orgID       string
	normalizer  *normalize.Normalizer
	subscriber  stream.Subscriber
	writer      stream.Writer
	checkpoints *replay.Checkpoints
	reconciler  stream.Reconciler
	keys        *keys.Resolver
	metrics     *stream.Metrics
	log         *slog.Logger
}

// streamConfig is the configuration of the stream of the Pub/Sub topic:
// the configuration's settings, resuming after the topic's stored
// checkpoint and saving its own.
func streamConfig(cfg *config.Config, topic string, d streamDeps) stream.Config {
	sc := stream.Config{
		Topic: topic, Mapping: cfg.Mapping, Normalizer: d.normalizer, DeadLetterTopic: cfg.Kafka.DeadLetterTopic,
		Subscriber: d.subscriber, Writer: d.writer, Saver: d.checkpoints.Saver(d.orgID, topic), Reconciler: d.reconciler,
		Start: d.checkpoints.Start(d.orgID, topic), StartLatest: cfg.Subscription.Start == "latest",
		Policy:   stream.Policy(cfg.Replay.Policy),
		Capacity: cfg.Subscription.Capacity, StallTimeout: cfg.Subscription.StallTimeout,
		BackoffMin: cfg.Subscription.BackoffMin, BackoffMax: cfg.Subscription.BackoffMax,
		CheckpointInterval: cfg.CheckpointInterval, DrainTimeout: cfg.ShutdownTimeout,
		Logger: d.log, Metrics: d.metrics,
	}
	if d.keys != nil {
		sc.Keys = d.keys
	}
	return sc
}

// runner is a stream as runAll runs it; *stream.Stream is one.
type runner interface {
	Run(ctx context.Context) error
}

// runAll runs the streams until ctx is done or one fails, which stops
// the others; it returns that failure.
func runAll(ctx context.Context, streams []runner) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for _, st := range streams {
		wg.Go(func() {
			if err := st.Run(ctx); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// hexID is a replay id as the logs show it.
func hexID(id []byte) string { return fmt.Sprintf("%x", id) }
