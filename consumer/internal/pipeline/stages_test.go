package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/store"
	"github.com/sfsync/sfsync/schemas/deadletter"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// The tests of this file run the stages without Kafka, PostgreSQL or
// Redis.

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// recordOf returns a record of topic at offset holding e encoded.
func recordOf(t *testing.T, codec *envelope.Codec, topic string, offset int64, e *envelope.Envelope) kafka.Message {
	t.Helper()
	v, err := codec.Encode(nil, e)
	if err != nil {
		t.Fatal(err)
	}
	return kafka.Message{Topic: topic, Partition: 0, Offset: offset, Key: []byte(e.RecordID), Value: v}
}

func newOutput(w Writer, m *Metrics, failed *error) *output {
	return &output{w: w, deadLetterTopic: "dlq", group: "g", log: quiet, m: m,
		fail:    func(err error) { *failed = err },
		kafkaAt: func(what string, err error) error { return fmt.Errorf("kafka: %s: %w", what, err) }}
}

func TestDecodeSortsRecords(t *testing.T) {
	t.Parallel()
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(prometheus.NewRegistry())
	var failed error
	out := newOutput(nil, m, &failed)
	d := &decoder{codec: codec, maps: func(e string) bool { return e == "Account" }, refetchTopic: "refetch",
		deadLetter: out.deadLetter, retry: &retrier{first: time.Millisecond, log: quiet, m: m}, log: quiet, m: m}
	data := account("001000000000000001", 10, envelope.ChangeUpdate, "a")
	gap := account("001000000000000002", 11, envelope.ChangeGapUpdate, "")
	other := account("003000000000000003", 12, envelope.ChangeUpdate, "c")
	other.Entity = "Contact"
	batch := []kafka.Message{
		recordOf(t, codec, "sfsync.account", 0, data),
		{Topic: "sfsync.account", Offset: 1, Key: []byte("junk"), Value: []byte("not an envelope")},
		recordOf(t, codec, "sfsync.account", 2, gap),
		recordOf(t, codec, "sfsync.account", 3, other),
		recordOf(t, codec, "sfsync.account", 4, other),
	}
	records := make([]fetched, len(batch))
	for i, m := range batch {
		records[i] = fetched{Message: m, at: time.Unix(1700000000, int64(i))}
	}
	got, ok := d.decode(context.Background(), records)
	if !ok {
		t.Fatal("decode gave up")
	}
	if len(got.batch) != len(batch) {
		t.Errorf("batch of %d records, want %d", len(got.batch), len(batch))
	}
	if len(got.data) != 1 || got.data[0].env.RecordID != data.RecordID || got.data[0].msg.Offset != 0 {
		t.Fatalf("data %+v; want the one Account update", got.data)
	}
	if !got.data[0].fetched.Equal(records[0].at) {
		t.Errorf("data fetched at %v, want its record's fetch time %v", got.data[0].fetched, records[0].at)
	}
	if len(got.out) != 2 {
		t.Fatalf("%d records out, want a dead letter and a marker", len(got.out))
	}
	dl, marker := got.out[0], got.out[1]
	h, err := deadletter.Parse(dl.Headers)
	if err != nil || dl.Topic != "dlq" || h.OriginOffset != 1 || h.Group != "g" || h.Reason[:len("decode: ")] != "decode: " {
		t.Errorf("dead letter to %s, headers %+v, %v", dl.Topic, h, err)
	}
	if marker.Topic != "refetch" || string(marker.Value) != string(batch[2].Value) {
		t.Errorf("marker to %s; want the GAP record as read, to refetch", marker.Topic)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"consumed", testutil.ToFloat64(m.consumed.WithLabelValues("sfsync.account")), 5},
		{"dead letters", testutil.ToFloat64(m.deadLetters.WithLabelValues("sfsync.account", "decode")), 1},
		{"forwarded", testutil.ToFloat64(m.forwarded.WithLabelValues(envelope.ChangeGapUpdate.String())), 1},
		{"ignored", testutil.ToFloat64(m.ignored.WithLabelValues("Contact")), 2},
	} {
		if c.got != c.want {
			t.Errorf("%s counted %v, want %v", c.name, c.got, c.want)
		}
	}
}

