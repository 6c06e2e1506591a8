package sffake_test

import (
	"bytes"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

func TestSubscribeFlowControl(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithEvent(orderEvent), sffake.WithIdleTimeout(300*time.Millisecond), sffake.WithKeepalive(20*time.Millisecond))
	c, ctx := client(t, s)
	publish(t, s, 250)

	st := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: orderTopic, ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 5})
	evs, resps := collect(t, st, 5)
	if last := resps[len(resps)-1]; last.GetPendingNumRequested() != 0 {
		t.Fatalf("pending after 5 of 5 = %d, want 0", last.GetPendingNumRequested())
	}
	want := int32(5)
	for _, r := range resps {
		want -= int32(len(r.GetEvents()))
		if r.GetPendingNumRequested() != want {
			t.Fatalf("pending_num_requested = %d, want %d", r.GetPendingNumRequested(), want)
		}
	}

	// Asking for 500 is asking for 100.
	if err := st.Send(&eventbus.FetchRequest{NumRequested: 500}); err != nil {
		t.Fatal(err)
	}
	more, resps := collect(t, st, 100)
	for _, r := range resps {
		if len(r.GetEvents()) > 100 {
			t.Fatalf("response with %d events, want at most 100", len(r.GetEvents()))
		}
	}
	if p := resps[len(resps)-1].GetPendingNumRequested(); p != 0 {
		t.Fatalf("pending after the capped 100 = %d, want 0", p)
	}
	// Nothing more comes: the next thing the stream does is close idle.
	err := recvError(t, st)
	wantStatus(t, err, st.Trailer(), codes.DeadlineExceeded, "")

	evs = append(evs, more...)
	for i := 1; i < len(evs); i++ {
		if bytes.Compare(evs[i-1].GetReplayId(), evs[i].GetReplayId()) >= 0 {
			t.Fatalf("replay ids not increasing at %d: %x then %x", i, evs[i-1].GetReplayId(), evs[i].GetReplayId())
		}
	}
	if got := s.Stats().EventsDelivered; got != 105 {
		t.Fatalf("Stats().EventsDelivered = %d, want 105", got)
	}

	// The cap applies across requests: 70 then 80 outstanding is 100.
	st = subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: orderTopic, NumRequested: 70})
	if err := st.Send(&eventbus.FetchRequest{TopicName: orderTopic, NumRequested: 80}); err != nil {
		t.Fatal(err)
	}
	for {
		r, err := st.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if p := r.GetPendingNumRequested(); p == 100 {
			break
		} else if p != 70 {
			t.Fatalf("keepalive pending = %d, want 70 then 100", p)
		}
	}
	publish(t, s, 150)
	_, resps = collect(t, st, 100)
	if p := resps[len(resps)-1].GetPendingNumRequested(); p != 0 {
		t.Fatalf("pending after 100 = %d, want 0", p)
	}
	wantStatus(t, recvError(t, st), st.Trailer(), codes.DeadlineExceeded, "")
}

func TestKeepaliveCarriesTip(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithEvent(orderEvent), sffake.WithKeepalive(50*time.Millisecond))
	c, ctx := client(t, s)
	publish(t, s, 3)

	st := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: orderTopic, NumRequested: 10})
	r, err := st.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.GetEvents()) != 0 || len(r.GetLatestReplayId()) != 8 || r.GetPendingNumRequested() != 10 || r.GetRpcId() == "" {
		t.Fatalf("keepalive = %v, want no events, an 8-byte latest_replay_id, pending 10 and an rpc id", r)
	}
	tip := r.GetLatestReplayId()

	// Resuming from the keepalive's tip is valid and loses nothing.
	p := publish(t, s, 1)[0]
	st2 := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: orderTopic, ReplayPreset: eventbus.ReplayPreset_CUSTOM, ReplayId: tip, NumRequested: 10})
	evs, _ := collect(t, st2, 1)
	if !bytes.Equal(evs[0].GetReplayId(), p.ReplayID) || evs[0].GetEvent().GetId() != p.ID {
		t.Fatalf("resumed from tip: got event %x, want %x", evs[0].GetReplayId(), p.ReplayID)
	}
	// The first stream receives the event after its keepalives.
	for {
		r, err := st.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if len(r.GetEvents()) > 0 {
			if !bytes.Equal(r.GetEvents()[0].GetReplayId(), p.ReplayID) || r.GetPendingNumRequested() != 9 {
				t.Fatalf("got %x pending %d, want %x pending 9", r.GetEvents()[0].GetReplayId(), r.GetPendingNumRequested(), p.ReplayID)
			}
			break
		}
	}
}

func TestIdleClose(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithEvent(orderEvent), sffake.WithIdleTimeout(100*time.Millisecond))
	c, ctx := client(t, s)
	publish(t, s, 2)
	st := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: orderTopic, ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 1})
	collect(t, st, 1)
	err := recvError(t, st)
	wantStatus(t, err, st.Trailer(), codes.DeadlineExceeded, "")
}

