package pubsub_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

func TestDecodeChangeEvents(t *testing.T) {
	t.Parallel()
	type want struct {
		changeType      pubsub.ChangeType
		records         int // number of record ids
		changed, nulled []string
		body            map[string]any // body fields with their unwrapped values
	}
	tests := []struct {
		scenario string
		// write makes the change; it returns the ids the event must name.
		write func(t *testing.T, s *sffake.Server, id string) []string
		want  []want
	}{
		{scenario: "create", write: func(*testing.T, *sffake.Server, string) []string { return nil },
			want: []want{{changeType: pubsub.Create, records: 1, body: map[string]any{"Name": "Acme"}}}},
		{scenario: "update one field", write: func(t *testing.T, s *sffake.Server, id string) []string {
			must(t, s.Update(id, map[string]any{"Fax": "555-0199"}))
			return []string{id}
		}, want: []want{{changeType: pubsub.Update, records: 1, changed: []string{"Fax", "LastModifiedDate"}, body: map[string]any{"Fax": "555-0199"}}}},
		{scenario: "update compound components expands Parent.Component", write: func(t *testing.T, s *sffake.Server, id string) []string {
			must(t, s.Update(id, map[string]any{"BillingCity": "Lyon", "BillingState": "ARA"}))
			return []string{id}
		}, want: []want{{changeType: pubsub.Update, records: 1, changed: []string{"BillingAddress.City", "BillingAddress.State", "LastModifiedDate"}}}},
		{scenario: "null a field", write: func(t *testing.T, s *sffake.Server, id string) []string {
			must(t, s.Update(id, map[string]any{"Phone": nil}))
			return []string{id}
		}, want: []want{{changeType: pubsub.Update, records: 1, changed: []string{"Phone", "LastModifiedDate"}, nulled: []string{"Phone"}}}},
		{scenario: "null a compound component", write: func(t *testing.T, s *sffake.Server, id string) []string {
			must(t, s.Update(id, map[string]any{"BillingCity": nil}))
			return []string{id}
		}, want: []want{{changeType: pubsub.Update, records: 1, changed: []string{"BillingAddress.City", "LastModifiedDate"}, nulled: []string{"BillingAddress.City"}}}},
		{scenario: "delete", write: func(t *testing.T, s *sffake.Server, id string) []string {
			must(t, s.Delete(id))
			return []string{id}
		}, want: []want{{changeType: pubsub.Delete, records: 1}}},
		{scenario: "undelete", write: func(t *testing.T, s *sffake.Server, id string) []string {
			must(t, s.Delete(id))
			must(t, s.Undelete(id))
			return []string{id}
		}, want: []want{{changeType: pubsub.Delete, records: 1}, {changeType: pubsub.Undelete, records: 1, body: map[string]any{"Name": "Acme"}}}},
		{scenario: "merged update of several records", write: func(t *testing.T, s *sffake.Server, id string) []string {
			id2, err := s.Create("Account", map[string]any{"Name": "Beta"})
			must(t, err)
			_, err = s.Transact(func(tx *sffake.Tx) error { return tx.UpdateMany([]string{id, id2}, map[string]any{"Rating": "Hot"}) })
			must(t, err)
			return []string{id, id2}
		}, want: []want{{changeType: pubsub.Create, records: 1}, {changeType: pubsub.Update, records: 2, changed: []string{"Rating", "LastModifiedDate"}}}},
		{scenario: "gap", write: func(t *testing.T, s *sffake.Server, id string) []string {
			_, err := s.EmitGap("Account", "GAP_UPDATE", id)
			must(t, err)
			return []string{id}
		}, want: []want{{changeType: pubsub.GapUpdate, records: 1}}},
		{scenario: "overflow", write: func(t *testing.T, s *sffake.Server, _ string) []string {
			_, err := s.EmitOverflow("Account")
			must(t, err)
			return []string{pubsub.OverflowRecordID}
		}, want: []want{{changeType: pubsub.GapOverflow, records: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			s := start(t)
			c := dial(t, s, nil)
			ctx := ctxOf(t)
			id, err := s.Create("Account", map[string]any{"Name": "Acme", "Phone": "555-0100", "BillingCity": "Paris"})
			must(t, err)
			sub, err := c.Subscribe(ctx, pubsub.SubscribeRequest{Topic: accountTopic, Preset: pubsub.Earliest})
			must(t, err)
			defer sub.Close()
			create := next(t, ctx, sub)
			if create.DecodeErr != nil || create.Header == nil || create.Header.ChangeType != pubsub.Create {
				t.Fatalf("first event = %+v, want a decoded CREATE", create)
			}
			ids := tt.write(t, s, id)
			var got []pubsub.Event
			if tt.scenario == "create" {
				got = []pubsub.Event{create}
			} else {
				for range tt.want {
					got = append(got, next(t, ctx, sub))
				}
			}
			prev := create.Header
			for i, w := range tt.want {
				ev := got[i]
				if ev.DecodeErr != nil {
					t.Fatalf("event %d: %v", i, ev.DecodeErr)
				}
				h := ev.Header
				if h.ChangeType != w.changeType || h.EntityName != "Account" || len(h.RecordIDs) != w.records {
					t.Fatalf("event %d header = %+v, want %s of %d Account records", i, h, w.changeType, w.records)
				}
				if i == len(tt.want)-1 && ids != nil && !slices.Equal(h.RecordIDs, ids) {
					t.Fatalf("recordIds = %v, want %v", h.RecordIDs, ids)
				}
				if !slices.Equal(h.ChangedFields, w.changed) || !slices.Equal(h.NulledFields, w.nulled) || len(h.DiffFields) != 0 {
					t.Fatalf("changed %v nulled %v diff %v, want changed %v nulled %v", h.ChangedFields, h.NulledFields, h.DiffFields, w.changed, w.nulled)
				}
				if h.TransactionKey == "" || h.SequenceNumber < 1 || h.CommitUser == "" || h.CommitTimestamp.IsZero() || h.CommitNumber <= 0 {
					t.Fatalf("header %+v lacks transaction key, sequence, user, timestamp or commit number", h)
				}
				if h != prev && h.CommitNumber <= prev.CommitNumber {
					t.Fatalf("commitNumber %d not after %d", h.CommitNumber, prev.CommitNumber)
				}
				prev = h
				for k, v := range w.body {
					if got := unwrapField(ev.Record[k]); got != v {
						t.Fatalf("body %s = %v, want %v", k, got, v)
					}
				}
				if h.ChangeType.Gap() {
					for k, v := range ev.Record {
						if k != "ChangeEventHeader" && v != nil {
							t.Fatalf("gap event body %s = %v, want null", k, v)
						}
					}
				}
			}
		})
	}
}

func TestTransactionSequenceNumbers(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := dial(t, s, nil)
	ctx := ctxOf(t)
	sub, err := c.Subscribe(ctx, pubsub.SubscribeRequest{Topic: sffake.AllChangeEventsTopic})
	must(t, err)
	defer sub.Close()
	waitSubscribed(t, s, 1)
	_, err = s.Transact(func(tx *sffake.Tx) error {
		for _, n := range []string{"A", "B", "C"} {
			if _, err := tx.Create("Account", map[string]any{"Name": n}); err != nil {
				return err
			}
		}
		return nil
	})
	must(t, err)
	var key string
	for i := 1; i <= 3; i++ {
		h := next(t, ctx, sub).Header
		if h.SequenceNumber != i || (key != "" && h.TransactionKey != key) {
			t.Fatalf("event %d: sequence %d key %q, want %d and one key", i, h.SequenceNumber, h.TransactionKey, i)
		}
		key = h.TransactionKey
	}
}

// waitSubscribed waits until s has n open Subscribe streams, so that a
// LATEST subscription sees what is written next.
func waitSubscribed(t testing.TB, s *sffake.Server, n int64) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for s.Stats().Subscriptions < n {
		if time.Now().After(deadline) {
			t.Fatalf("subscriptions = %d, want %d", s.Stats().Subscriptions, n)
		}
		time.Sleep(time.Millisecond) // polling, not a timing assumption
	}
}

