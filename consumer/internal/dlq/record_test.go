package dlq

import (
	"errors"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/schemas/deadletter"
	"github.com/sfsync/sfsync/schemas/envelope"
)

func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 4, 15, 0, 0, 123, time.FixedZone("CET", 3600))
	m := kafka.Message{Topic: "sfsync.account", Partition: 3, Offset: 1234, Key: []byte("k"), Value: []byte("v"),
		Headers: []kafka.Header{{Key: "sfsync-change-type", Value: []byte("UPDATE")}}}
	d := Record(m, "sfsync.dlq", "sfsync-consumer", "apply", errors.New("value too long"), at)
	if d.Topic != "sfsync.dlq" || string(d.Key) != "k" || string(d.Value) != "v" {
		t.Fatalf("dead letter %s %q %q; want the original key and value in sfsync.dlq", d.Topic, d.Key, d.Value)
	}
	if d.Headers[0].Key != m.Headers[0].Key || string(d.Headers[0].Value) != string(m.Headers[0].Value) {
		t.Fatalf("first header %+v; want the original's own first", d.Headers[0])
	}
	h, err := deadletter.Parse(d.Headers)
	if err != nil {
		t.Fatal(err)
	}
	want := deadletter.Headers{Reason: "apply: value too long", Origin: deadletter.OriginConsumer, OriginTopic: "sfsync.account",
		OriginPartition: 3, OriginOffset: 1234, OriginPosition: true, Group: "sfsync-consumer", Time: at.UTC()}
	if h.Reason != want.Reason || h.Origin != want.Origin || h.OriginTopic != want.OriginTopic || h.OriginPartition != want.OriginPartition ||
		h.OriginOffset != want.OriginOffset || !h.OriginPosition || h.Group != want.Group || !h.Time.Equal(want.Time) {
		t.Fatalf("headers %+v, want %+v", h, want)
	}
	// The listing reads back what the builder wrote.
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	d.Partition, d.Offset = 0, 9
	got := describe(d, codec)
	if got.Origin() != "sfsync.account:3:1234" || got.Reason != want.Reason || !got.Time.Equal(at) || got.HeaderError != "" {
		t.Fatalf("described as %+v", got)
	}
	if len(m.Headers) != 1 {
		t.Fatalf("Record changed the original's headers: %d", len(m.Headers))
	}
}

func TestTrim(t *testing.T) {
	t.Parallel()
	m := kafka.Message{Topic: "sfsync.dlq", Key: []byte("key"), Value: make([]byte, 1000),
		Headers: []kafka.Header{{Key: deadletter.HeaderOriginTopic, Value: []byte("sfsync.account")}}}
	size := Size(m)
	if want := 3 + 1000 + len(deadletter.HeaderOriginTopic) + len("sfsync.account"); size != want {
		t.Fatalf("Size %d, want %d", size, want)
	}
	tr := Trim(m)
	if tr.Value != nil || len(m.Value) != 1000 || string(tr.Key) != "key" {
		t.Fatalf("trimmed value %d bytes, original %d; key %q", len(tr.Value), len(m.Value), tr.Key)
	}
	h, err := deadletter.Parse(tr.Headers)
	if err != nil {
		t.Fatal(err)
	}
	if h.Trimmed != deadletter.TrimmedValue || h.Size != size || h.OriginTopic != "sfsync.account" {
		t.Fatalf("trimmed headers %+v; want trimmed, size %d", h, size)
	}
}
