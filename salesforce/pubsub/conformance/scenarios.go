package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/pubsub"
)

func nowMillis() int64 { return time.Now().UnixMilli() }

// sharedScenarios leave the source usable and run in parallel.
var sharedScenarios = []scenario{
	{scenario: "GetTopic describes change event and platform event topics", spec: "1.9, 3.1, 8.3", run: func(t *harness) {
		ce, err := t.c.GetTopic(t.ctx, t.changeTopic())
		if err != nil || !ce.CanSubscribe || ce.SchemaID == "" || ce.RPCID == "" {
			t.t.Fatalf("GetTopic(%s) = %+v, %v", t.changeTopic(), ce, err)
		}
		pe, err := t.c.GetTopic(t.ctx, t.eventTopic())
		if err != nil || !pe.CanSubscribe || !pe.CanPublish || pe.SchemaID == "" {
			t.t.Fatalf("GetTopic(%s) = %+v, %v", t.eventTopic(), pe, err)
		}
	}},
	{scenario: "unknown topic is topic.not.found with trailers", spec: "1.6, 1.9, 8.2, 8.3", run: func(t *harness) {
		_, err := t.c.GetTopic(t.ctx, "/data/NoSuchObjectChangeEvent")
		_ = t.wantError(err, pubsub.ErrTopicNotFound, pubsub.CodeTopicNotFound)
		if pubsub.IsRetryable(err) {
			t.t.Fatal("topic.not.found is retryable")
		}
		var trailer metadata.MD
		_, err = t.raw.GetTopic(t.authCtx(), &eventbus.TopicRequest{TopicName: "/event/No_Such__e"}, grpcTrailer(&trailer))
		st, _ := status.FromError(err)
		t.wantWireError(st, trailer, codes.OK, pubsub.CodeTopicNotFound)
	}},
	{scenario: "invalid token is UNAUTHENTICATED service.auth.error", spec: "1.5, 8.2", run: func(t *harness) {
		tok, err := t.cfg.Credentials.Token(t.ctx)
		if err != nil {
			t.t.Fatal(err)
		}
		tok.AccessToken = "not-a-valid-token"
		var trailer metadata.MD
		_, err = t.raw.GetTopic(withToken(t.ctx, tok), &eventbus.TopicRequest{TopicName: t.eventTopic()}, grpcTrailer(&trailer))
		st, _ := status.FromError(err)
		t.wantWireError(st, trailer, codes.Unauthenticated, pubsub.CodeAuth)
	}},
	{scenario: "missing auth headers are UNAUTHENTICATED", spec: "1.5, 8.2", run: func(t *harness) {
		var trailer metadata.MD
		_, err := t.raw.GetTopic(t.ctx, &eventbus.TopicRequest{TopicName: t.eventTopic()}, grpcTrailer(&trailer))
		if st, _ := status.FromError(err); st.Code() != codes.Unauthenticated {
			t.t.Fatalf("status %v, want UNAUTHENTICATED", err)
		}
		if got := trailer.Get("error-code"); len(got) != 1 || !bytes.HasPrefix([]byte(got[0]), []byte(pubsub.ErrorCodePrefix+"service.auth.")) {
			t.t.Fatalf("error-code %q, want service.auth.*", got)
		}
	}},
	{scenario: "GetSchema returns the writer schema by id", spec: "1.9, 2.3, 8.4", run: func(t *harness) {
		top, err := t.c.GetTopic(t.ctx, t.changeTopic())
		if err != nil {
			t.t.Fatal(err)
		}
		s, err := t.c.GetSchema(t.ctx, top.SchemaID)
		if err != nil {
			t.t.Fatal(err)
		}
		var rec struct {
			Namespace string `json:"namespace"`
			Fields    []struct {
				Name    string          `json:"name"`
				Type    json.RawMessage `json:"type"`
				Default json.RawMessage `json:"default"`
			} `json:"fields"`
		}
		if err := json.Unmarshal([]byte(s.JSON), &rec); err != nil {
			t.t.Fatal(err)
		}
		if rec.Namespace != "com.sforce.eventbus" || !s.ChangeEvent || rec.Fields[0].Name != "ChangeEventHeader" {
			t.t.Fatalf("schema namespace %q, field 0 %q: want com.sforce.eventbus and ChangeEventHeader", rec.Namespace, rec.Fields[0].Name)
		}
		for _, f := range rec.Fields[1:] {
			if !bytes.HasPrefix(f.Type, []byte(`["null"`)) || string(f.Default) != "null" {
				t.t.Fatalf("body field %s: type %s default %s, want a nullable union defaulting to null", f.Name, f.Type, f.Default)
			}
		}
		if _, err := t.c.GetSchema(t.ctx, "no-such-schema-id"); err == nil || pubsub.IsRetryable(err) {
			t.t.Fatalf("GetSchema of an unknown id: %v, want a non-retryable error", err)
		}
	}},
	{scenario: "flow control delivers no more than requested and reports pending_num_requested", spec: "1.7.2, 8.5", run: func(t *harness) {
		t.publish(5)
		st := t.rawSubscribe(t.authCtx(), &eventbus.FetchRequest{TopicName: t.eventTopic(), ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 3})
		wantRaw(t, st, 3, 3)
		if err := st.Send(&eventbus.FetchRequest{TopicName: t.eventTopic(), NumRequested: 1}); err != nil {
			t.t.Fatal(err)
		}
		wantRaw(t, st, 1, 1)
	}},
	{scenario: "requests are capped at 100 outstanding", spec: "1.7.2, 8.5", run: func(t *harness) {
		t.publish(120)
		// One request for 500 is a request for 100.
		st := t.rawSubscribe(t.authCtx(), &eventbus.FetchRequest{TopicName: t.eventTopic(), ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 500})
		wantRaw(t, st, 100, 100)
		// The cap spans requests: 70 then 80 never make more than 100
		// outstanding, whatever goes out between them.
		for _, n := range []int32{70, 80} {
			if err := st.Send(&eventbus.FetchRequest{TopicName: t.eventTopic(), NumRequested: n}); err != nil {
				t.t.Fatal(err)
			}
		}
		r, err := st.Recv()
		if err != nil {
			t.t.Fatal(err)
		}
		if p := int(r.GetPendingNumRequested()); p+len(r.GetEvents()) > 100 {
			t.t.Fatalf("a response with %d events left %d pending: over the cap of 100", len(r.GetEvents()), p)
		}
	}},
	{scenario: "keepalive carries latest_replay_id and the pending count", spec: "1.7.3, 8.5", run: func(t *harness) {
		if !t.f.FastKeepalive {
			t.t.Skip("NOT RUN: Features.FastKeepalive is false")
		}
		st := t.rawSubscribe(t.authCtx(), &eventbus.FetchRequest{TopicName: t.eventTopic(), NumRequested: 10})
		for {
			r, err := st.Recv()
			if err != nil {
				t.t.Fatal(err)
			}
			if n := len(r.GetEvents()); n > 0 {
				// Other scenarios publish here; keep the counter up.
				if err := st.Send(&eventbus.FetchRequest{TopicName: t.eventTopic(), NumRequested: int32(n)}); err != nil {
					t.t.Fatal(err)
				}
			} else {
				if len(r.GetLatestReplayId()) == 0 || r.GetPendingNumRequested() <= 0 {
					t.t.Fatalf("keepalive %v: want latest_replay_id and pending_num_requested", r)
				}
				return
			}
		}
	}},
	{scenario: "LATEST delivers only events published after subscribing", spec: "1.7.4, 8.5", run: func(t *harness) {
		if !t.f.FastKeepalive {
			t.t.Skip("NOT RUN: needs Features.FastKeepalive to know the subscription is established")
		}
		before := t.publish(1)[0]
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.eventTopic(), Preset: pubsub.Latest})
		if ev, err := sub.Next(t.ctx); err != nil || !ev.Keepalive && t.mine(ev) {
			t.t.Fatalf("first Next = %+v, %v: want a keepalive", ev, err)
		}
		after := t.publish(1)[0]
		ev := t.until(sub, t.mine)
		if ev.ID != after.CorrelationKey || ev.ID == before.CorrelationKey {
			t.t.Fatalf("got %s, want only %s published after subscribing", ev.ID, after.CorrelationKey)
		}
	}},
	{scenario: "EARLIEST replays retained events", spec: "1.7.4, 8.5", run: func(t *harness) {
		res := t.publish(1)
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.eventTopic(), Preset: pubsub.Earliest})
		if ev := t.until(sub, t.mine); ev.ID != res[0].CorrelationKey || !bytes.Equal(ev.ReplayID, res[0].ReplayID) {
			t.t.Fatalf("got %s %x, want %s %x", ev.ID, ev.ReplayID, res[0].CorrelationKey, res[0].ReplayID)
		}
	}},
	{scenario: "CUSTOM resumes strictly after the replay id", spec: "1.7.4, 8.5", run: func(t *harness) {
		res := t.publish(3)
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.eventTopic(), Preset: pubsub.Custom, ReplayID: res[0].ReplayID})
		for _, want := range res[1:] {
			ev := t.until(sub, t.mine)
			if ev.ID != want.CorrelationKey {
				t.t.Fatalf("got %s, want %s (the event at the replay id must not be redelivered)", ev.ID, want.CorrelationKey)
			}
		}
	}},
	{scenario: "malformed CUSTOM replay id is replayid.corrupted", spec: "1.7.4, 1.7.6, 8.5", run: func(t *harness) {
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.eventTopic(), Preset: pubsub.Custom, ReplayID: []byte{0xde, 0xad}})
		err := t.failure(sub)
		e := t.wantError(err, pubsub.ErrReplayIDCorrupted, pubsub.CodeReplayIDCorrupted)
		if e.Code != codes.InvalidArgument || pubsub.IsRetryable(err) {
			t.t.Fatalf("err %v: want INVALID_ARGUMENT, not retryable", err)
		}
	}},
	{scenario: "CUSTOM without replay id is replayid.validation.failed", spec: "1.7.4, 8.5", run: func(t *harness) {
		st := t.rawSubscribe(t.authCtx(), &eventbus.FetchRequest{TopicName: t.eventTopic(), ReplayPreset: eventbus.ReplayPreset_CUSTOM, NumRequested: 1})
		s, tr := t.rawError(st)
		t.wantWireError(s, tr, codes.InvalidArgument, pubsub.CodeReplayIDValidation)
	}},
	{scenario: "num_requested of zero is requested.events.invalid", spec: "1.6, 8.5", run: func(t *harness) {
		st := t.rawSubscribe(t.authCtx(), &eventbus.FetchRequest{TopicName: t.eventTopic(), NumRequested: 0})
		s, tr := t.rawError(st)
		t.wantWireError(s, tr, codes.InvalidArgument, pubsub.CodeRequestedEventsInvalid)
	}},
	{scenario: "another topic within a stream is topic.mismatch", spec: "1.7.1, 8.5", run: func(t *harness) {
		st := t.rawSubscribe(t.authCtx(), &eventbus.FetchRequest{TopicName: t.eventTopic(), NumRequested: 1})
		if err := st.Send(&eventbus.FetchRequest{TopicName: t.changeTopic(), NumRequested: 1}); err != nil {
			t.t.Fatal(err)
		}
		s, tr := t.rawError(st)
		t.wantWireError(s, tr, codes.InvalidArgument, "subscription.fetch.topic.mismatch")
	}},
	{scenario: "record writes produce change events with headers and bitmaps", spec: "2.3, 2.4, 8.7", run: func(t *harness) {
		w := need[RecordWriter](t, "RecordWriter")
		obj := t.f.ChangeEventObject
		id := w.Create(t.t, obj, map[string]any{"Name": "Conformance " + t.marker, "Phone": "555-0100", "BillingCity": "Paris"})
		w.Update(t.t, id, map[string]any{"Fax": "555-0199"})
		w.Update(t.t, id, map[string]any{"BillingCity": "Lyon", "BillingState": "ARA"})
		w.Update(t.t, id, map[string]any{"Phone": nil})
		w.Delete(t.t, id)
		w.Undelete(t.t, id)
		steps := []struct {
			typ             pubsub.ChangeType
			changed, nulled []string
		}{
			{typ: pubsub.Create},
			{typ: pubsub.Update, changed: []string{"Fax", "LastModifiedDate"}},
			{typ: pubsub.Update, changed: []string{"BillingAddress.City", "BillingAddress.State", "LastModifiedDate"}},
			{typ: pubsub.Update, changed: []string{"Phone", "LastModifiedDate"}, nulled: []string{"Phone"}},
			{typ: pubsub.Delete},
			{typ: pubsub.Undelete},
		}
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.changeTopic(), Preset: pubsub.Earliest})
		var prev *pubsub.ChangeEventHeader
		for i, want := range steps {
			ev := t.until(sub, func(ev pubsub.Event) bool { return ev.Header != nil && slices.Contains(ev.Header.RecordIDs, id) })
			h := ev.Header
			if ev.DecodeErr != nil || h.ChangeType != want.typ || h.EntityName != obj || !slices.Equal(h.RecordIDs, []string{id}) {
				t.t.Fatalf("step %d: %+v (%v), want %s of %s", i, h, ev.DecodeErr, want.typ, id)
			}
			if !slices.Equal(h.ChangedFields, want.changed) || !slices.Equal(h.NulledFields, want.nulled) {
				t.t.Fatalf("step %d %s: changed %v nulled %v, want %v %v", i, want.typ, h.ChangedFields, h.NulledFields, want.changed, want.nulled)
			}
			if h.TransactionKey == "" || h.SequenceNumber < 1 || h.CommitUser == "" || h.CommitTimestamp.IsZero() {
				t.t.Fatalf("step %d: incomplete header %+v", i, h)
			}
			if prev != nil && h.CommitNumber <= prev.CommitNumber {
				t.t.Fatalf("step %d: commitNumber %d not after %d", i, h.CommitNumber, prev.CommitNumber)
			}
			if want.typ == pubsub.Delete {
				for k, v := range ev.Record {
					if k != "ChangeEventHeader" && v != nil {
						t.t.Fatalf("DELETE body %s = %v, want null", k, v)
					}
				}
			}
			prev = h
		}
	}},
	{scenario: "one change to several records is one merged event", spec: "2.3.2, 3.4, 8.7", run: func(t *harness) {
		w := need[RecordWriter](t, "RecordWriter")
		m := need[MergedWriter](t, "MergedWriter")
		a := w.Create(t.t, t.f.ChangeEventObject, map[string]any{"Name": "A " + t.marker})
		b := w.Create(t.t, t.f.ChangeEventObject, map[string]any{"Name": "B " + t.marker})
		m.UpdateMany(t.t, []string{a, b}, map[string]any{"Rating": "Hot"})
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.changeTopic(), Preset: pubsub.Earliest})
		ev := t.until(sub, func(ev pubsub.Event) bool {
			return ev.Header != nil && ev.Header.ChangeType == pubsub.Update && slices.Contains(ev.Header.RecordIDs, a)
		})
		if ids := ev.Header.RecordIDs; len(ids) != 2 || !slices.Contains(ids, b) {
			t.t.Fatalf("recordIds %v, want %s and %s", ids, a, b)
		}
		if unwrap(ev.Record["Rating"]) != "Hot" {
			t.t.Fatalf("Rating = %v", ev.Record["Rating"])
		}
	}},
	{scenario: "a transaction's events share a key and number their sequence", spec: "2.3.2, 3.4, 8.7", run: func(t *harness) {
		m := need[MergedWriter](t, "MergedWriter")
		ids := m.CreateMany(t.t, t.f.ChangeEventObject, []map[string]any{{"Name": "T1 " + t.marker}, {"Name": "T2 " + t.marker}, {"Name": "T3 " + t.marker}})
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.changeTopic(), Preset: pubsub.Earliest})
		var key string
		for i, id := range ids {
			ev := t.until(sub, func(ev pubsub.Event) bool { return ev.Header != nil && slices.Contains(ev.Header.RecordIDs, id) })
			if ev.Header.SequenceNumber != i+1 || (key != "" && ev.Header.TransactionKey != key) {
				t.t.Fatalf("event %d: sequence %d key %q, want %d and key %q", i, ev.Header.SequenceNumber, ev.Header.TransactionKey, i+1, key)
			}
			key = ev.Header.TransactionKey
		}
	}},
	{scenario: "gap events name the records and carry no body", spec: "3.2, 8.7", run: func(t *harness) {
		w := need[RecordWriter](t, "RecordWriter")
		g := need[GapEmitter](t, "GapEmitter")
		id := w.Create(t.t, t.f.ChangeEventObject, map[string]any{"Name": "Gap " + t.marker})
		g.EmitGap(t.t, t.f.ChangeEventObject, string(pubsub.GapUpdate), id)
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.changeTopic(), Preset: pubsub.Earliest})
		ev := t.until(sub, func(ev pubsub.Event) bool {
			return ev.Header != nil && ev.Header.ChangeType.Gap() && slices.Contains(ev.Header.RecordIDs, id)
		})
		if ev.Header.ChangeType != pubsub.GapUpdate || ev.Header.CommitNumber == 0 || ev.Header.TransactionKey == "" {
			t.t.Fatalf("gap header %+v", ev.Header)
		}
		for k, v := range ev.Record {
			if k != "ChangeEventHeader" && v != nil {
				t.t.Fatalf("gap body %s = %v, want null", k, v)
			}
		}
	}},
	{scenario: "overflow event has the empty record id", spec: "3.3, 8.7", run: func(t *harness) {
		g := need[GapEmitter](t, "GapEmitter")
		g.EmitOverflow(t.t, t.f.ChangeEventObject)
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.changeTopic(), Preset: pubsub.Earliest})
		ev := t.until(sub, func(ev pubsub.Event) bool { return ev.Header != nil && ev.Header.ChangeType == pubsub.GapOverflow })
		if !slices.Equal(ev.Header.RecordIDs, []string{pubsub.OverflowRecordID}) || ev.Header.EntityName != t.f.ChangeEventObject {
			t.t.Fatalf("overflow header %+v", ev.Header)
		}
	}},
	{scenario: "platform events publish with correlation keys and arrive decoded", spec: "1.8, 2.2, 8.8", run: func(t *harness) {
		res := t.publish(2)
		for _, r := range res {
			if r.CorrelationKey == "" || len(r.ReplayID) == 0 {
				t.t.Fatalf("result %+v: want a correlation key and a replay id", r)
			}
		}
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.eventTopic(), Preset: pubsub.Earliest})
		for i, r := range res {
			ev := t.until(sub, t.mine)
			if ev.ID != r.CorrelationKey || ev.DecodeErr != nil || unwrap(ev.Record[t.f.PlatformEventField]) != t.marker+"-"+string(rune('0'+i)) {
				t.t.Fatalf("event %d = %+v, want %s", i, ev, r.CorrelationKey)
			}
		}
	}},
	{scenario: "undecodable payloads are delivered as is", spec: "1.8, 8.8", run: func(t *harness) {
		garbage := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01}
		res, err := t.c.Publish(t.ctx, t.eventTopic(), pubsub.ProducerEvent{ID: t.marker, Payload: garbage})
		if err != nil || res[0].Err != nil {
			t.t.Fatalf("publish garbage: %v %v", err, res)
		}
		good := t.publish(1)[0]
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.eventTopic(), Preset: pubsub.Earliest})
		ev := t.until(sub, func(ev pubsub.Event) bool { return ev.ID == t.marker || t.mine(ev) })
		if ev.ID != t.marker || !errors.Is(ev.DecodeErr, pubsub.ErrDecode) || !bytes.Equal(ev.Payload, garbage) {
			t.t.Fatalf("event %+v: want the garbage payload with a DecodeErr", ev)
		}
		if ev := t.until(sub, t.mine); ev.ID != good.CorrelationKey {
			t.t.Fatalf("after the garbage got %s, want %s", ev.ID, good.CorrelationKey)
		}
	}},
}

