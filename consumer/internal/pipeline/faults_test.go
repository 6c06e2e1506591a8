package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/store"
	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// readerRig runs one partition reader of a Consumer, with no consumer
// group, so that a test sees what the reader alone does with a fault.
type readerRig struct {
	t     *testing.T
	c     *Consumer
	m     *Metrics
	ready atomic.Bool
	msgs  chan fetched

	mu     sync.Mutex
	losses []Loss
}

func newReaderRig(t *testing.T, brokers []string, codec *envelope.Codec) *readerRig {
	t.Helper()
	rr := &readerRig{t: t, m: NewMetrics(prometheus.NewRegistry()), msgs: make(chan fetched, 100)}
	c, err := New(Config{
		Group: "readers", Brokers: brokers, Topics: []string{"unused"}, DeadLetterTopic: "dlq", RefetchTopic: "refetch",
		Codec: codec, Store: noStore{}, Writer: &kafka.Writer{Addr: kafka.TCP(brokers...)},
		RetryBackoff: 100 * time.Millisecond, Metrics: rr.m, Ready: rr.ready.Store,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		RecordsLost: func(_ context.Context, l Loss) error {
			rr.mu.Lock()
			defer rr.mu.Unlock()
			rr.losses = append(rr.losses, l)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	rr.c = c
	c.ready.setGeneration(true) // as inside a generation
	return rr
}

// noStore is the Store of a consumer that only reads.
type noStore struct{}

func (noStore) Apply(context.Context, store.Batch) (store.Result, error) {
	return store.Result{}, errors.New("noStore applies nothing")
}

func (noStore) Offsets(context.Context, string, string) (map[int]int64, error) { return nil, nil }

func (noStore) Maps(string) bool { return true }

// run reads the partition from start until the test ends.
func (rr *readerRig) run(topic string, start int64) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		rr.c.reader.read(ctx, partition{topic: topic, id: 0, start: start}, rr.msgs)
	}()
	rr.t.Cleanup(func() { cancel(); <-done })
}

// next returns the next record read, failing the test when the reader
// has ended or nothing comes within two minutes.
func (rr *readerRig) next() kafka.Message {
	rr.t.Helper()
	select {
	case m := <-rr.msgs:
		if m.at.IsZero() {
			rr.t.Fatal("a record handed on without its fetch time")
		}
		return m.Message
	case <-time.After(2 * time.Minute):
		rr.t.Fatal("no record read within two minutes")
		return kafka.Message{}
	}
}

func (rr *readerRig) lossesSeen() []Loss {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return append([]Loss(nil), rr.losses...)
}

// waitUntil polls cond until it holds, failing the test after two
// minutes with what was awaited.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func write(t *testing.T, brokers []string, topic string, values ...string) {
	t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond}
	defer w.Close()
	msgs := make([]kafka.Message, len(values))
	for i, v := range values {
		msgs[i] = kafka.Message{Value: []byte(v)}
	}
	// A broker just restarted may answer that the partition has no
	// leader yet (kafka-go does not retry that), so the write is asked
	// again until the deadline.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		err := w.WriteMessages(ctx, msgs...)
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("write to %s: %v", topic, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestReaderRestartedAfterBrokerOutage stops the partition leader (the
// only broker of a private Kafka) under a reader: the reader's fetch
// fails, the replica is not ready and counts a restart, and once the
// broker is back the reader reads on from where it stopped, and the
// replica is ready again.
func TestReaderRestartedAfterBrokerOutage(t *testing.T) {
	t.Parallel()
	pk := harness.StartPrivateKafka(t)
	client := &kafka.Client{Addr: kafka.TCP(pk.Brokers...), Timeout: time.Minute}
	const topic = "reader-outage"
	resp, err := client.CreateTopics(context.Background(), &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 1, ReplicationFactor: 1}}})
	if err == nil {
		err = resp.Errors[topic]
	}
	if err != nil {
		t.Fatal(err)
	}
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	rr := newReaderRig(t, pk.Brokers, codec)
	write(t, pk.Brokers, topic, "before")
	rr.run(topic, 0)
	if m := rr.next(); string(m.Value) != "before" || m.Offset != 0 {
		t.Fatalf("read %q at %d, want \"before\" at 0", m.Value, m.Offset)
	}
	waitUntil(t, "ready", rr.ready.Load)

	pk.Stop()
	waitUntil(t, "a reader restart counted", func() bool {
		return testutil.ToFloat64(rr.m.readerRestarts.WithLabelValues(topic)) >= 1
	})
	if rr.ready.Load() {
		t.Error("ready while the partition's reader fails")
	}
	pk.Start()
	write(t, pk.Brokers, topic, "after")
	if m := rr.next(); string(m.Value) != "after" || m.Offset != 1 {
		t.Fatalf("read %q at %d, want \"after\" at 1", m.Value, m.Offset)
	}
	waitUntil(t, "ready again", rr.ready.Load)
	if l := rr.lossesSeen(); len(l) != 0 {
		t.Errorf("losses reported across an outage: %+v", l)
	}
}

