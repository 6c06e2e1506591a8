package sink_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/producer/internal/sink"
	"github.com/sfsync/sfsync/schemas/deadletter"
)

// smallLimit is the max.message.bytes of the tests' small topics.
const smallLimit = 64 << 10

// smallTopic creates a topic taking at most smallLimit bytes a batch;
// it returns the topic and the limits ReadLimits reads for it and for
// missing, a topic that does not exist.
func smallTopic(t *testing.T, k *harness.Kafka, name, missing string) (string, sink.Limits) {
	t.Helper()
	topic := k.Topic(name, 1)
	k.SetTopicConfig(topic, "max.message.bytes", strconv.Itoa(smallLimit))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := sink.ReadLimits(ctx, k.Client(), []string{topic, missing})
	if err != nil {
		t.Fatal(err)
	}
	if l.Topics[topic] != smallLimit {
		t.Fatalf("ReadLimits: %s takes %d bytes, want %d", topic, l.Topics[topic], smallLimit)
	}
	return topic, l
}

// TestBatchesFitTheTopicsLimit writes envelopes of about 2 KiB, hundreds
// at once, to a topic that takes 64 KiB a batch: with the limit read from
// Kafka, every batch fits and every envelope is acknowledged (with
// kafka-go's default of 1 MiB a batch, Kafka refuses them). A topic
// Kafka cannot describe takes the broker's default.
func TestBatchesFitTheTopicsLimit(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	missing := k.TopicName("missing")
	topic, limits := smallTopic(t, k, "small", missing)
	if _, ok := limits.Refused[missing]; !ok || limits.Default < sink.DefaultLimit {
		t.Errorf("limits %+v: want %s refused and the broker's default (at least 1 MiB)", limits, missing)
	}
	s, err := sink.New(sink.Config{Brokers: k.Brokers, Limits: limits.Topics, DefaultLimit: limits.Default})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Limit(missing); got != limits.Default {
		t.Errorf("limit of a topic without its own = %d, want %d", got, limits.Default)
	}
	const n = 400
	envs := envelopes(n, 3)
	for i := range envs {
		envs[i].TransactionKey = strings.Repeat("t", 2000)
	}
	var wg sync.WaitGroup
	wg.Add(n)
	var failed sync.Once
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Write(ctx, topic, envs, func(i int, err error) {
		defer wg.Done()
		if err != nil {
			failed.Do(func() { t.Errorf("envelope %d: %v", i, err) })
		}
	}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOversizedRecords: an envelope larger than its topic takes fails
// Write with a *TooLargeError before anything of the call is written; a
// dead letter too large for its topic is written without its payload,
// with headers saying so.
func TestOversizedRecords(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	topic, limits := smallTopic(t, k, "small", k.TopicName("missing"))
	s, err := sink.New(sink.Config{Brokers: k.Brokers, Limits: limits.Topics})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	envs := envelopes(3, 3)
	envs[1].TransactionKey = strings.Repeat("t", 100_000)
	err = s.Write(ctx, topic, envs, func(i int, err error) { t.Errorf("envelope %d written: %v", i, err) })
	var tooLarge *sink.TooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Index != 1 || tooLarge.Topic != topic || tooLarge.Limit != smallLimit || tooLarge.Size <= smallLimit {
		t.Fatalf("Write = %v (%+v), want a *TooLargeError for envelope 1", err, tooLarge)
	}

	done := make(chan error, 1)
	payload := []byte(strings.Repeat("p", 100_000))
	if err := s.WriteDeadLetter(ctx, topic, sink.DeadLetter{
		Reason: "decode: test", Topic: "/data/AccountChangeEvent", ReplayID: []byte{1, 2}, EventID: "event-1",
		Payload: payload, Time: time.Now(),
	}, func(err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: k.Brokers, Topic: topic, Partition: 0, MaxWait: 50 * time.Millisecond})
	defer r.Close()
	m, err := r.ReadMessage(ctx) // the first record: nothing of the refused Write is before it
	if err != nil {
		t.Fatal(err)
	}
	h := deadletter.Parse(m.Headers)
	if string(m.Key) != "event-1" || len(m.Value) != 0 || h.Trimmed != deadletter.TrimmedPayload ||
		h.Size <= smallLimit || h.Limit != smallLimit || h.Reason != "decode: test" || h.EventID != "event-1" {
		t.Errorf("dead letter key %q, %d bytes of value, headers %+v", m.Key, len(m.Value), h)
	}
}
