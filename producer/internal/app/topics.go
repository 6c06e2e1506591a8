package app

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/platform/kafkaconf"
	"github.com/sfsync/sfsync/producer/internal/config"
	"github.com/sfsync/sfsync/producer/internal/sink"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// ensureTopics checks that every Kafka topic the producer writes exists:
// it creates the dead-letter and reconcile topics when missing, and the
// mapping's topics only with Options.CreateTopics (see planTopics).
func ensureTopics(ctx context.Context, cfg *config.Config, transport *kafka.Transport, opts Options, log *slog.Logger) error {
	client := &kafka.Client{Addr: kafka.TCP(cfg.Kafka.Brokers...), Transport: transport, Timeout: 30 * time.Second}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return fmt.Errorf("kafka at %s: %w", strings.Join(cfg.Kafka.Brokers, ","), err)
	}
	existing := map[string]bool{}
	for _, t := range md.Topics {
		if t.Error == nil {
			existing[t.Name] = true
		}
	}
	create, err := planTopics(cfg, existing, opts.CreateTopics)
	if err != nil {
		return err
	}
	created, err := kafkaconf.CreateTopics(ctx, client, create)
	for _, t := range created {
		log.Info("created kafka topic", "topic", t.Topic, "partitions", t.NumPartitions, "replication", "the cluster's default")
	}
	return err
}

// planTopics returns the Kafka topics to create, given those that exist:
// the dead-letter and reconcile topics, of one partition, when missing;
// the mapping's stream topics, when missing, with partitions partitions
// when that is above zero, else an error naming them.
func planTopics(cfg *config.Config, existing map[string]bool, partitions int) ([]kafka.TopicConfig, error) {
	var create []kafka.TopicConfig
	var missing []string
	add := func(topic string, n int) {
		create = append(create, kafka.TopicConfig{Topic: topic, NumPartitions: n, ReplicationFactor: kafkaconf.ClusterReplication})
		existing[topic] = true
	}
	for _, t := range []string{cfg.Kafka.DeadLetterTopic, cfg.Replay.ReconcileTopic} {
		if !existing[t] {
			add(t, 1)
		}
	}
	for _, o := range cfg.Mapping.Objects {
		switch {
		case existing[o.KafkaTopic] || o.Sync != mapping.SyncStream:
		case partitions > 0:
			add(o.KafkaTopic, partitions)
		default:
			missing = append(missing, o.KafkaTopic)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		missing = slices.Compact(missing) // objects may share a topic
		return nil, fmt.Errorf("kafka topics missing: %s; create them with the partition counts you plan (e.g. kafka-topics.sh --create --topic %s --partitions 12), or pass --create-topics N for a local run",
			strings.Join(missing, ", "), missing[0])
	}
	return create, nil
}

// writtenTopics are the Kafka topics the producer writes records to: the
// dead-letter topic, then the mapping's stream topics, each once.
func writtenTopics(cfg *config.Config) []string {
	topics := []string{cfg.Kafka.DeadLetterTopic}
	for _, o := range cfg.Mapping.Objects {
		if o.Sync == mapping.SyncStream && !slices.Contains(topics, o.KafkaTopic) {
			topics = append(topics, o.KafkaTopic)
		}
	}
	return topics
}

// newSink returns the sink the producer writes envelopes and dead letters
// through, as the service and the dead-letter replay both do: the
// envelope codec of cfg, and each topic's size limit read from Kafka.
func newSink(ctx context.Context, cfg *config.Config, transport *kafka.Transport, log *slog.Logger) (*sink.Sink, error) {
	limits, err := readLimits(ctx, cfg, transport, log)
	if err != nil {
		return nil, err
	}
	envelopes, err := envelopeCodec(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return sink.New(sink.Config{
		Brokers: cfg.Kafka.Brokers, Transport: transport, MaxInFlight: cfg.Kafka.MaxInFlight,
		BatchSize: cfg.Kafka.BatchSize, BatchTimeout: cfg.Kafka.BatchTimeout, Logger: log,
		Limits: limits.Topics, DefaultLimit: limits.Default, Codec: envelopes,
	})
}

// readLimits reads the size limits of the topics the producer writes
// envelopes and dead letters to, and logs them; a topic whose limit
// Kafka will not tell (no DescribeConfigs right) takes the broker's, or
// 1 MiB, with a warning.
func readLimits(ctx context.Context, cfg *config.Config, transport *kafka.Transport, log *slog.Logger) (sink.Limits, error) {
	topics := writtenTopics(cfg)
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