// TestRecordsLostToRetention deletes records below the stored offset's
// reach, as retention does, and checks that the reader reports exactly
// the lost range (metric and RecordsLost) before passing on the next
// record, whether or not a record follows the loss.
func TestRecordsLostToRetention(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		scenario      string
		stored        int64 // the consumer's next offset
		deleteBelow   int64 // the log's new start; 10 records written
		wantFrom      int64
		wantTo        int64
		wantNext      int64 // offset of the first record read; -1: none
		wantLostCount float64
	}{
		{scenario: "records after the loss", stored: 2, deleteBelow: 6, wantFrom: 2, wantTo: 6, wantNext: 6, wantLostCount: 4},
		{scenario: "nothing after the loss", stored: 3, deleteBelow: 10, wantFrom: 3, wantTo: 10, wantNext: -1, wantLostCount: 7},
		{scenario: "stored offset above the deletion", stored: 7, deleteBelow: 5, wantNext: 7},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			topic := k.Topic(fmt.Sprintf("lost-%d-%d", tc.stored, tc.deleteBelow), 1)
			var values []string
			for i := range 10 {
				values = append(values, fmt.Sprint("r", i))
			}
			write(t, k.Brokers, topic, values...)
			k.DeleteRecords(topic, 0, tc.deleteBelow)
			rr := newReaderRig(t, k.Brokers, codec)
			rr.run(topic, tc.stored)
			if tc.wantNext >= 0 {
				if m := rr.next(); m.Offset != tc.wantNext {
					t.Fatalf("first record read at %d, want %d", m.Offset, tc.wantNext)
				}
			} else {
				waitUntil(t, "the loss reported", func() bool { return len(rr.lossesSeen()) > 0 })
			}
			losses := rr.lossesSeen()
			lost := testutil.ToFloat64(rr.m.recordsLost.WithLabelValues(topic, "0"))
			if tc.wantLostCount == 0 {
				if len(losses) != 0 || lost != 0 {
					t.Fatalf("losses %+v, counted %v; want none", losses, lost)
				}
				return
			}
			if len(losses) != 1 {
				t.Fatalf("losses %+v; want one", losses)
			}
			l := losses[0]
			if l.Topic != topic || l.Partition != 0 || l.From != tc.wantFrom || l.To != tc.wantTo {
				t.Errorf("loss %s/%d [%d, %d); want %s/0 [%d, %d)", l.Topic, l.Partition, l.From, l.To, topic, tc.wantFrom, tc.wantTo)
			}
			switch {
			case tc.wantNext >= 0 && (l.Next == nil || l.Next.Offset != tc.wantNext):
				t.Errorf("the loss's next record is %+v, want offset %d", l.Next, tc.wantNext)
			case tc.wantNext < 0 && l.Next != nil:
				t.Errorf("the loss names a next record at %d; the partition holds none", l.Next.Offset)
			}
			if lost != tc.wantLostCount {
				t.Errorf("sfsync_consumer_records_lost_total is %v, want %v", lost, tc.wantLostCount)
			}
		})
	}
}