func TestBackpressure(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scenario string
		capacity int
	}{
		{scenario: "capacity below the server cap", capacity: 7},
		{scenario: "capacity of one", capacity: 1},
		{scenario: "capacity above the server cap", capacity: 250},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			s := start(t, sffake.WithKeepalive(10*time.Millisecond))
			w := &creditWatch{limit: min(tt.capacity, pubsub.MaxRequested)}
			c := dial(t, s, nil, w.interceptor())
			ctx := ctxOf(t)
			const n = 300
			for i := range n {
				_, err := s.PublishEvent(orderEvent.Name, map[string]any{"OrderId__c": fmt.Sprint(i)})
				must(t, err)
			}
			sub, err := c.Subscribe(ctx, pubsub.SubscribeRequest{Topic: orderTopic, Preset: pubsub.Earliest, Capacity: tt.capacity})
			must(t, err)
			defer sub.Close()
			// A slow consumer: before each take, let the subscription fill
			// up to its capacity and check it takes no more.
			for i := range n {
				want := int64(min(n, i+tt.capacity))
				for sub.Stats().Events < want {
					select {
					case <-sub.Done():
						t.Fatal("subscription ended")
					default:
					}
					time.Sleep(time.Millisecond)
				}
				if got := sub.Stats().Events; got > want {
					t.Fatalf("received %d events with %d taken, want at most %d", got, i, want)
				}
				ev := next(t, ctx, sub)
				if got := unwrapField(ev.Record["OrderId__c"]); got != fmt.Sprint(i) {
					t.Fatalf("event %d OrderId__c = %v", i, got)
				}
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			if w.violation != "" {
				t.Fatal(w.violation)
			}
			if w.maxOut > w.limit || w.maxOut == 0 {
				t.Fatalf("max outstanding %d, want in 1..%d", w.maxOut, w.limit)
			}
		})
	}
}

