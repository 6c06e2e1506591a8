package kafkaconf

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// WaitForLeaders polls the metadata of topic every 100 ms until it has
// partitions partitions, each with a leader, so that reads and writes
// right after its creation work, or until ctx ends; the error then says
// what the last metadata lacked.
func WaitForLeaders(ctx context.Context, client *kafka.Client, topic string, partitions int) error {
	for {
		md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
		if err == nil {
			err = leaders(md, partitions)
		}
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the partition leaders of %s: %w (last: %w)", topic, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// leaders says what keeps md, the metadata of one topic, from having
// partitions partitions each with a leader; nil when nothing does.
func leaders(md *kafka.MetadataResponse, partitions int) error {
	switch {
	case len(md.Topics) != 1:
		return fmt.Errorf("metadata lists %d topics", len(md.Topics))
	case md.Topics[0].Error != nil:
		return md.Topics[0].Error
	}
	ready := 0
	for _, p := range md.Topics[0].Partitions {
		if p.Error == nil && p.Leader.Host != "" {
			ready++
		}
	}
	if ready != partitions {
		return fmt.Errorf("%d of %d partitions have a leader", ready, partitions)
	}
	return nil
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
