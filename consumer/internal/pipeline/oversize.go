package pipeline

import (
	"context"
	"errors"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/dlq"
	"github.com/sfsync/sfsync/schemas/deadletter"
	"github.com/sfsync/sfsync/schemas/svcconfig/kafkaconf"
)

// writeTooLarge writes again, one by one, the records of msgs that a
// write refused with err as too large, as a batch can be too large for
// the topic where each of its records fits. A dead letter Kafka still
// refuses alone is written without its value, with the headers
// [deadletter.HeaderTrimmed] and [deadletter.HeaderSize] saying so.
func (c *Consumer) writeTooLarge(ctx context.Context, msgs []kafka.Message, err error) error {
	var werrs kafka.WriteErrors
	if !errors.As(err, &werrs) || len(werrs) != len(msgs) {
		werrs = nil // kafka-go's own check: nothing was written
	}
	for i, m := range msgs {
		if werrs != nil && werrs[i] == nil {
			continue // written
		}
		err := c.cfg.Writer.WriteMessages(ctx, m)
		if kafkaconf.TooLarge(err) && m.Topic == c.cfg.DeadLetterTopic && m.Value != nil {
			trimmed := dlq.Trim(m)
			if c.m != nil {
				h, _ := deadletter.Parse(m.Headers) // the topic is set even when a position is not
				c.m.trimmed.WithLabelValues(h.OriginTopic).Inc()
			}
			c.log.Error("dead letter too large for Kafka; written without its value", "dead_letter_topic", m.Topic,
				"key", string(m.Key), "bytes", dlq.Size(m), "err", err)
			err = c.cfg.Writer.WriteMessages(ctx, trimmed)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