// wantRaw receives until n events arrived, checking that every response
// reports pending_num_requested = requested − received so far and that
// no more than n arrive.
func wantRaw(t *harness, st eventbus.PubSub_SubscribeClient, requested, n int) {
	t.t.Helper()
	got := 0
	for got < n {
		r, err := st.Recv()
		if err != nil {
			t.t.Fatalf("Recv after %d of %d: %v", got, n, err)
		}
		got += len(r.GetEvents())
		if got > n {
			t.t.Fatalf("received %d events, requested %d", got, n)
		}
		if p := int(r.GetPendingNumRequested()); p != requested-got {
			t.t.Fatalf("pending_num_requested %d after %d of %d", p, got, requested)
		}
	}
}

// disruptiveScenarios affect every stream or the retention of the source
// and run one at a time after the shared ones.
var disruptiveScenarios = []scenario{
	{scenario: "replay id older than the retention window is replayid.corrupted", spec: "1.7.4, 8.6", run: func(t *harness) {
		r := need[Retention](t, "Retention")
		res := t.publish(1)
		r.Purge(t.t)
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.eventTopic(), Preset: pubsub.Custom, ReplayID: res[0].ReplayID})
		_ = t.wantError(t.failure(sub), pubsub.ErrReplayIDCorrupted, pubsub.CodeReplayIDCorrupted)
	}},
	{scenario: "revoked token fails new calls with service.auth.error", spec: "1.5, 8.2", run: func(t *harness) {
		rv := need[TokenRevoker](t, "TokenRevoker")
		tok := rv.NewToken(t.t)
		ctx := withToken(t.ctx, tok)
		if _, err := t.raw.GetTopic(ctx, &eventbus.TopicRequest{TopicName: t.eventTopic()}); err != nil {
			t.t.Fatalf("GetTopic with the new token: %v", err)
		}
		rv.Revoke(t.t, tok)
		var trailer metadata.MD
		_, err := t.raw.GetTopic(ctx, &eventbus.TopicRequest{TopicName: t.eventTopic()}, grpcTrailer(&trailer))
		st, _ := status.FromError(err)
		t.wantWireError(st, trailer, codes.Unauthenticated, pubsub.CodeAuth)
	}},
	{scenario: "a dropped stream is a retryable transport error", spec: "1.6, 8.7", run: func(t *harness) {
		f := need[StreamFaults](t, "StreamFaults")
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.eventTopic()})
		establish(t, sub)
		f.DropStreams(t.t)
		err := t.failure(sub)
		e := t.wantError(err, nil, "")
		if e.Code != codes.Unavailable || !pubsub.IsRetryable(err) {
			t.t.Fatalf("err %v: want a retryable UNAVAILABLE", err)
		}
	}},
	{scenario: "a stalled stream trips the client watchdog", spec: "1.7.3, 6.4, 8.7", run: func(t *harness) {
		f := need[StreamFaults](t, "StreamFaults")
		if !t.f.FastKeepalive {
			t.t.Skip("NOT RUN: needs Features.FastKeepalive for a short stall timeout")
		}
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.eventTopic(), StallTimeout: 500 * time.Millisecond})
		establish(t, sub)
		f.StallStreams(t.t)
		if err := t.failure(sub); !errors.Is(err, pubsub.ErrStalled) || !pubsub.IsRetryable(err) {
			t.t.Fatalf("err %v, want a retryable ErrStalled", err)
		}
	}},
	{scenario: "exhausted delivery allocation is subscription.limit.exceeded", spec: "1.6, 8.7", run: func(t *harness) {
		a := need[AllocationExhauster](t, "AllocationExhauster")
		a.ExhaustAllocation(t.t)
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.eventTopic(), Preset: pubsub.Earliest})
		err := t.failure(sub)
		_ = t.wantError(err, pubsub.ErrAllocationExceeded, pubsub.CodeAllocationExceeded)
		if pubsub.IsRetryable(err) {
			t.t.Fatal("allocation exceeded is retryable")
		}
	}},
	{scenario: "duplicates carry the same replay id and event id", spec: "3.4, 8.7", run: func(t *harness) {
		d := need[Duplicator](t, "Duplicator")
		sub := t.subscribe(pubsub.SubscribeRequest{Topic: t.eventTopic()})
		establish(t, sub)
		d.DuplicateNext(t.t, 1)
		res := t.publish(2)
		var got []pubsub.Event
		for len(got) < 3 {
			got = append(got, t.until(sub, t.mine))
		}
		first, copied, second := got[0], got[1], got[2]
		if first.ID != res[0].CorrelationKey || copied.ID != first.ID || !bytes.Equal(copied.ReplayID, first.ReplayID) ||
			!bytes.Equal(copied.Payload, first.Payload) || copied.SchemaID != first.SchemaID {
			t.t.Fatalf("first %s %x, copy %s %x: want the same event twice", first.ID, first.ReplayID, copied.ID, copied.ReplayID)
		}
		if second.ID != res[1].CorrelationKey || bytes.Equal(second.ReplayID, first.ReplayID) {
			t.t.Fatalf("after the copy got %s %x, want %s", second.ID, second.ReplayID, res[1].CorrelationKey)
		}
	}},
	{scenario: "schema change keeps old schema ids resolvable", spec: "1.9, 8.4, 8.7", run: func(t *harness) {
		sc := need[SchemaChanger](t, "SchemaChanger")
		before, err := t.c.GetTopic(t.ctx, t.changeTopic())
		if err != nil {
			t.t.Fatal(err)
		}
		sc.AddField(t.t, t.f.ChangeEventObject, "Conformance_"+t.marker[:8]+"__c")
		after, err := t.c.GetTopic(t.ctx, t.changeTopic())
		if err != nil {
			t.t.Fatal(err)
		}
		if after.SchemaID == before.SchemaID {
			t.t.Fatal("schema id unchanged after adding a field")
		}
		// A fresh client has no cache: the old id must still resolve.
		c, err := pubsub.Dial(t.ctx, t.cfg)
		if err != nil {
			t.t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.GetSchema(t.ctx, before.SchemaID); err != nil {
			t.t.Fatalf("old schema %s: %v", before.SchemaID, err)
		}
	}},
}

// establish waits until the subscription is known to be open on the
// server: its first keepalive, or with slow keepalives, a published
// event.
func establish(t *harness, sub *pubsub.Subscription) {
	t.t.Helper()
	if !t.f.FastKeepalive {
		t.publish(1)
		t.until(sub, t.mine)
		return
	}
	for {
		ev, err := sub.Next(t.ctx)
		if err != nil {
			t.t.Fatal(err)
		}
		if ev.Keepalive {
			return
		}
	}
}
