package refetch

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/reconciler/internal/source"
	"github.com/sfsync/sfsync/reconciler/internal/topictest"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/schemas/checkpoint"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// countingQuerier counts the queries it passes on.
type countingQuerier struct {
	source.Querier
	n atomic.Int64
}

func (q *countingQuerier) Query(ctx context.Context, s string, o rest.QueryOptions) (*rest.Rows, error) {
	q.n.Add(1)
	return q.Querier.Query(ctx, s, o)
}

func (q *countingQuerier) QueryAll(ctx context.Context, s string, o rest.QueryOptions) (*rest.Rows, error) {
	q.n.Add(1)
	return q.Querier.QueryAll(ctx, s, o)
}

// TestRefetch forwards GAP_* and GAP_OVERFLOW envelopes for records
// changed in unannounced transactions, and reconcile requests, and checks
// the SNAPSHOT and DELETE envelopes published, their versions, that the
// ids of one poll are read in few queries, that the reconcile callback
// gets the topic's objects, and that the offsets are committed.
func TestRefetch(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	s, err := sffake.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, err := mapping.Load(filepath.Join("..", "..", "..", "schemas", "mappings", "territory.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	acct := m.Object("Account")
	acct.KafkaTopic = k.Topic("account", 3)
	refetchTopic, requestTopic := k.Topic("refetch", 1), k.Topic("requests", 1)

	var ids []string
	for i := range 8 {
		id, err := s.Create("Account", map[string]any{"Name": fmt.Sprintf("Account %d", i), "Territory_Key__c": fmt.Sprintf("0MI00000000000%dAAA", i%2)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// Gaps: an update, a delete, a create, a delete then undelete, and an
	// id Salesforce does not know.
	const unknown = "001000000000999AAA"
	var created string
	gapCommit, err := s.Transact(func(tx *sffake.Tx) error {
		tx.Unannounced()
		if err := tx.Update(ids[0], map[string]any{"Name": "renamed"}); err != nil {
			return err
		}
		if err := tx.Delete(ids[1]); err != nil {
			return err
		}
		var err error
		if created, err = tx.Create("Account", map[string]any{"Name": "new"}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ids[2]); err != nil {
		t.Fatal(err)
	}
	if err := s.Undelete(ids[2]); err != nil {
		t.Fatal(err)
	}
	// Overflow: a transaction changing two records and deleting one.
	overflowCommit, err := s.Transact(func(tx *sffake.Tx) error {
		tx.Unannounced()
		if err := tx.UpdateMany([]string{ids[3], ids[4]}, map[string]any{"Rating": "Hot"}); err != nil {
			return err
		}
		if err := tx.Delete(ids[5]); err != nil {
			return err
		}
		return tx.Overflow("Account")
	})
	if err != nil {
		t.Fatal(err)
	}

	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	type gap struct {
		id string
		ct envelope.ChangeType
	}
	gaps := []gap{
		{ids[0], envelope.ChangeGapUpdate}, {ids[1], envelope.ChangeGapDelete}, {created, envelope.ChangeGapCreate},
		{ids[2], envelope.ChangeGapDelete}, {unknown, envelope.ChangeGapUpdate},
	}
	var msgs []kafka.Message
	for i, g := range gaps {
		e := envelope.Envelope{EventID: fmt.Sprintf("gap-%d", i), OrgID: s.OrgID(), Entity: "Account", RecordID: g.id,
			ChangeType: g.ct, CommitTimestamp: gapCommit.Timestamp, CommitNumber: gapCommit.CommitNumber, SequenceNumber: int32(i + 1)}
		msgs = append(msgs, encode(t, codec, refetchTopic, &e))
	}
	ov := envelope.Envelope{EventID: "overflow", OrgID: s.OrgID(), Entity: "Account", RecordID: pubsub.OverflowRecordID,
		ChangeType: envelope.ChangeGapOverflow, CommitTimestamp: overflowCommit.Timestamp, CommitNumber: overflowCommit.CommitNumber, SequenceNumber: 4}
	msgs = append(msgs, encode(t, codec, refetchTopic, &ov))
	bad := kafka.Message{Topic: refetchTopic, Key: []byte("x"), Value: []byte("not an envelope")}
	unmapped := envelope.Envelope{EventID: "u", Entity: "Contact", RecordID: "003000000000001AAA", ChangeType: envelope.ChangeGapUpdate, CommitNumber: 1}
	msgs = append(msgs, bad, encode(t, codec, refetchTopic, &unmapped))

	cpc, err := checkpoint.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	for _, cp := range []checkpoint.Checkpoint{
		{OrgID: s.OrgID(), Subscription: "/data/AccountChangeEvent", ReplayID: []byte{1}, ProducerID: "p", GapSuspected: true, GapReason: "replay id expired"},
		{OrgID: s.OrgID(), Subscription: "/data/AccountChangeEvent", ReplayID: []byte{2}, ProducerID: "p"},
		{OrgID: s.OrgID(), Subscription: "/data/Unmapped__ChangeEvent", ReplayID: []byte{2}, ProducerID: "p", GapSuspected: true, GapReason: "x"},
	} {
		v, err := cpc.Encode(nil, cp)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, kafka.Message{Topic: requestTopic, Key: []byte(cp.Key()), Value: v})
	}
	w := publish.NewWriter(k.Brokers, nil)
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}

	rc, err := rest.New(rest.Config{Credentials: rest.StaticCredentials(rest.Token{AccessToken: oauth.Secret(s.AccessToken()), InstanceURL: s.URL()})})
	if err != nil {
		t.Fatal(err)
	}
	q := &countingQuerier{Querier: rc}
	var mu sync.Mutex
	var calls [][]string
	var reasons []string
	group := k.Group("refetch")
	r, err := New(Config{
		Mapping: m, Source: &source.Reader{REST: q}, Publisher: publish.New(w, codec, s.OrgID(), "reconciler/refetch"),
		Codec: codec, Brokers: k.Brokers, GroupID: group, RefetchTopic: refetchTopic, ReconcileTopic: requestTopic,
		BatchWait: 2 * time.Second, RetryMin: 50 * time.Millisecond,
		Reconcile: func(_ context.Context, objs []*mapping.Object, reason string) error {
			mu.Lock()
			defer mu.Unlock()
			var names []string
			for _, o := range objs {
				names = append(names, o.Name)
			}
			calls = append(calls, names)
			reasons = append(reasons, reason)
			if len(calls) == 1 {
				return errors.New("salesforce unavailable") // retried
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()

	// Expected: the gap records at the gap version, and every record
	// modified at or after the overflow's commit time at its version.
	type want struct {
		ct  envelope.ChangeType
		ver publish.Version
	}
	expect := map[publish.Version]map[string]want{}
	add := func(v publish.Version, id string, ct envelope.ChangeType) {
		if expect[v] == nil {
			expect[v] = map[string]want{}
		}
		expect[v][id] = want{ct, v}
	}
	for i, g := range gaps {
		v := publish.Version{Commit: gapCommit.CommitNumber, Seq: int32(i + 1)}
		rec, ok := s.Record(g.id)
		switch {
		case !ok || rec.Deleted:
			add(v, g.id, envelope.ChangeDelete)
		default:
			add(v, g.id, envelope.ChangeSnapshot)
		}
	}
	ovVersion := publish.Version{Commit: overflowCommit.CommitNumber, Seq: 4}
	for _, rec := range s.Records("Account", true) {
		if ms := rec.Fields["SystemModstamp"].(time.Time); !ms.Before(overflowCommit.Timestamp) {
			ct := envelope.ChangeSnapshot
			if rec.Deleted {
				ct = envelope.ChangeDelete
			}
			add(ovVersion, rec.ID, ct)
		}
	}
	for _, id := range []string{ids[3], ids[4], ids[5]} {
		if _, ok := expect[ovVersion][id]; !ok {
			t.Fatalf("overflow expectations lack %s", id)
		}
	}
	n := 0
	for _, ids := range expect {
		n += len(ids)
	}

	var got []*envelope.Envelope
	for len(got) < n {
		if ctx.Err() != nil {
			t.Fatalf("%d of %d envelopes published", len(got), n)
		}
		time.Sleep(50 * time.Millisecond)
		got = got[:0]
		for _, msg := range topictest.All(t, k.Brokers, acct.KafkaTopic) {
			e, err := codec.Decode(msg.Value)
			if err != nil {
				t.Fatal(err)
			}
			if string(msg.Key) != e.PartitionKey {
				t.Errorf("%s: key %q, partition key %q", e.RecordID, msg.Key, e.PartitionKey)
			}
			got = append(got, e)
		}
	}
	if len(got) != n {
		t.Errorf("%d envelopes published, want %d", len(got), n)
	}
	for _, e := range got {
		v := publish.Version{Commit: e.CommitNumber, Seq: e.SequenceNumber}
		w, ok := expect[v][e.RecordID]
		if !ok {
			t.Errorf("unexpected %s %s at %v", e.ChangeType, e.RecordID, v)
			continue
		}
		if e.ChangeType != w.ct {
			t.Errorf("%s at %v: %s, want %s", e.RecordID, v, e.ChangeType, w.ct)
		}
		if e.ChangeType != envelope.ChangeSnapshot {
			continue
		}
		rec, _ := s.Record(e.RecordID)
		for _, f := range acct.Fields {
			want, err := source.Value(f.Type, rec.Fields[f.Name])
			if raw, ok := rec.Fields[f.Name].(time.Time); ok {
				want, err = envelope.DateTimeValue(raw), nil
			}
			if err != nil {
				t.Fatal(err)
			}
			if !e.Values[f.Name].Equal(want) {
				t.Errorf("%s %s: %v, want %v", e.RecordID, f.Name, e.Values[f.Name], want)
			}
		}
		if key, _ := rec.Fields["Territory_Key__c"].(string); key != "" && e.PartitionKey != key {
			t.Errorf("%s: partition key %q, want %q", e.RecordID, e.PartitionKey, key)
		}
	}
	if queries := q.n.Load(); queries > 3 {
		t.Errorf("%d queries for one poll of 5 gap ids and an overflow, want 2 (3 if the poll split)", queries)
	}

	// Offsets are committed once everything is published and the
	// reconcile callback has succeeded.
	client := k.Client()
	for {
		resp, err := client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{refetchTopic: {0}, requestTopic: {0}}})
		if err == nil && committed(resp, refetchTopic) == int64(len(gaps)+3) && committed(resp, requestTopic) == 3 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("offsets not committed: %+v, %v", resp, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	if len(calls) != 2 || !slices.Equal(calls[0], []string{"Account"}) || !slices.Equal(calls[1], []string{"Account"}) {
		t.Errorf("reconcile calls %v, want [Account] twice (one failure, one retry)", calls)
	}
	mu.Unlock()
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func committed(resp *kafka.OffsetFetchResponse, topic string) int64 {
	for _, p := range resp.Topics[topic] {
		if p.Partition == 0 {
			return p.CommittedOffset
		}
	}
	return -1
}

func encode(t *testing.T, codec *envelope.Codec, topic string, e *envelope.Envelope) kafka.Message {
	t.Helper()
	v, err := codec.Encode(nil, e)
	if err != nil {
		t.Fatal(err)
	}
	return kafka.Message{Topic: topic, Key: []byte(e.RecordID), Value: v}
}
