package publish

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// TestPublish writes a SNAPSHOT and a DELETE through two publishers to
// real Kafka and reads them back: full values with the key, the partition
// key as the record key, the version, and event ids that differ between
// publishers, so the consumer's duplicate filter never drops a later run.
func TestPublish(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	topic := k.Topic("account", 3)
	obj, codec, w := setup(t, k, topic, "    partition_key: Territory_Key__c\n    fields:\n      Id: varchar(18)\n      Name: text\n      Territory_Key__c: varchar(18)\n")
	ctx := context.Background()
	values := map[string]envelope.Value{"Name": envelope.StringValue("Acme"), "Territory_Key__c": envelope.StringValue("0MI000000000001AAA")}
	for _, p := range []*Publisher{New(w, codec, "00D", "reconciler/test"), New(w, codec, "00D", "reconciler/test")} {
		err := p.Publish(ctx, []Change{
			{Object: obj, RecordID: "001000000000001AAA", Type: envelope.ChangeSnapshot, Values: values, Version: Version{Commit: 7, Seq: 2}, Modstamp: time.Unix(1, 0)},
			{Object: obj, RecordID: "001000000000002AAA", Type: envelope.ChangeDelete, PartitionKey: "0MI000000000002AAA", Version: BaseVersion},
		})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // two publishers of one nanosecond would share a run id
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: k.Brokers, Topic: topic, GroupID: k.Group("read")})
	defer r.Close()
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ids := map[string]bool{}
	for range 4 {
		msg, err := r.ReadMessage(rctx)
		if err != nil {
			t.Fatal(err)
		}
		e, err := codec.Decode(msg.Value)
		if err != nil {
			t.Fatal(err)
		}
		ids[e.EventID] = true
		switch e.ChangeType {
		case envelope.ChangeSnapshot:
			if string(msg.Key) != "0MI000000000001AAA" || e.CommitNumber != 7 || e.SequenceNumber != 2 {
				t.Errorf("snapshot key %s version %d.%d", msg.Key, e.CommitNumber, e.SequenceNumber)
			}
			if id, _ := e.Values["Id"].AsString(); id != "001000000000001AAA" {
				t.Errorf("snapshot without its key value: %v", e.Values)
			}
		case envelope.ChangeDelete:
			if string(msg.Key) != "0MI000000000002AAA" || len(e.Values) != 0 {
				t.Errorf("delete key %s values %v", msg.Key, e.Values)
			}
		}
	}
	if len(ids) != 4 {
		t.Fatalf("event ids %v: want 4 distinct (two publishers, two changes each)", ids)
	}
}

// TestPublishTooLarge checks that an envelope larger than its topic's
// max.message.bytes is skipped and reported, and the others of its batch
// are written, rather than the batch failing on every retry.
func TestPublishTooLarge(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	topic := k.Topic("account", 1)
	k.SetTopicConfig(topic, "max.message.bytes", "65536")
	obj, codec, w := setup(t, k, topic, "    fields:\n      Id: varchar(18)\n      Name: text\n")
	p := New(w, codec, "00D", "reconciler/test")
	var skipped []string
	p.OnTooLarge = func(c Change, bytes int) {
		if bytes <= 65536 {
			t.Errorf("%s reported too large at %d bytes", c.RecordID, bytes)
		}
		skipped = append(skipped, c.RecordID)
	}
	change := func(id string, name string) Change {
		return Change{Object: obj, RecordID: id, Type: envelope.ChangeSnapshot, Version: BaseVersion, Modstamp: time.Unix(1, 0),
			Values: map[string]envelope.Value{"Name": envelope.StringValue(name)}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	big := strings.Repeat("x", 100_000)
	if err := p.Publish(ctx, []Change{change("001000000000001AAA", "small"), change("001000000000002AAA", big), change("001000000000003AAA", "small too")}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if len(skipped) != 1 || skipped[0] != "001000000000002AAA" {
		t.Fatalf("skipped %v, want the big record alone", skipped)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: k.Brokers, Topic: topic, GroupID: k.Group("read")})
	defer r.Close()
	got := map[string]bool{}
	for range 2 {
		msg, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e, err := codec.Decode(msg.Value)
		if err != nil {
			t.Fatal(err)
		}
		got[e.RecordID] = true
	}
	if !got["001000000000001AAA"] || !got["001000000000003AAA"] {
		t.Fatalf("read %v, want both small records", got)
	}
}

// setup returns the Account object of a mapping that streams it to topic
// with the given lines (its fields), a codec, and a writer to k closed
// when t ends.
func setup(t *testing.T, k *harness.Kafka, topic, lines string) (*mapping.Object, *envelope.Codec, *kafka.Writer) {
	t.Helper()
	m, err := mapping.Parse("m.yaml", []byte("version: 1\nobjects:\n  Account:\n    kafka_topic: "+topic+"\n"+lines))
	if err != nil {
		t.Fatal(err)
	}
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(k.Brokers, nil)
	t.Cleanup(func() { _ = w.Close() })
	return m.Objects[0], codec, w
}

func TestNewest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		base     Version
		versions string
		want     Version
		fails    bool
	}{
		{scenario: "no column", base: Version{Commit: 5, Seq: 1}, want: Version{Commit: 5, Seq: 1}},
		{scenario: "empty object", base: Version{Commit: 5}, versions: "{}", want: Version{Commit: 5}},
		{scenario: "newer cell", base: Version{Commit: 5, Seq: 1}, versions: `{"A":[5,2],"B":[4,9]}`, want: Version{Commit: 5, Seq: 2}},
		{scenario: "older cells", base: Version{Commit: 7}, versions: `{"A":[6,9]}`, want: Version{Commit: 7}},
		{scenario: "not json", versions: "[", fails: true},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			got, err := Newest(tc.base, []byte(tc.versions))
			if tc.fails {
				if err == nil {
					t.Fatalf("Newest = %v, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Newest = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