// memDedup is a Dedup in memory; err, when set, fails every call.
type memDedup struct {
	mu   sync.Mutex
	seen map[string]bool
	err  error
}

func (d *memDedup) Seen(_ context.Context, keys []string) ([]bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return nil, d.err
	}
	out := make([]bool, len(keys))
	for i, k := range keys {
		out[i] = d.seen[k]
	}
	return out, nil
}

func (d *memDedup) Mark(_ context.Context, keys []string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	for _, k := range keys {
		d.seen[k] = true
	}
	return nil
}

func TestFilter(t *testing.T) {
	t.Parallel()
	items := func() []item {
		var out []item
		for i := range 4 {
			out = append(out, item{env: account(fmt.Sprintf("001%015d", i), 10, envelope.ChangeUpdate, "x")})
		}
		return out
	}
	ids := func(data []item) []string {
		var out []string
		for _, it := range data {
			out = append(out, it.env.RecordID)
		}
		return out
	}
	for _, tc := range []struct {
		scenario    string
		dedup       *memDedup
		marked      []int
		want        []int
		hits, fails float64
	}{
		{scenario: "without redis", want: []int{0, 1, 2, 3}},
		{scenario: "nothing seen", dedup: &memDedup{seen: map[string]bool{}}, want: []int{0, 1, 2, 3}},
		{scenario: "two seen", dedup: &memDedup{seen: map[string]bool{}}, marked: []int{1, 3}, want: []int{0, 2}, hits: 2},
		{scenario: "redis down", dedup: &memDedup{seen: map[string]bool{}, err: errors.New("down")}, want: []int{0, 1, 2, 3}, fails: 1},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			m := NewMetrics(prometheus.NewRegistry())
			f := &filter{log: quiet, m: m}
			if tc.dedup != nil {
				f.dedup = tc.dedup
				for _, i := range tc.marked {
					tc.dedup.seen[dedupKey(items()[i].env)] = true
				}
			}
			all := items()
			var want []string
			for _, i := range tc.want {
				want = append(want, all[i].env.RecordID)
			}
			if got := ids(f.drop(context.Background(), items())); !slices.Equal(got, want) {
				t.Fatalf("kept %v, want %v", got, want)
			}
			if got := testutil.ToFloat64(m.dedupHits); got != tc.hits {
				t.Errorf("hits %v, want %v", got, tc.hits)
			}
			if got := testutil.ToFloat64(m.dedupErrors); got != tc.fails {
				t.Errorf("errors %v, want %v", got, tc.fails)
			}
			// Marked keys are seen next time.
			f.mark(context.Background(), []string{dedupKey(all[0].env)})
			if tc.dedup != nil && tc.dedup.err == nil && !tc.dedup.seen[dedupKey(all[0].env)] {
				t.Error("mark did not record the key")
			}
		})
	}
}

func TestDedupKeySeparatesChangeTypes(t *testing.T) {
	t.Parallel()
	data := account("001000000000000001", 10, envelope.ChangeUpdate, "a")
	gap := *data
	gap.ChangeType = envelope.ChangeGapUpdate
	if dedupKey(data) == dedupKey(&gap) {
		t.Fatalf("a data envelope and the GAP marker of one event and record share the key %q", dedupKey(data))
	}
}

