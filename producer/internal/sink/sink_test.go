package sink_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/producer/internal/replay"
	"github.com/sfsync/sfsync/producer/internal/sink"
	"github.com/sfsync/sfsync/schemas/deadletter"
	"github.com/sfsync/sfsync/schemas/envelope"
)

func envelopes(n, keys int) []envelope.Envelope {
	out := make([]envelope.Envelope, n)
	for i := range out {
		out[i] = envelope.Envelope{
			EventID:         fmt.Sprintf("event-%05d", i),
			Entity:          "Account",
			RecordID:        fmt.Sprintf("001%015d", i%keys),
			ChangeType:      envelope.ChangeUpdate,
			CommitTimestamp: time.UnixMilli(1_700_000_000_000).UTC(),
			CommitNumber:    int64(i),
			SequenceNumber:  1,
			PartitionKey:    fmt.Sprintf("0MI%015d", i%keys),
			ProducedAt:      time.UnixMilli(1_700_000_000_000).UTC(),
		}
	}
	return out
}

// write batches envs for topic and writes them with ticket tk.
func write(ctx context.Context, s *sink.Sink, topic string, envs []envelope.Envelope, tk replay.Ticket, acks chan<- sink.Ack) error {
	b, err := s.Batch(topic, envs)
	if err != nil {
		return err
	}
	_, err = s.Write(ctx, b, tk, acks)
	return err
}

// TestWriteAcknowledgesEveryRecordInKeyOrder writes envelopes over many
// keys, waits for every acknowledgement, then reads the topic back: every
// envelope is there once, on the partition murmur2 gives its key, in
// write order per key.
func TestWriteAcknowledgesEveryRecordInKeyOrder(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	const partitions, n, keys = 4, 1000, 37
	topic := k.Topic("account", partitions)
	s, err := sink.New(sink.Config{Brokers: k.Brokers, MaxInFlight: 64})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	envs := envelopes(n, keys)
	acked := make([]int, n)
	acks := make(chan sink.Ack)
	read := make(chan struct{})
	go func() {
		defer close(read)
		for range n {
			a := <-acks
			if a.Err != nil || a.Topic != topic || a.Envelope == nil {
				t.Errorf("ack %+v", a)
				continue
			}
			acked[a.Envelope.CommitNumber]++
		}
	}()
	for lo := 0; lo < n; lo += 100 {
		if err := write(ctx, s, topic, envs[lo:lo+100], replay.Ticket(lo), acks); err != nil {
			t.Fatal(err)
		}
	}
	<-read
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for i, a := range acked {
		if a != 1 {
			t.Fatalf("record %d acknowledged %d times", i, a)
		}
	}

	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	parts := make([]int, partitions)
	for p := range parts {
		parts[p] = p
	}
	last := map[string]int64{}
	seen := 0
	for p := range partitions {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: k.Brokers, Topic: topic, Partition: p, MaxWait: 50 * time.Millisecond})
		conn, err := kafka.DialLeader(ctx, "tcp", k.Brokers[0], topic, p)
		if err != nil {
			t.Fatal(err)
		}
		end, err := conn.ReadLastOffset()
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		for off := int64(0); off < end; off++ {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			e, err := codec.Decode(m.Value)
			if err != nil {
				t.Fatalf("partition %d offset %d: %v", p, m.Offset, err)
			}
			if want := (kafka.Murmur2Balancer{Consistent: true}).Balance(m, parts...); want != p {
				t.Errorf("key %s on partition %d, murmur2 places it on %d", m.Key, p, want)
			}
			if string(m.Key) != e.PartitionKey {
				t.Errorf("key %s, envelope partition key %s", m.Key, e.PartitionKey)
			}
			if prev, ok := last[e.PartitionKey]; ok && e.CommitNumber <= prev {
				t.Errorf("key %s: commit %d after %d", e.PartitionKey, e.CommitNumber, prev)
			}
			last[e.PartitionKey] = e.CommitNumber
			seen++
		}
		r.Close()
	}
	if seen != n {
		t.Errorf("read %d records, wrote %d", seen, n)
	}
}

