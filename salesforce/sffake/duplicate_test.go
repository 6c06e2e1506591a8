package sffake_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

// TestDuplicateNext checks the "send duplicates" fault with the raw
// stubs: a doubled event repeats its replay id, event id, schema id and
// payload, and copies respect flow control and the delivery counters.
func TestDuplicateNext(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scenario string
		publish  int
		dup      int
		// requests are the num_requested of the FetchRequests sent one
		// after another, each once the previous ones are all delivered.
		requests []int32
		// want lists, per request, the indexes of the published events
		// received.
		want [][]int
	}{
		{scenario: "each doubled event follows itself", publish: 3, dup: 2,
			requests: []int32{10}, want: [][]int{{0, 0, 1, 1, 2}}},
		{scenario: "a copy that does not fit comes first in the next response", publish: 2, dup: 1,
			requests: []int32{1, 1, 1}, want: [][]int{{0}, {0}, {1}}},
		{scenario: "a copy is cut from a full response and the rest follows", publish: 3, dup: 1,
			requests: []int32{2, 2}, want: [][]int{{0, 0}, {1, 2}}},
		{scenario: "zero cancels", publish: 2, dup: 0,
			requests: []int32{5}, want: [][]int{{0, 1}}},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			s := start(t, sffake.WithEvent(orderEvent), sffake.WithKeepalive(20*time.Millisecond))
			c, ctx := client(t, s)
			pub := publish(t, s, tt.publish)
			s.DuplicateNext(3) // replaced by the next call
			s.DuplicateNext(tt.dup)
			before := s.Stats().EventsDelivered

			var (
				st    eventbus.PubSub_SubscribeClient
				total int
			)
			for i, n := range tt.requests {
				if i == 0 {
					st = subscribe(t, ctx, c, &eventbus.FetchRequest{
						TopicName: orderTopic, ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: n})
				} else if err := st.Send(&eventbus.FetchRequest{NumRequested: n}); err != nil {
					t.Fatal(err)
				}
				evs, resps := collect(t, st, len(tt.want[i]))
				if p := resps[len(resps)-1].GetPendingNumRequested(); p != n-int32(len(evs)) {
					t.Fatalf("request %d: pending_num_requested %d after %d events of %d", i, p, len(evs), n)
				}
				for j, ev := range evs {
					want := pub[tt.want[i][j]]
					if ev.GetEvent().GetId() != want.ID || !bytes.Equal(ev.GetReplayId(), want.ReplayID) {
						t.Fatalf("request %d event %d = %s %x, want %s %x", i, j,
							ev.GetEvent().GetId(), ev.GetReplayId(), want.ID, want.ReplayID)
					}
					if j > 0 && evs[j-1].GetEvent().GetId() == ev.GetEvent().GetId() {
						prev := evs[j-1].GetEvent()
						if prev.GetSchemaId() != ev.GetEvent().GetSchemaId() || !bytes.Equal(prev.GetPayload(), ev.GetEvent().GetPayload()) {
							t.Fatalf("request %d event %d: the copy differs from the original", i, j)
						}
					}
				}
				total += len(evs)
			}
			// Nothing else is owed: what follows is a keepalive.
			if err := st.Send(&eventbus.FetchRequest{NumRequested: 1}); err != nil {
				t.Fatal(err)
			}
			if r, err := st.Recv(); err != nil || len(r.GetEvents()) != 0 {
				t.Fatalf("after the expected events: %d events, %v; want a keepalive", len(r.GetEvents()), err)
			}
			if got := s.Stats().EventsDelivered - before; got != int64(total) {
				t.Fatalf("EventsDelivered grew by %d, want %d (copies count)", got, total)
			}
		})
	}
}
