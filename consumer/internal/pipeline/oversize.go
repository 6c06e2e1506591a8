package pipeline

import (
	"context"
	"errors"
	"strconv"

	"github.com/segmentio/kafka-go"

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
			trimmed := trimValue(m)
			if c.m != nil {
				h, _ := deadletter.Parse(m.Headers) // the topic is set even when a position is not
				c.m.trimmed.WithLabelValues(h.OriginTopic).Inc()
			}
			c.log.Error("dead letter too large for Kafka; written without its value", "dead_letter_topic", m.Topic,
				"key", string(m.Key), "bytes", recordBytes(m), "err", err)
			err = c.cfg.Writer.WriteMessages(ctx, trimmed)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// trimValue returns m without its value, with headers saying so.
func trimValue(m kafka.Message) kafka.Message {
	m.Headers = append(append([]kafka.Header(nil), m.Headers...),
		kafka.Header{Key: deadletter.HeaderTrimmed, Value: []byte(deadletter.TrimmedValue)},
		kafka.Header{Key: deadletter.HeaderSize, Value: []byte(strconv.Itoa(recordBytes(m)))},
	)
	m.Value = nil
	return m
}

// recordBytes is about the size of m's record: its key, value and
// headers.
func recordBytes(m kafka.Message) int {
	n := len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}