func TestKeepaliveReplayID(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithKeepalive(10*time.Millisecond))
	c := dial(t, s, nil)
	ctx := ctxOf(t)
	_, err := s.PublishEvent(orderEvent.Name, nil)
	must(t, err)
	sub, err := c.Subscribe(ctx, pubsub.SubscribeRequest{Topic: orderTopic, Preset: pubsub.Latest})
	must(t, err)
	defer sub.Close()
	ka, err := sub.Next(ctx)
	must(t, err)
	if !ka.Keepalive || len(ka.ReplayID) == 0 || !bytes.Equal(ka.ReplayID, sub.LatestReplayID()) {
		t.Fatalf("first Next = %+v, want a keepalive with the latest replay id %x", ka, sub.LatestReplayID())
	}
	if sub.Stats().Keepalives == 0 {
		t.Fatal("Stats().Keepalives = 0")
	}
	p, err := s.PublishEvent(orderEvent.Name, map[string]any{"OrderId__c": "after"})
	must(t, err)
	ev := next(t, ctx, sub)
	if !bytes.Equal(ev.ReplayID, p.ReplayID) || !bytes.Equal(sub.LatestReplayID(), p.ReplayID) {
		t.Fatalf("event %x, latest %x, want %x", ev.ReplayID, sub.LatestReplayID(), p.ReplayID)
	}
	// Resuming from the keepalive's position delivers the event after it.
	sub2, err := c.Subscribe(ctx, pubsub.SubscribeRequest{Topic: orderTopic, Preset: pubsub.Custom, ReplayID: ka.ReplayID})
	must(t, err)
	defer sub2.Close()
	if ev := next(t, ctx, sub2); ev.ID != p.ID {
		t.Fatalf("resumed at %s, want %s", ev.ID, p.ID)
	}
}

func TestSubscriptionFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		opts     []sffake.Option
		req      pubsub.SubscribeRequest
		// fault runs once the stream is open.
		fault     func(s *sffake.Server)
		is        error
		code      codes.Code
		errorCode string
		retryable bool
	}{
		{scenario: "drop streams is a retryable transport error",
			req: pubsub.SubscribeRequest{Topic: orderTopic}, fault: (*sffake.Server).DropStreams,
			code: codes.Unavailable, retryable: true},
		{scenario: "stalled stream ends with ErrStalled",
			req: pubsub.SubscribeRequest{Topic: orderTopic, StallTimeout: 100 * time.Millisecond}, opts: []sffake.Option{sffake.WithKeepalive(10 * time.Millisecond)},
			fault: (*sffake.Server).StallStreams, is: pubsub.ErrStalled, retryable: true},
		{scenario: "corrupted replay id",
			req: pubsub.SubscribeRequest{Topic: orderTopic, Preset: pubsub.Custom, ReplayID: []byte{1, 2, 3}},
			is:  pubsub.ErrReplayIDCorrupted, code: codes.InvalidArgument, errorCode: pubsub.ErrorCodePrefix + pubsub.CodeReplayIDCorrupted},
		{scenario: "unknown topic",
			req: pubsub.SubscribeRequest{Topic: "/event/Nope__e"}, is: pubsub.ErrTopicNotFound,
			errorCode: pubsub.ErrorCodePrefix + pubsub.CodeTopicNotFound},
		{scenario: "service unavailable is retryable",
			req: pubsub.SubscribeRequest{Topic: orderTopic},
			fault: func(s *sffake.Server) {
				s.FailNext(1, sffake.Fault{Code: codes.Unavailable, ErrorCode: pubsub.CodeServiceUnavailable})
			},
			code: codes.Unavailable, errorCode: pubsub.ErrorCodePrefix + pubsub.CodeServiceUnavailable, retryable: true},
		{scenario: "idle close while the caller holds a full buffer",
			opts: []sffake.Option{sffake.WithIdleTimeout(50 * time.Millisecond)},
			req:  pubsub.SubscribeRequest{Topic: orderTopic, Preset: pubsub.Earliest, Capacity: 2},
			fault: func(s *sffake.Server) {
				for range 3 {
					_, _ = s.PublishEvent(orderEvent.Name, nil)
				}
			},
			code: codes.DeadlineExceeded, retryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			s := start(t, tt.opts...)
			c := dial(t, s, nil)
			ctx := ctxOf(t)
			if tt.scenario == "service unavailable is retryable" {
				tt.fault(s)
				tt.fault = nil
			}
			sub, err := c.Subscribe(ctx, tt.req)
			must(t, err)
			defer sub.Close()
			if tt.fault != nil {
				waitSubscribed(t, s, 1)
				tt.fault(s)
			}
			var err2 error
			if tt.req.Capacity == 2 {
				// Hold the buffer full: never call Next until the stream ends.
				<-sub.Done()
			}
			err2 = nextErr(t, ctx, sub)
			if tt.is != nil && !errors.Is(err2, tt.is) {
				t.Fatalf("err = %v, want %v", err2, tt.is)
			}
			var e *pubsub.Error
			if tt.code != codes.OK || tt.errorCode != "" {
				if !errors.As(err2, &e) {
					t.Fatalf("err = %v (%T), want *pubsub.Error", err2, err2)
				}
				if tt.code != codes.OK && e.Code != tt.code {
					t.Fatalf("code = %v, want %v", e.Code, tt.code)
				}
				if e.ErrorCode != tt.errorCode {
					t.Fatalf("error code = %q, want %q", e.ErrorCode, tt.errorCode)
				}
				if tt.errorCode != "" && e.RPCID == "" {
					t.Fatalf("error %v has no rpc id", e)
				}
				if e.TraceID == "" {
					t.Fatal("error has no trace id")
				}
			}
			if got := pubsub.IsRetryable(err2); got != tt.retryable {
				t.Fatalf("IsRetryable(%v) = %v, want %v", err2, got, tt.retryable)
			}
		})
	}
}

// TestOverReceiveLimit checks that a response over the client's gRPC
// receive limit is not retryable: resubscribing from the same replay id
// would get the same response, in a loop.
func TestOverReceiveLimit(t *testing.T) {
	t.Parallel()
	s := start(t)
	_, err := s.PublishEvent(orderEvent.Name, map[string]any{"OrderId__c": strings.Repeat("x", 4096)})
	must(t, err)
	c := dial(t, s, nil, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1024)))
	ctx := ctxOf(t)
	sub, err := c.Subscribe(ctx, pubsub.SubscribeRequest{Topic: orderTopic, Preset: pubsub.Earliest})
	must(t, err)
	defer sub.Close()
	err = nextErr(t, ctx, sub)
	var e *pubsub.Error
	if !errors.As(err, &e) || e.Code != codes.ResourceExhausted || !strings.Contains(err.Error(), "larger than max") {
		t.Fatalf("err = %v, want ResourceExhausted for a message larger than the limit", err)
	}
	if pubsub.IsRetryable(err) {
		t.Fatalf("IsRetryable(%v) = true", err)
	}
}

