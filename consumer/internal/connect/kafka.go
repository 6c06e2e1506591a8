package connect

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/platform/kafkaconf"
	"github.com/sfsync/sfsync/platform/retry"
)

// WaitKafka runs fn until it succeeds, fails for good ([KafkaPermanent]:
// its error is returned), or ctx ends, retrying transient failures (a
// broker down or restarting) with backoff.
func WaitKafka(ctx context.Context, log *slog.Logger, fn func(context.Context) error) error {
	wait := retry.Halves(500*time.Millisecond, 10*time.Second)
	for {
		err := fn(ctx)
		if err == nil || KafkaPermanent(err) || ctx.Err() != nil {
			return err
		}
		d := wait.Next()
		log.Warn("kafka does not answer; retrying", "in", d, "err", err)
		if retry.Sleep(ctx, d) != nil {
			return ctx.Err()
		}
	}
}

// Writer returns the writer of dead letters, GAP markers and replays:
// the topic is set per message, and a write returns once every in-sync
// replica holds it.
func Writer(cfg *config.Config, transport *kafka.Transport) *kafka.Writer {
	return &kafka.Writer{
		Addr: kafka.TCP(cfg.Kafka.Brokers...), Transport: transport,
		RequiredAcks: kafka.RequireAll, Balancer: kafka.Murmur2Balancer{Consistent: true},
		BatchTimeout: 5 * time.Millisecond,
	}
}

// Client returns an admin client for cfg's brokers.
func Client(cfg *config.Config, transport *kafka.Transport) *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(cfg.Kafka.Brokers...), Transport: transport, Timeout: 30 * time.Second}
}

// TopicPartitions returns the partition count of every topic Kafka
// knows, and the number of brokers.
func TopicPartitions(ctx context.Context, cfg *config.Config, client *kafka.Client) (map[string]int, int, error) {
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

// EnsureTopics creates the dead-letter, re-fetch and reconcile-request
// topics when missing (one partition each), and warns about missing
// envelope topics, which the producer or their operators create.
func EnsureTopics(ctx context.Context, cfg *config.Config, transport *kafka.Transport, log *slog.Logger) error {
	client := Client(cfg, transport)
	existing, _, err := TopicPartitions(ctx, cfg, client)
	if err != nil {
		return err
	}
	for _, t := range cfg.Kafka.Topics {
		if _, ok := existing[t]; !ok {
			log.Warn("kafka topic missing: nothing is read from it until it is created", "topic", t)
		}
	}
	created, err := kafkaconf.CreateTopics(ctx, client, missingTopics(cfg, existing))
	for _, t := range created {
		log.Info("created kafka topic", "topic", t.Topic, "partitions", t.NumPartitions, "replication", "the cluster's default")
	}
	return err
}

// missingTopics returns the topics the consumer creates that existing
// lacks: the dead-letter, re-fetch and reconcile-request topics, one
// partition each, with the cluster's replication.
func missingTopics(cfg *config.Config, existing map[string]int) []kafka.TopicConfig {
	var create []kafka.TopicConfig
	for _, t := range []string{cfg.Kafka.DeadLetterTopic, cfg.Kafka.RefetchTopic, cfg.Kafka.ReconcileTopic} {
		if _, ok := existing[t]; !ok {
			create = append(create, kafka.TopicConfig{Topic: t, NumPartitions: 1, ReplicationFactor: kafkaconf.ClusterReplication})
		}
	}
	return create
}
