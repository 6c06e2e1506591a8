package replay

import (
	"bytes"
	"testing"

	"github.com/sfsync/sfsync/schemas/checkpoint"
)

// TestReconcileRequestRecord: a request goes to the reconcile topic as a
// checkpoint of its subscription flagged GapSuspected, keyed
// "<org id>|<subscription>", which the reconciler decodes back.
func TestReconcileRequestRecord(t *testing.T) {
	t.Parallel()
	id := []byte{0, 1, 2}
	r := NewReconcileRequest("/data/AccountChangeEvent", id, "stored replay id refused")
	id[0] = 9 // the request holds its own copy
	if r.Time.IsZero() || !bytes.Equal(r.ReplayID, []byte{0, 1, 2}) {
		t.Fatalf("request %+v", r)
	}
	q, err := NewRequests(RequestsConfig{Brokers: []string{"127.0.0.1:1"}, Topic: "sfsync.reconcile-requests", OrgID: "00Dorg", ProducerID: "host/1"})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	msg, err := q.message(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(msg.Key) != "00Dorg|/data/AccountChangeEvent" || msg.Topic != "" || len(msg.Headers) != 0 {
		t.Errorf("record key %q topic %q headers %v", msg.Key, msg.Topic, msg.Headers)
	}
	codec, err := checkpoint.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	got, err := codec.Decode(msg.Value)
	if err != nil {
		t.Fatal(err)
	}
	want := checkpoint.Checkpoint{
		OrgID: "00Dorg", Subscription: "/data/AccountChangeEvent", ReplayID: []byte{0, 1, 2}, UpdatedAt: r.Time,
		ProducerID: "host/1", GapSuspected: true, GapReason: "stored replay id refused",
	}
	if got.OrgID != want.OrgID || got.Subscription != want.Subscription || !bytes.Equal(got.ReplayID, want.ReplayID) ||
		!got.UpdatedAt.Equal(want.UpdatedAt.Truncate(1e6)) || got.ProducerID != want.ProducerID || !got.GapSuspected || got.GapReason != want.GapReason {
		t.Errorf("decoded %+v, want %+v", got, want)
	}
}

func TestNewRequestsNeedsBrokersAndTopic(t *testing.T) {
	t.Parallel()
	for _, cfg := range []RequestsConfig{{Topic: "t"}, {Brokers: []string{"127.0.0.1:1"}}} {
		if _, err := NewRequests(cfg); err == nil {
			t.Errorf("NewRequests(%+v) = nil error", cfg)
		}
	}
}