func TestCollect(t *testing.T) {
	t.Parallel()
	msg := func(i int) fetched { return fetched{Message: kafka.Message{Offset: int64(i)}} }
	t.Run("full batch", func(t *testing.T) {
		t.Parallel()
		msgs := make(chan fetched, 10)
		for i := range 10 {
			msgs <- msg(i)
		}
		batch, ok := collect(context.Background(), msgs, 4, time.Hour, nil)
		if !ok || len(batch) != 4 || batch[3].Offset != 3 {
			t.Fatalf("batch of %d, ok %v; want the first 4 records at once", len(batch), ok)
		}
	})
	t.Run("wait bounds the batch", func(t *testing.T) {
		t.Parallel()
		msgs := make(chan fetched, 10)
		msgs <- msg(0)
		msgs <- msg(1)
		batch, ok := collect(context.Background(), msgs, 100, 10*time.Millisecond, nil)
		if !ok || len(batch) != 2 {
			t.Fatalf("batch of %d, ok %v; want the 2 records there", len(batch), ok)
		}
	})
	t.Run("applying idle takes what is there at once", func(t *testing.T) {
		t.Parallel()
		msgs, idle := make(chan fetched, 10), make(chan struct{}, 1)
		msgs <- msg(0)
		msgs <- msg(1)
		idle <- struct{}{}
		batch, ok := collect(context.Background(), msgs, 100, time.Hour, idle)
		if !ok || len(batch) != 2 || len(idle) != 0 {
			t.Fatalf("batch of %d, ok %v, idle token left %v; want the 2 records there at once, the token taken", len(batch), ok, len(idle) == 1)
		}
	})
	t.Run("applying busy fills the batch until it is idle", func(t *testing.T) {
		t.Parallel()
		msgs, idle := make(chan fetched, 10), make(chan struct{}, 1)
		msgs <- msg(0)
		go func() {
			for len(msgs) > 0 {
				time.Sleep(time.Millisecond)
			}
			msgs <- msg(1)
			for len(msgs) > 0 {
				time.Sleep(time.Millisecond)
			}
			idle <- struct{}{}
		}()
		batch, ok := collect(context.Background(), msgs, 100, time.Hour, idle)
		if !ok || len(batch) != 2 || batch[1].Offset != 1 {
			t.Fatalf("batch of %d, ok %v; want both records, the second sent while applying was busy", len(batch), ok)
		}
	})
	t.Run("ended before a record", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if batch, ok := collect(ctx, make(chan fetched), 100, time.Hour, nil); ok || batch != nil {
			t.Fatalf("batch of %d, ok %v; want none", len(batch), ok)
		}
	})
	t.Run("ended after a record", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		msgs := make(chan fetched, 1)
		msgs <- msg(7)
		go func() {
			for len(msgs) > 0 {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		batch, ok := collect(ctx, msgs, 100, time.Hour, nil)
		if !ok || len(batch) != 1 || batch[0].Offset != 7 {
			t.Fatalf("batch %v, ok %v; want the record read, to drain", batch, ok)
		}
	})
}

func TestBatchOffsets(t *testing.T) {
	t.Parallel()
	batch := []kafka.Message{
		{Topic: "a", Partition: 0, Offset: 5}, {Topic: "b", Partition: 1, Offset: 9},
		{Topic: "a", Partition: 0, Offset: 6}, {Topic: "a", Partition: 2, Offset: 1},
	}
	want := []store.Offset{{Topic: "a", Partition: 0, Next: 7}, {Topic: "b", Partition: 1, Next: 10}, {Topic: "a", Partition: 2, Next: 2}}
	if got := nextOffsets(batch); !slices.Equal(got, want) {
		t.Errorf("nextOffsets %v, want %v", got, want)
	}
	c := commitOffsets(batch)
	if c["a"][0] != 7 || c["b"][1] != 10 || c["a"][2] != 2 || len(c) != 2 || len(c["a"]) != 2 {
		t.Errorf("commitOffsets %v", c)
	}
}

func TestReadiness(t *testing.T) {
	t.Parallel()
	var got []bool
	r := &readiness{report: func(ok bool) { got = append(got, ok) }}
	r.setGeneration(true)  // ready
	r.readerFailed(1)      // one failing
	r.readerFailed(1)      // two
	r.readerFailed(-1)     // one still
	r.readerFailed(-1)     // ready again
	r.setGeneration(false) // generation lost
	if want := []bool{true, false, false, false, true, false}; !slices.Equal(got, want) {
		t.Fatalf("reported %v, want %v", got, want)
	}
	(&readiness{}).setGeneration(true) // no report: no panic
}

