package app

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/consumer/internal/pipeline"
	"github.com/sfsync/sfsync/schemas/checkpoint"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// unknownOrg stands for the org id in a reconcile request when no record
// of the partition names it; the reconciler reads only the subscription.
const unknownOrg = "unknown"

// reconcileRequester returns the pipeline's RecordsLost callback: for a
// loss it writes, to cfg.Kafka.ReconcileTopic, the request the producer
// writes when it loses its place in a Pub/Sub topic (a checkpoint with
// GapSuspected), one per Pub/Sub topic whose objects the lost Kafka topic
// carries; the reconciler then verifies every object of each.
func reconcileRequester(cfg *config.Config, codec *envelope.Codec, w pipeline.Writer) func(context.Context, pipeline.Loss) error {
	host, _ := os.Hostname()
	id := fmt.Sprintf("consumer %s %s/%d", cfg.Kafka.Group, host, os.Getpid())
	return func(ctx context.Context, loss pipeline.Loss) error {
		msgs, err := reconcileRequests(cfg.Mapping, codec, id, loss, time.Now())
		if err != nil || len(msgs) == 0 {
			return err
		}
		for i := range msgs {
			msgs[i].Topic = cfg.Kafka.ReconcileTopic
		}
		return w.WriteMessages(ctx, msgs...)
	}
}

// reconcileRequests returns the reconcile requests of loss (without their
// topic), from consumer id at now.
func reconcileRequests(m *mapping.Mapping, codec *envelope.Codec, id string, loss pipeline.Loss, now time.Time) ([]kafka.Message, error) {
	org := unknownOrg
	if loss.Next != nil {
		if e, err := codec.Decode(loss.Next.Value); err == nil && e.OrgID != "" {
			org = e.OrgID
		}
	}
	var subs []string
	for _, o := range m.Objects {
		if o.KafkaTopic == loss.Topic && o.Sync == mapping.SyncStream && !slices.Contains(subs, o.Topic) {
			subs = append(subs, o.Topic)
		}
	}
	cps, err := checkpoint.NewCodec()
	if err != nil {
		return nil, err
	}
	var msgs []kafka.Message
	for _, sub := range subs {
		cp := checkpoint.Checkpoint{
			OrgID: org, Subscription: sub, UpdatedAt: now, ProducerID: id,
			// The replay id names what was lost: Kafka offsets, not a
			// Salesforce replay id.
			ReplayID:     fmt.Appendf(nil, "kafka:%s/%d/%d-%d", loss.Topic, loss.Partition, loss.From, loss.To),
			GapSuspected: true,
			GapReason: fmt.Sprintf("Kafka deleted records %d to %d of %s partition %d (retention) before the consumer read them",
				loss.From, loss.To-1, loss.Topic, loss.Partition),
		}
		value, err := cps.Encode(nil, cp)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, kafka.Message{Key: []byte(cp.Key()), Value: value})
	}
	return msgs, nil
}