// TestBackpressure reads no Ack, so records stay in flight: Write
// returns while the window has room, then blocks until its context ends,
// and InFlight never passes MaxInFlight. A missing topic fails Write at
// once.
func TestBackpressure(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	const maxInFlight = 3
	topic := k.Topic("account", 1)
	s, err := sink.New(sink.Config{Brokers: k.Brokers, MaxInFlight: maxInFlight})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := write(context.Background(), s, k.TopicName("missing"), envelopes(1, 1), 0, nil); err == nil {
		t.Fatal("write to a missing topic = nil, want an error")
	}

	acks := make(chan sink.Ack)
	if err := write(context.Background(), s, topic, envelopes(maxInFlight, 3), 0, acks); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := write(ctx, s, topic, envelopes(1, 1), 1, acks); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("write with a full window = %v, want it to wait until its context ends", err)
	}
	peak := 0
	for range maxInFlight {
		peak = max(peak, s.InFlight())
		if a := <-acks; a.Err != nil || a.Ticket != 0 {
			t.Errorf("ack %+v", a)
		}
	}
	if peak > maxInFlight {
		t.Errorf("%d records in flight, limit %d", peak, maxInFlight)
	}
	// The window empties once the Acks are read.
	if err := write(context.Background(), s, topic, envelopes(1, 1), 2, acks); err != nil {
		t.Fatal(err)
	}
	if a := <-acks; a.Err != nil || a.Ticket != 2 {
		t.Errorf("ack %+v", a)
	}
}

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
	acks := make(chan sink.Ack, n)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := write(ctx, s, topic, envs, 0, acks); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for range n {
		if a := <-acks; a.Err != nil && failed == 0 {
			failed++
			t.Errorf("envelope %d: %v", a.Envelope.CommitNumber, a.Err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOversizedRecords: an envelope larger than its topic takes fails
// Batch with a *TooLargeError, so nothing of the event is written; a
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
	_, err = s.Batch(topic, envs)
	var tooLarge *sink.TooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Index != 1 || tooLarge.Topic != topic || tooLarge.Limit != smallLimit || tooLarge.Size <= smallLimit {
		t.Fatalf("Batch = %v (%+v), want a *TooLargeError for envelope 1", err, tooLarge)
	}

	acks := make(chan sink.Ack, 1)
	payload := []byte(strings.Repeat("p", 100_000))
	if err := s.WriteDeadLetter(ctx, topic, sink.DeadLetter{
		Reason: "decode: test", Topic: "/data/AccountChangeEvent", ReplayID: []byte{1, 2}, EventID: "event-1",
		Payload: payload, Time: time.Now(),
	}, 7, acks); err != nil {
		t.Fatal(err)
	}
	if a := <-acks; a.Err != nil || a.Ticket != 7 || a.Envelope != nil || a.Topic != topic {
		t.Fatalf("ack %+v", a)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: k.Brokers, Topic: topic, Partition: 0, MaxWait: 50 * time.Millisecond})
	defer r.Close()
	m, err := r.ReadMessage(ctx) // the first record: nothing of the refused Write is before it
	if err != nil {
		t.Fatal(err)
	}
	h, err := deadletter.Parse(m.Headers)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Key) != "event-1" || len(m.Value) != 0 || h.Trimmed != deadletter.TrimmedPayload ||
		h.Size <= smallLimit || h.Limit != smallLimit || h.Reason != "decode: test" || h.EventID != "event-1" {
		t.Errorf("dead letter key %q, %d bytes of value, headers %+v", m.Key, len(m.Value), h)
	}
}

// TestReadLimitsRefused reads limits as the producer's SCRAM user, which
// the local stack's ACLs do not let describe an envelope topic's
// configuration nor the broker's: the topic is reported refused and takes
// DefaultLimit, and ReadLimits does not fail.
func TestReadLimitsRefused(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	topic := k.Topic("account", 1)
	s := harness.NewSecuredKafka(t, k)
	transport, err := s.Transport("producer")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := sink.ReadLimits(ctx, &kafka.Client{Addr: kafka.TCP(s.SASLSSLBrokers...), Transport: transport}, []string{topic})
	if err != nil {
		t.Fatal(err)
	}
	if _, refused := l.Refused[topic]; !refused || len(l.Topics) != 0 || l.Default != sink.DefaultLimit {
		t.Errorf("limits %+v, want %s refused and the default of %d", l, topic, sink.DefaultLimit)
	}
}
