package app

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/platform/checkpointstore"
	"github.com/sfsync/sfsync/platform/svcmain"
	"github.com/sfsync/sfsync/producer/internal/config"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// Check verifies, without streaming, that the producer could run: the
// configuration was valid (its loading checked that), Salesforce accepts
// the credentials and knows every Pub/Sub topic of the mapping, and Kafka
// answers and holds every topic the producer writes, with the expected
// partition counts. It prints one line per check to out and returns an
// error listing every failed check.
func Check(ctx context.Context, cfg *config.Config, out io.Writer) error {
	list, ctx, cancel := svcmain.NewChecklist(ctx, out)
	defer cancel()
	report := list.Report

	sf, err := connect(ctx, cfg, discardLogger())
	if err != nil {
		report(false, "salesforce: %v", err)
	} else {
		defer sf.client.Close()
		report(true, "salesforce: connected to %s as org %s", cfg.Salesforce.PubSubEndpoint, sf.orgID)
		for _, topic := range cfg.Mapping.Topics() {
			info, err := sf.client.GetTopic(ctx, topic)
			switch {
			case err != nil:
				report(false, "salesforce topic %s: %v", topic, err)
			case !info.CanSubscribe:
				report(false, "salesforce topic %s: this user may not subscribe to it", topic)
			default:
				report(true, "salesforce topic %s: subscribable", topic)
			}
		}
	}

	transport, err := cfg.Kafka.Transport()
	if err != nil {
		return err
	}
	client := &kafka.Client{Addr: kafka.TCP(cfg.Kafka.Brokers...), Transport: transport, Timeout: 30 * time.Second}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		report(false, "kafka at %s: %v", strings.Join(cfg.Kafka.Brokers, ","), err)
	} else {
		report(true, "kafka: %d brokers answer", len(md.Brokers))
		partitions := map[string]int{}
		for _, t := range md.Topics {
			if t.Error == nil {
				partitions[t.Name] = len(t.Partitions)
			}
		}
		for _, o := range cfg.Mapping.Objects {
			if o.Sync != mapping.SyncStream {
				continue
			}
			n, ok := partitions[o.KafkaTopic]
			want, pinned := cfg.Kafka.TopicPartitionsExpected[o.KafkaTopic]
			switch {
			case !ok:
				report(false, "kafka topic %s (%s): missing", o.KafkaTopic, o.Name)
			case pinned && n != want:
				report(false, "kafka topic %s (%s): %d partitions, expected %d", o.KafkaTopic, o.Name, n, want)
			default:
				report(true, "kafka topic %s (%s): %d partitions", o.KafkaTopic, o.Name, n)
			}
		}
		store, err := checkpointstore.New(checkpointstore.Config{Brokers: cfg.Kafka.Brokers, Topic: cfg.Kafka.CheckpointTopic, Transport: transport})
		if err == nil {
			defer store.Close()
			if _, exists := partitions[cfg.Kafka.CheckpointTopic]; !exists {
				report(true, "kafka topic %s: missing, will be created compacted at start", cfg.Kafka.CheckpointTopic)
			} else if err := store.EnsureTopic(ctx); err != nil {
				report(false, "kafka topic %s: %v", cfg.Kafka.CheckpointTopic, err)
			} else {
				report(true, "kafka topic %s: compacted", cfg.Kafka.CheckpointTopic)
			}
		}
	}
	return list.Err()
}
