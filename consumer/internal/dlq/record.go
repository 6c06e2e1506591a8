package dlq

import (
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/schemas/deadletter"
)

// Record returns the dead letter of m, for topic: m's key, value and
// headers, followed by the headers saying why (reason and err, as
// "reason: err"), where from (m's topic, partition and offset), which
// consumer group and when.
func Record(m kafka.Message, topic, group, reason string, err error, at time.Time) kafka.Message {
	return kafka.Message{
		Topic: topic, Key: m.Key, Value: m.Value,
		Headers: append(append([]kafka.Header(nil), m.Headers...),
			kafka.Header{Key: deadletter.HeaderReason, Value: []byte(reason + ": " + err.Error())},
			kafka.Header{Key: deadletter.HeaderOrigin, Value: []byte(deadletter.OriginConsumer)},
			kafka.Header{Key: deadletter.HeaderOriginTopic, Value: []byte(m.Topic)},
			kafka.Header{Key: deadletter.HeaderOriginPartition, Value: []byte(strconv.Itoa(m.Partition))},
			kafka.Header{Key: deadletter.HeaderOriginOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))},
			kafka.Header{Key: deadletter.HeaderGroup, Value: []byte(group)},
			kafka.Header{Key: deadletter.HeaderTime, Value: []byte(at.UTC().Format(time.RFC3339Nano))},
		),
	}
}

// Trim returns m without its value, with the headers
// [deadletter.HeaderTrimmed] and [deadletter.HeaderSize] saying so: the
// form of a dead letter Kafka refuses as too large.
func Trim(m kafka.Message) kafka.Message {
	m.Headers = append(append([]kafka.Header(nil), m.Headers...),
		kafka.Header{Key: deadletter.HeaderTrimmed, Value: []byte(deadletter.TrimmedValue)},
		kafka.Header{Key: deadletter.HeaderSize, Value: []byte(strconv.Itoa(Size(m)))},
	)
	m.Value = nil
	return m
}

// Size is about the size of m's record: its key, value and headers.
func Size(m kafka.Message) int {
	n := len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}
