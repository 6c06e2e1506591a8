package app

import (
	"context"
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
// partition counts. It reports one line per check on list; its error
// says what it could not check at all.
func Check(ctx context.Context, cfg *config.Config, list *svcmain.Checklist) error {
	sf, err := connect(ctx, cfg, discardLogger())
	if err != nil {
		list.Report(false, "salesforce: %v", err)
	} else {
		defer sf.client.Close()
		list.Report(true, "salesforce: connected to %s as org %s", cfg.Salesforce.PubSubEndpoint, sf.orgID)
		for _, topic := range cfg.Mapping.Topics() {
			info, err := sf.client.GetTopic(ctx, topic)
			switch {
			case err != nil:
				list.Report(false, "salesforce topic %s: %v", topic, err)
			case !info.CanSubscribe:
				list.Report(false, "salesforce topic %s: this user may not subscribe to it", topic)
			default:
				list.Report(true, "salesforce topic %s: subscribable", topic)
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
		list.Report(false, "kafka at %s: %v", strings.Join(cfg.Kafka.Brokers, ","), err)
	} else {
		list.Report(true, "kafka: %d brokers answer", len(md.Brokers))
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
				list.Report(false, "kafka topic %s (%s): missing", o.KafkaTopic, o.Name)
			case pinned && n != want:
				list.Report(false, "kafka topic %s (%s): %d partitions, expected %d", o.KafkaTopic, o.Name, n, want)
			default:
				list.Report(true, "kafka topic %s (%s): %d partitions", o.KafkaTopic, o.Name, n)
			}
		}
		store, err := checkpointstore.New(checkpointstore.Config{Brokers: cfg.Kafka.Brokers, Topic: cfg.Kafka.CheckpointTopic, Transport: transport})
		if err == nil {
			defer store.Close()
			if _, exists := partitions[cfg.Kafka.CheckpointTopic]; !exists {
				list.Report(true, "kafka topic %s: missing, will be created compacted at start", cfg.Kafka.CheckpointTopic)
			} else if err := store.EnsureTopic(ctx); err != nil {
				list.Report(false, "kafka topic %s: %v", cfg.Kafka.CheckpointTopic, err)
			} else {
				list.Report(true, "kafka topic %s: compacted", cfg.Kafka.CheckpointTopic)
			}
		}
	}
	return nil
}