func TestAuthRevokeThenRefresh(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scenario string
		call     func(t *testing.T, c *pubsub.Client) error
		// retried reports that the client retries by itself (unary calls).
		retried bool
	}{
		{scenario: "unary call retries once with a fresh token", retried: true, call: func(t *testing.T, c *pubsub.Client) error {
			_, err := c.GetTopic(ctxOf(t), orderTopic)
			return err
		}},
		{scenario: "subscribe fails with ErrAuth and the caller resubscribes", call: func(t *testing.T, c *pubsub.Client) error {
			ctx := ctxOf(t)
			sub, err := c.Subscribe(ctx, pubsub.SubscribeRequest{Topic: orderTopic, Preset: pubsub.Earliest})
			if err != nil {
				return err
			}
			defer sub.Close()
			_, err = sub.Next(ctx)
			return err
		}},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			s := start(t)
			_, err := s.PublishEvent(orderEvent.Name, nil)
			must(t, err)
			s.AddToken("fresh-token")
			creds := &rotatingCreds{s: s, tokens: []string{s.AccessToken(), "fresh-token"}}
			c := dial(t, s, creds)
			s.RevokeToken(s.AccessToken())
			err = tt.call(t, c)
			if tt.retried {
				if err != nil {
					t.Fatalf("call after revoke: %v", err)
				}
			} else {
				var e *pubsub.Error
				if !errors.Is(err, pubsub.ErrAuth) || !errors.As(err, &e) || e.Code != codes.Unauthenticated || e.Short() != pubsub.CodeAuth {
					t.Fatalf("err = %v, want UNAUTHENTICATED %s", err, pubsub.CodeAuth)
				}
				if !pubsub.IsRetryable(err) {
					t.Fatalf("IsRetryable(%v) = false", err)
				}
				if err := tt.call(t, c); err != nil {
					t.Fatalf("retry after invalidation: %v", err)
				}
			}
			if creds.invalidated.Load() != 1 {
				t.Fatalf("Invalidate called %d times, want 1", creds.invalidated.Load())
			}
		})
	}
}

func TestHostilePayloadDoesNotEndStream(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := dial(t, s, nil)
	ctx := ctxOf(t)
	res, err := c.Publish(ctx, orderTopic,
		pubsub.ProducerEvent{ID: "bad", Payload: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2}},
		pubsub.ProducerEvent{ID: "huge-array", Payload: []byte{0x02, 0xfe, 0xff, 0xff, 0xff, 0x0f}},
		pubsub.ProducerEvent{ID: "good", Fields: map[string]any{"CreatedDate": time.Now().UnixMilli(), "CreatedById": s.UserID(), "OrderId__c": "ok"}},
	)
	must(t, err)
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("publish %s: %v", r.CorrelationKey, r.Err)
		}
	}
	sub, err := c.Subscribe(ctx, pubsub.SubscribeRequest{Topic: orderTopic, Preset: pubsub.Earliest})
	must(t, err)
	defer sub.Close()
	for _, id := range []string{"bad", "huge-array"} {
		ev := next(t, ctx, sub)
		if ev.ID != id || !errors.Is(ev.DecodeErr, pubsub.ErrDecode) || ev.Record != nil || len(ev.Payload) == 0 {
			t.Fatalf("event = %+v, want %s with a DecodeErr and its payload", ev, id)
		}
		if pubsub.IsRetryable(ev.DecodeErr) {
			t.Fatalf("IsRetryable(%v) = true, want poison", ev.DecodeErr)
		}
	}
	ev := next(t, ctx, sub)
	if ev.ID != "good" || ev.DecodeErr != nil || unwrapField(ev.Record["OrderId__c"]) != "ok" {
		t.Fatalf("event after the bad ones = %+v", ev)
	}
	if st := sub.Stats(); st.DecodeErrors != 2 || st.Events != 3 || st.Bytes == 0 {
		t.Fatalf("Stats = %+v, want 2 decode errors of 3 events", st)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithTLS())
	c := dial(t, s, nil)
	if _, err := c.GetTopic(ctxOf(t), orderTopic); err != nil {
		t.Fatal(err)
	}
	// With the system roots the emulator's certificate is not trusted.
	_, err := pubsub.Dial(ctxOf(t), pubsub.Config{Endpoint: s.PubSubAddr(), Credentials: pubsub.StaticCredentials(tokenOf(s, s.AccessToken()))})
	if err == nil || !pubsub.IsRetryable(err) {
		t.Fatalf("dial with system roots: err = %v, want a connection failure", err)
	}
}