func TestReplayPresets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		preset   eventbus.ReplayPreset
		// after is the index of the published event to replay after, for
		// CUSTOM.
		after int
		// want are the indexes of the events expected first.
		want []int
	}{
		{scenario: "LATEST delivers only new events", preset: eventbus.ReplayPreset_LATEST, want: []int{3}},
		{scenario: "EARLIEST delivers the retained events", preset: eventbus.ReplayPreset_EARLIEST, want: []int{0, 1, 2, 3}},
		{scenario: "CUSTOM starts strictly after the id", preset: eventbus.ReplayPreset_CUSTOM, after: 0, want: []int{1, 2, 3}},
		{scenario: "CUSTOM after the last event", preset: eventbus.ReplayPreset_CUSTOM, after: 2, want: []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			s := start(t, sffake.WithEvent(orderEvent), sffake.WithKeepalive(20*time.Millisecond))
			c, ctx := client(t, s)
			pubs := publish(t, s, 3)
			req := &eventbus.FetchRequest{TopicName: orderTopic, ReplayPreset: tt.preset, NumRequested: 10}
			if tt.preset == eventbus.ReplayPreset_CUSTOM {
				req.ReplayId = pubs[tt.after].ReplayID
			}
			st := subscribe(t, ctx, c, req)
			if tt.preset == eventbus.ReplayPreset_LATEST {
				// The subscription is established once a keepalive came.
				if r, err := st.Recv(); err != nil || len(r.GetEvents()) != 0 {
					t.Fatalf("first response %v, %v: want a keepalive", r, err)
				}
			}
			pubs = append(pubs, publish(t, s, 1)...)
			evs, _ := collect(t, st, len(tt.want))
			for i, w := range tt.want {
				if evs[i].GetEvent().GetId() != pubs[w].ID || !bytes.Equal(evs[i].GetReplayId(), pubs[w].ReplayID) {
					t.Fatalf("event %d is %s, want published event %d (%s)", i, evs[i].GetEvent().GetId(), w, pubs[w].ID)
				}
			}
		})
	}
}

func TestSubscribeErrors(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithEvent(orderEvent))
	c, ctx := client(t, s)
	publish(t, s, 1)
	tip := []byte{0x7f, 0, 0, 0, 0, 0, 0, 0} // beyond the bus tip: never issued

	tests := []struct {
		scenario  string
		first     *eventbus.FetchRequest
		second    *eventbus.FetchRequest
		code      codes.Code
		errorCode string
	}{
		{scenario: "unknown topic", first: &eventbus.FetchRequest{TopicName: "/data/OpportunityChangeEvent", NumRequested: 1},
			code: codes.NotFound, errorCode: "topic.not.found"},
		{scenario: "blank topic", first: &eventbus.FetchRequest{NumRequested: 1},
			code: codes.InvalidArgument, errorCode: "topic.validation.empty"},
		{scenario: "nothing requested", first: &eventbus.FetchRequest{TopicName: orderTopic},
			code: codes.InvalidArgument, errorCode: "subscription.fetch.requested.events.invalid"},
		{scenario: "CUSTOM without replay id", first: &eventbus.FetchRequest{TopicName: orderTopic, ReplayPreset: eventbus.ReplayPreset_CUSTOM, NumRequested: 1},
			code: codes.InvalidArgument, errorCode: "subscription.fetch.replayid.validation.failed"},
		{scenario: "CUSTOM with a malformed replay id", first: &eventbus.FetchRequest{TopicName: orderTopic, ReplayPreset: eventbus.ReplayPreset_CUSTOM, ReplayId: []byte{1, 2, 3}, NumRequested: 1},
			code: codes.InvalidArgument, errorCode: "subscription.fetch.replayid.corrupted"},
		{scenario: "CUSTOM with an unknown replay id", first: &eventbus.FetchRequest{TopicName: orderTopic, ReplayPreset: eventbus.ReplayPreset_CUSTOM, ReplayId: tip, NumRequested: 1},
			code: codes.InvalidArgument, errorCode: "subscription.fetch.replayid.corrupted"},
		{scenario: "topic changed on a later request", first: &eventbus.FetchRequest{TopicName: orderTopic, NumRequested: 1},
			second: &eventbus.FetchRequest{TopicName: "/data/AccountChangeEvent", NumRequested: 1},
			code:   codes.InvalidArgument, errorCode: "subscription.fetch.topic.mismatch"},
		{scenario: "negative request later", first: &eventbus.FetchRequest{TopicName: orderTopic, NumRequested: 1},
			second: &eventbus.FetchRequest{NumRequested: -1},
			code:   codes.InvalidArgument, errorCode: "subscription.fetch.requested.events.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			st := subscribe(t, ctx, c, tt.first)
			if tt.second != nil {
				if err := st.Send(tt.second); err != nil {
					t.Fatal(err)
				}
			}
			err := recvError(t, st)
			wantStatus(t, err, st.Trailer(), tt.code, tt.errorCode)
		})
	}
}

