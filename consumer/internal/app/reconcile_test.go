package app

import (
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/pipeline"
	"github.com/sfsync/sfsync/schemas/checkpoint"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

const reconcileMapping = `version: 1
objects:
  Account:
    table: account
    kafka_topic: sfsync.territory
    fields:
      Id: varchar(18)
  Territory2:
    table: territory
    kafka_topic: sfsync.territory
    fields:
      Id: varchar(18)
  Contact:
    table: contact
    kafka_topic: sfsync.contact
    fields:
      Id: varchar(18)
`

// TestReconcileRequests checks that a loss becomes the producer's kind of
// reconcile request, one per Pub/Sub topic of the lost Kafka topic's
// objects, naming the org of the record after the loss (or "unknown").
func TestReconcileRequests(t *testing.T) {
	t.Parallel()
	m, err := mapping.Parse("mapping.yaml", []byte(reconcileMapping))
	if err != nil {
		t.Fatal(err)
	}
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	next, err := codec.Encode(nil, &envelope.Envelope{EventID: "e1", OrgID: "00D000000000001AAA", Entity: "Account",
		RecordID: "001000000000001AAA", ChangeType: envelope.ChangeUpdate, CommitNumber: 1,
		CommitTimestamp: time.Now().UTC().Truncate(time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	cps, err := checkpoint.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		scenario string
		loss     pipeline.Loss
		wantOrg  string
		wantSubs []string
	}{
		{scenario: "two objects on one topic, next record known",
			loss:    pipeline.Loss{Topic: "sfsync.territory", Partition: 3, From: 10, To: 25, Next: &kafka.Message{Value: next}},
			wantOrg: "00D000000000001AAA", wantSubs: []string{"/data/AccountChangeEvent", "/data/Territory2ChangeEvent"}},
		{scenario: "nothing after the loss",
			loss:    pipeline.Loss{Topic: "sfsync.contact", Partition: 0, From: 0, To: 1},
			wantOrg: unknownOrg, wantSubs: []string{"/data/ContactChangeEvent"}},
		{scenario: "a topic no object streams", loss: pipeline.Loss{Topic: "other", To: 1}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			msgs, err := reconcileRequests(m, codec, "consumer g h/1", tc.loss, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != len(tc.wantSubs) {
				t.Fatalf("%d requests, want %d", len(msgs), len(tc.wantSubs))
			}
			for i, msg := range msgs {
				cp, err := cps.Decode(msg.Value)
				if err != nil {
					t.Fatal(err)
				}
				if cp.Subscription != tc.wantSubs[i] || cp.OrgID != tc.wantOrg || !cp.GapSuspected || cp.ProducerID != "consumer g h/1" {
					t.Errorf("request %d: %+v; want subscription %s of org %s, gap suspected", i, cp, tc.wantSubs[i], tc.wantOrg)
				}
				if string(msg.Key) != cp.Key() {
					t.Errorf("key %q, want %q", msg.Key, cp.Key())
				}
				for _, want := range []string{tc.loss.Topic, "retention"} {
					if !strings.Contains(cp.GapReason, want) {
						t.Errorf("reason %q lacks %q", cp.GapReason, want)
					}
				}
			}
		})
	}
}