func TestSchemaCacheConcurrency(t *testing.T) {
	t.Parallel()
	s := start(t)
	var cc callCounter
	c := dial(t, s, nil, cc.interceptor())
	ctx := ctxOf(t)
	acc, err := c.GetTopic(ctx, accountTopic)
	must(t, err)
	ord, err := c.GetTopic(ctx, orderTopic)
	must(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Go(func() {
			id := acc.SchemaID
			if i%2 == 1 {
				id = ord.SchemaID
			}
			sch, err := c.GetSchema(ctx, id)
			if err == nil && (sch.ID != id || sch.Codec == nil) {
				err = fmt.Errorf("schema %s: got %s", id, sch.ID)
			}
			if err == nil && id == acc.SchemaID && (!sch.ChangeEvent || len(sch.Fields.Fields) < 36) {
				err = fmt.Errorf("account schema not parsed as a change event")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	if n := cc.count(eventbus.PubSub_GetSchema_FullMethodName); n != 2 {
		t.Fatalf("GetSchema calls = %d, want 2 (one per id)", n)
	}
	// A failed fetch is not cached.
	if _, err := c.GetSchema(ctx, "nope"); err == nil {
		t.Fatal("GetSchema(nope) succeeded")
	}
	if _, err := c.GetSchema(ctx, "nope"); err == nil {
		t.Fatal("GetSchema(nope) succeeded")
	}
	if n := cc.count(eventbus.PubSub_GetSchema_FullMethodName); n != 4 {
		t.Fatalf("GetSchema calls = %d, want 4 (failures refetched)", n)
	}
}

func TestSchemaChangeKeepsOldIDs(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := dial(t, s, nil)
	ctx := ctxOf(t)
	_, err := s.Create("Account", map[string]any{"Name": "Before"})
	must(t, err)
	newID, err := s.AddField("Account", sffake.Field{Name: "Tier__c", Type: sffake.TypeString})
	must(t, err)
	_, err = s.Create("Account", map[string]any{"Name": "After", "Tier__c": "Gold"})
	must(t, err)
	sub, err := c.Subscribe(ctx, pubsub.SubscribeRequest{Topic: accountTopic, Preset: pubsub.Earliest})
	must(t, err)
	defer sub.Close()
	before, after := next(t, ctx, sub), next(t, ctx, sub)
	if before.DecodeErr != nil || after.DecodeErr != nil || before.SchemaID == after.SchemaID || after.SchemaID != newID {
		t.Fatalf("schema ids %s then %s (new %s), errors %v %v", before.SchemaID, after.SchemaID, newID, before.DecodeErr, after.DecodeErr)
	}
	if unwrapField(after.Record["Tier__c"]) != "Gold" {
		t.Fatalf("Tier__c = %v", after.Record["Tier__c"])
	}
}

func TestPublish(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scenario string
		publish  func(t *testing.T, c *pubsub.Client, evs []pubsub.ProducerEvent) []pubsub.PublishResult
	}{
		{scenario: "unary", publish: func(t *testing.T, c *pubsub.Client, evs []pubsub.ProducerEvent) []pubsub.PublishResult {
			res, err := c.Publish(ctxOf(t), orderTopic, evs...)
			must(t, err)
			return res
		}},
		{scenario: "stream", publish: func(t *testing.T, c *pubsub.Client, evs []pubsub.ProducerEvent) []pubsub.PublishResult {
			ps, err := c.PublishStream(ctxOf(t), orderTopic)
			must(t, err)
			defer ps.Close()
			must(t, ps.Send(evs[:1]...))
			must(t, ps.Send(evs[1:]...))
			a, err := ps.Recv()
			must(t, err)
			b, err := ps.Recv()
			must(t, err)
			return append(a, b...)
		}},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			s := start(t)
			c := dial(t, s, nil)
			ctx := ctxOf(t)
			var evs []pubsub.ProducerEvent
			for i := range 3 {
				evs = append(evs, pubsub.ProducerEvent{ID: fmt.Sprint("ev-", i), Fields: map[string]any{
					"CreatedDate": time.Now().UnixMilli(), "CreatedById": s.UserID(),
					"OrderId__c": fmt.Sprint("o", i), "Amount__c": float64(i),
				}})
			}
			res := tt.publish(t, c, evs)
			if len(res) != 3 {
				t.Fatalf("%d results, want 3", len(res))
			}
			for i, r := range res {
				if r.Err != nil || r.CorrelationKey != evs[i].ID || len(r.ReplayID) == 0 {
					t.Fatalf("result %d = %+v", i, r)
				}
			}
			sub, err := c.Subscribe(ctx, pubsub.SubscribeRequest{Topic: orderTopic, Preset: pubsub.Earliest})
			must(t, err)
			defer sub.Close()
			for i := range 3 {
				ev := next(t, ctx, sub)
				if ev.ID != evs[i].ID || !bytes.Equal(ev.ReplayID, res[i].ReplayID) || unwrapField(ev.Record["Amount__c"]) != float64(i) {
					t.Fatalf("event %d = %+v", i, ev)
				}
			}
		})
	}
}

func TestGetTopic(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := dial(t, s, nil)
	for _, tt := range []struct {
		scenario, topic   string
		publish, notFound bool
	}{
		{scenario: "change event topic", topic: accountTopic},
		{scenario: "all change events", topic: sffake.AllChangeEventsTopic},
		{scenario: "platform event", topic: orderTopic, publish: true},
		{scenario: "unknown", topic: "/data/NopeChangeEvent", notFound: true},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			top, err := c.GetTopic(ctxOf(t), tt.topic)
			if tt.notFound {
				var e *pubsub.Error
				if !errors.Is(err, pubsub.ErrTopicNotFound) || !errors.As(err, &e) || e.RPCID == "" || pubsub.IsRetryable(err) {
					t.Fatalf("err = %v, want a non-retryable topic.not.found with an rpc id", err)
				}
				return
			}
			must(t, err)
			if top.Name != tt.topic || !top.CanSubscribe || top.CanPublish != tt.publish || (top.SchemaID == "") != (tt.topic == sffake.AllChangeEventsTopic) || top.RPCID == "" {
				t.Fatalf("topic = %+v", top)
			}
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// unwrapField returns the value of a nullable union field.
func unwrapField(v any) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for _, x := range m {
			return x
		}
	}
	return v
}

// TestSchemaCacheBounded checks that the schema cache keeps the
// MaxSchemas used last: a schema used recently is not fetched again, one
// pushed out by MaxSchemas newer ones is.
func TestSchemaCacheBounded(t *testing.T) {
	t.Parallel()
	s := start(t)
	var fetches atomic.Int64
	count := grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if strings.HasSuffix(method, "/GetSchema") {
			fetches.Add(1)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	})
	c := dial(t, s, nil, count)
	ids := make([]string, pubsub.MaxSchemas+1)
	for i := range ids {
		id, err := s.AddField(orderEvent.Name, sffake.Field{Name: fmt.Sprintf("F%d__c", i), Type: sffake.TypeString})
		must(t, err)
		ids[i] = id
	}
	// The deadline starts once the schemas exist: making 257 of them,
	// each a field longer, takes most of the test's time on a busy machine.
	ctx := ctxOf(t)
	get := func(id string) {
		t.Helper()
		if _, err := c.GetSchema(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		get(id)
	}
	if n := fetches.Load(); n != int64(len(ids)) {
		t.Fatalf("%d fetches for %d schemas", n, len(ids))
	}
	get(ids[len(ids)-1])
	if n := fetches.Load(); n != int64(len(ids)) {
		t.Fatalf("the schema used last was fetched again (%d fetches)", n)
	}
	get(ids[0])
	if n := fetches.Load(); n != int64(len(ids))+1 {
		t.Fatalf("the schema used first, %d schemas ago, was still cached (%d fetches)", pubsub.MaxSchemas, n)
	}
}