// fakeWriter is a Writer that refuses, as too large, any write of more
// than max bytes, and any record of more than max bytes alone.
type fakeWriter struct {
	max     int
	err     error // returned by every write when set
	mu      sync.Mutex
	written []kafka.Message
}

func (w *fakeWriter) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	n := 0
	for _, m := range msgs {
		n += len(m.Key) + len(m.Value)
	}
	if n > w.max {
		return kafka.MessageSizeTooLarge
	}
	w.written = append(w.written, msgs...)
	return nil
}

func TestOutputWrite(t *testing.T) {
	t.Parallel()
	m := NewMetrics(prometheus.NewRegistry())
	var failed error
	w := &fakeWriter{max: 150}
	o := newOutput(w, m, &failed)
	origin := kafka.Message{Topic: "sfsync.account", Partition: 2, Offset: 40, Key: []byte("k"), Value: make([]byte, 200)}
	msgs := []kafka.Message{
		{Topic: "refetch", Key: []byte("m1"), Value: make([]byte, 100)},
		o.deadLetter(origin, "apply", errors.New("refused")),
	}
	if err := o.write(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	if len(w.written) != 2 || w.written[0].Topic != "refetch" || len(w.written[0].Value) != 100 {
		t.Fatalf("written %d records; want the marker as is and the dead letter", len(w.written))
	}
	h, err := deadletter.Parse(w.written[1].Headers)
	if err != nil || w.written[1].Value != nil || h.Trimmed != deadletter.TrimmedValue || h.OriginTopic != "sfsync.account" {
		t.Fatalf("dead letter of %d bytes, headers %+v, %v; want it trimmed", len(w.written[1].Value), h, err)
	}
	if got := testutil.ToFloat64(m.trimmed.WithLabelValues("sfsync.account")); got != 1 {
		t.Errorf("trimmed counted %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.deadLetters.WithLabelValues("sfsync.account", "apply")); got != 1 {
		t.Errorf("dead letters counted %v, want 1", got)
	}
	if failed != nil {
		t.Errorf("a too large record stopped the consumer: %v", failed)
	}

	// A permanent failure stops the consumer and is not retried.
	w.err = kafka.TopicAuthorizationFailed
	err = o.write(context.Background(), msgs[:1])
	var p permanent
	if !errors.As(err, &p) || failed == nil {
		t.Fatalf("write returned %v, stopped with %v; want a permanent error that stops the consumer", err, failed)
	}
	// A transient one is returned for retry.
	failed, w.err = nil, kafka.LeaderNotAvailable
	if err := o.write(context.Background(), msgs[:1]); errors.As(err, &p) || failed != nil || err == nil {
		t.Fatalf("write returned %v, stopped with %v; want a transient error", err, failed)
	}
}

func TestRetrier(t *testing.T) {
	t.Parallel()
	m := NewMetrics(prometheus.NewRegistry())
	r := &retrier{first: time.Millisecond, log: quiet, m: m}
	calls := 0
	err := r.do(context.Background(), "step", func(context.Context) error {
		calls++
		if calls < 3 {
			return errors.New("transient")
		}
		return nil
	})
	if err != nil || calls != 3 || testutil.ToFloat64(m.retries) != 2 {
		t.Fatalf("err %v after %d calls, %v retries; want success at the third", err, calls, testutil.ToFloat64(m.retries))
	}
	poison := permanent{errors.New("poison")}
	calls = 0
	if err := r.do(context.Background(), "step", func(context.Context) error { calls++; return poison }); !errors.Is(err, poison.err) || calls != 1 {
		t.Fatalf("err %v after %d calls; want the permanent error at once", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.do(ctx, "step", func(context.Context) error { return errors.New("down") }); err == nil || err.Error() != "step: down" {
		t.Fatalf("err %v; want the step's error once ctx ended", err)
	}
}
