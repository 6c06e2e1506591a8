package pipeline

import (
	"context"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/connect"
	"github.com/sfsync/sfsync/consumer/internal/dlq"
	"github.com/sfsync/sfsync/platform/kafkaconf"
	"github.com/sfsync/sfsync/schemas/deadletter"
)

// output is the stage that writes to Kafka what is not applied: the dead
// letters (built by [dlq.Record]) and the markers forwarded to the
// re-fetch topic.
type output struct {
	w               Writer
	deadLetterTopic string
	group           string
	log             *slog.Logger
	m               *Metrics
	// fail stops Run with a permanent Kafka error, named by kafkaAt.
	fail    func(error)
	kafkaAt func(what string, err error) error
}

// deadLetter builds the dead-letter record of m, counts and logs it.
func (o *output) deadLetter(m kafka.Message, reason string, err error) kafka.Message {
	if o.m != nil {
		o.m.deadLetters.WithLabelValues(m.Topic, reason).Inc()
	}
	o.log.Warn("record dead-lettered", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "reason", reason, "err", err)
	return dlq.Record(m, o.deadLetterTopic, o.group, reason, err, time.Now())
}

// write writes msgs to Kafka; a permanent failure stops Run and is
// returned as permanent, a transient one is returned for retry.
func (o *output) write(ctx context.Context, msgs []kafka.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	err := o.w.WriteMessages(ctx, msgs...)
	if kafkaconf.TooLarge(err) {
		return o.writeTooLarge(ctx, msgs, err)
	}
	if connect.KafkaPermanent(err) {
		err = o.kafkaAt("write to "+msgs[0].Topic, err)
		o.fail(err)
		return permanent{err}
	}
	return err
}

// writeTooLarge writes again, one by one, the records of msgs that a
// write refused with err as too large, as a batch can be too large for
// the topic where each of its records fits. A dead letter Kafka still
// refuses alone is written without its value ([dlq.Trim]).
func (o *output) writeTooLarge(ctx context.Context, msgs []kafka.Message, err error) error {
	return kafkaconf.WriteEach(ctx, o.w, msgs, err, func(i int, err error) error {
		m := msgs[i]
		if kafkaconf.TooLarge(err) && m.Topic == o.deadLetterTopic && m.Value != nil {
			trimmed := dlq.Trim(m)
			if o.m != nil {
				h, _ := deadletter.Parse(m.Headers) // the topic is set even when a position is not
				o.m.trimmed.WithLabelValues(h.OriginTopic).Inc()
			}
			o.log.Error("dead letter too large for Kafka; written without its value", "dead_letter_topic", m.Topic,
				"key", string(m.Key), "bytes", dlq.Size(m), "err", err)
			err = o.w.WriteMessages(ctx, trimmed)
		}
		return err
	})
}
