package kafkaconf

import (
	"context"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"
)

// CreateTopics creates the topics of create; a topic another client
// created meanwhile is no error. It returns the topics it created, for
// the caller to log, and an error naming the first topic Kafka refused.
func CreateTopics(ctx context.Context, client *kafka.Client, create []kafka.TopicConfig) ([]kafka.TopicConfig, error) {
	if len(create) == 0 {
		return nil, nil
	}
	resp, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: create})
	if err != nil {
		return nil, fmt.Errorf("create kafka topics: %w", err)
	}
	var created []kafka.TopicConfig
	for _, t := range create {
		switch err := resp.Errors[t.Topic]; {
		case errors.Is(err, kafka.TopicAlreadyExists):
		case err != nil:
			return created, fmt.Errorf("create kafka topic %s: %w", t.Topic, err)
		default:
			created = append(created, t)
		}
	}
	return created, nil
}

// MessageWriter writes messages, as a [kafka.Writer] does.
type MessageWriter interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// WriteEach writes again, one at a time, the messages of msgs that a
// batch write refused with err (all of them when err is not a
// [kafka.WriteErrors] of one error per message, as when kafka-go refused
// the batch before sending it), as a batch can be too large for its topic
// where each message fits. handle gets each message's index and the
// error of its own write, nil when written, and returns what stops the
// loop: nil goes on.
func WriteEach(ctx context.Context, w MessageWriter, msgs []kafka.Message, err error, handle func(i int, err error) error) error {
	var werrs kafka.WriteErrors
	if !errors.As(err, &werrs) || len(werrs) != len(msgs) {
		werrs = nil // kafka-go's own check: nothing was written
	}
	for i, m := range msgs {
		if werrs != nil && werrs[i] == nil {
			continue // written
		}
		if err := handle(i, w.WriteMessages(ctx, m)); err != nil {
			return err
		}
	}
	return nil
}