func TestRetentionExpiry(t *testing.T) {
	t.Parallel()
	clk := sffake.NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	s := start(t, sffake.WithEvent(orderEvent), sffake.WithClock(clk), sffake.WithRetention(72*time.Hour))
	c, ctx := client(t, s)
	old := publish(t, s, 2)
	clk.Advance(73 * time.Hour)
	fresh := publish(t, s, 1)

	st := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: orderTopic, ReplayPreset: eventbus.ReplayPreset_CUSTOM, ReplayId: old[0].ReplayID, NumRequested: 1})
	wantStatus(t, recvError(t, st), st.Trailer(), codes.InvalidArgument, "subscription.fetch.replayid.corrupted")

	// EARLIEST starts at the oldest retained event.
	st = subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: orderTopic, ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 1})
	evs, _ := collect(t, st, 1)
	if evs[0].GetEvent().GetId() != fresh[0].ID {
		t.Fatalf("EARLIEST after expiry delivered %s, want %s", evs[0].GetEvent().GetId(), fresh[0].ID)
	}

	// Purge expires everything retained.
	s.Purge()
	st = subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: orderTopic, ReplayPreset: eventbus.ReplayPreset_CUSTOM, ReplayId: fresh[0].ReplayID, NumRequested: 1})
	wantStatus(t, recvError(t, st), st.Trailer(), codes.InvalidArgument, "subscription.fetch.replayid.corrupted")
}

func TestAuth(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithAccessToken("good"), sffake.WithAccessToken("revoked"))
	s.RevokeToken("revoked")
	c, _ := client(t, s)
	tests := []struct {
		scenario  string
		md        []string
		code      codes.Code
		errorCode string
	}{
		{scenario: "valid, mixed-case keys", md: []string{"AccessToken", "good", "InstanceUrl", s.URL(), "TenantId", s.OrgID()}, code: codes.OK},
		{scenario: "15-character tenant", md: []string{"accesstoken", "good", "instanceurl", s.URL(), "tenantid", s.OrgID()[:15]}, code: codes.OK},
		{scenario: "full tenant form", md: []string{"accesstoken", "good", "instanceurl", s.URL(), "tenantid", "core/prod/" + s.OrgID()}, code: codes.OK},
		{scenario: "wrong token", md: []string{"accesstoken", "bad", "instanceurl", s.URL(), "tenantid", s.OrgID()},
			code: codes.Unauthenticated, errorCode: "service.auth.error"},
		{scenario: "revoked token", md: []string{"accesstoken", "revoked", "instanceurl", s.URL(), "tenantid", s.OrgID()},
			code: codes.Unauthenticated, errorCode: "service.auth.error"},
		{scenario: "other org", md: []string{"accesstoken", "good", "instanceurl", s.URL(), "tenantid", "00D000000000002EAA"},
			code: codes.Unauthenticated, errorCode: "service.auth.error"},
		{scenario: "no token", md: []string{"instanceurl", s.URL(), "tenantid", s.OrgID()},
			code: codes.Unauthenticated, errorCode: "service.auth.headers.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			ctx := metadata.AppendToOutgoingContext(t.Context(), tt.md...)
			var trailer metadata.MD
			_, err := c.GetTopic(ctx, &eventbus.TopicRequest{TopicName: "/data/AccountChangeEvent"}, grpc.Trailer(&trailer))
			if tt.code == codes.OK {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantStatus(t, err, trailer, tt.code, tt.errorCode)

			st, err := c.Subscribe(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_ = st.Send(&eventbus.FetchRequest{TopicName: "/data/AccountChangeEvent", NumRequested: 1})
			wantStatus(t, recvError(t, st), st.Trailer(), tt.code, tt.errorCode)
		})
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithEvent(orderEvent), sffake.WithKeepalive(20*time.Millisecond))
	c, ctx := client(t, s)

	s.FailNext(2, sffake.Fault{Code: codes.Unavailable, ErrorCode: "service.unavailable"})
	for range 2 {
		var tr metadata.MD
		_, err := c.GetTopic(ctx, &eventbus.TopicRequest{TopicName: orderTopic}, grpc.Trailer(&tr))
		wantStatus(t, err, tr, codes.Unavailable, "service.unavailable")
	}
	if _, err := c.GetTopic(ctx, &eventbus.TopicRequest{TopicName: orderTopic}); err != nil {
		t.Fatalf("third call: %v", err)
	}

	// A stalled stream sends nothing, not even the event published after
	// the stall; dropping it ends it like a transport failure.
	st := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: orderTopic, NumRequested: 5})
	if _, err := st.Recv(); err != nil { // a keepalive: the stream is established
		t.Fatal(err)
	}
	s.StallStreams()
	for s.Stats().StalledStreams != 1 {
		select {
		case <-ctx.Done():
			t.Fatal("stream never stalled")
		case <-time.After(time.Millisecond):
		}
	}
	publish(t, s, 1)
	s.DropStreams()
	err := recvError(t, st)
	if code := statusCode(err); code != codes.Unavailable || len(st.Trailer().Get("error-code")) != 0 || len(st.Trailer().Get("rpc-id")) != 0 {
		t.Fatalf("dropped stream: %v, trailer %v; want UNAVAILABLE without Pub/Sub trailers", err, st.Trailer())
	}
}
