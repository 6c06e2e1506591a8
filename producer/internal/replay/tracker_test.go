package replay

import (
	"bytes"
	"encoding/binary"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

func rid(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func safeIs(t *testing.T, tr *Tracker, want []byte) {
	t.Helper()
	got, ok := tr.Safe()
	if want == nil {
		if ok {
			t.Fatalf("safe = %x, want nothing safe yet", got)
		}
		return
	}
	if !ok || !bytes.Equal(got, want) {
		t.Fatalf("safe = %x (%v), want %x", got, ok, want)
	}
}

func TestOutOfOrderAcks(t *testing.T) {
	t.Parallel()
	var tr Tracker
	a := tr.Delivered(rid(10), 2) // a merged event: two records
	b := tr.Delivered(rid(20), 1)
	safeIs(t, &tr, nil)
	if err := tr.Acked(b); err != nil {
		t.Fatal(err)
	}
	safeIs(t, &tr, nil) // b is acknowledged, but a is not
	if err := tr.Acked(a); err != nil {
		t.Fatal(err)
	}
	safeIs(t, &tr, nil) // one of a's two records left
	if err := tr.Acked(a); err != nil {
		t.Fatal(err)
	}
	safeIs(t, &tr, rid(20))
	if ev, rec := tr.InFlight(); ev != 0 || rec != 0 {
		t.Fatalf("in flight %d events, %d records", ev, rec)
	}
}

func TestKeepaliveAndSkippedEvents(t *testing.T) {
	t.Parallel()
	var tr Tracker
	tr.Keepalive(rid(5))
	safeIs(t, &tr, rid(5)) // nothing in flight: the keepalive is safe at once
	a := tr.Delivered(rid(7), 1)
	tr.Delivered(rid(8), 0) // skipped: no records
	tr.Keepalive(rid(9))
	safeIs(t, &tr, rid(5))
	if err := tr.Acked(a); err != nil {
		t.Fatal(err)
	}
	safeIs(t, &tr, rid(9))
}

func TestMisuseIsAnError(t *testing.T) {
	t.Parallel()
	var tr Tracker
	a := tr.Delivered(rid(1), 1)
	if err := tr.Acked(a); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		scenario string
		ticket   Ticket
	}{
		{scenario: "already safe", ticket: a},
		{scenario: "never delivered", ticket: a + 5},
	} {
		if err := tr.Acked(tc.ticket); err == nil {
			t.Errorf("%s: Acked(%d) = nil, want an error", tc.scenario, tc.ticket)
		}
	}
	b := tr.Delivered(rid(2), 1)
	tr.Delivered(rid(3), 1)
	if err := tr.Acked(b); err != nil {
		t.Fatal(err)
	}
	if err := tr.Acked(b); err == nil {
		t.Error("a second ack of a one-record event = nil, want an error")
	}
}

func TestDeliveredCopiesTheReplayID(t *testing.T) {
	t.Parallel()
	var tr Tracker
	id := rid(42)
	tr.Delivered(id, 0)
	id[7] = 0
	safeIs(t, &tr, rid(42))
}

// TestSafeNeverRunsAhead checks, for any delivery and any order of
// acknowledgements, that the safe position is always an event whose every
// record, and every earlier event's, is acknowledged, and that it reaches
// the last event once everything is.
func TestSafeNeverRunsAhead(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(rt *rapid.T) {
		var tr Tracker
		n := rapid.IntRange(1, 40).Draw(rt, "events")
		records := make([]int, n)
		var pending []Ticket // one entry per unacknowledged record
		for i := range n {
			records[i] = rapid.IntRange(0, 3).Draw(rt, "records")
			tk := tr.Delivered(rid(uint64(i+1)*10), records[i])
			for range records[i] {
				pending = append(pending, tk)
			}
		}
		acked := make([]int, n)
		for len(pending) > 0 {
			i := rapid.IntRange(0, len(pending)-1).Draw(rt, "ack")
			tk := pending[i]
			pending = append(pending[:i], pending[i+1:]...)
			if err := tr.Acked(tk); err != nil {
				rt.Fatal(err)
			}
			acked[tk]++
			// The newest event whose every record and every earlier
			// event's records are acknowledged.
			want := -1
			for e := range n {
				if acked[e] != records[e] {
					break
				}
				want = e
			}
			got, ok := tr.Safe()
			if want < 0 {
				if ok {
					rt.Fatalf("safe %x before any event is", got)
				}
				continue
			}
			if !ok || !bytes.Equal(got, rid(uint64(want+1)*10)) {
				rt.Fatalf("safe %x, want event %d", got, want)
			}
		}
		if got, _ := tr.Safe(); !bytes.Equal(got, rid(uint64(n)*10)) {
			rt.Fatalf("all acknowledged, safe %x, want the last event", got)
		}
	})
}

func TestConcurrentAcks(t *testing.T) {
	t.Parallel()
	var tr Tracker
	const events, per = 200, 3
	tickets := make([]Ticket, events)
	for i := range events {
		tickets[i] = tr.Delivered(rid(uint64(i+1)), per)
	}
	var wg sync.WaitGroup
	for w := range per {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range events {
				if err := tr.Acked(tickets[(i*7+w)%events]); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	safeIs(t, &tr, rid(events))
}

// TestFailedRecordHoldsThePosition: a failed record is no longer in
// flight, but neither its event nor any later one becomes safe.
func TestFailedRecordHoldsThePosition(t *testing.T) {
	t.Parallel()
	var tr Tracker
	a := tr.Delivered(rid(1), 1)
	b := tr.Delivered(rid(2), 2)
	c := tr.Delivered(rid(3), 1)
	for _, tk := range []Ticket{a, b, c} {
		if err := tr.Acked(tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Failed(b); err != nil {
		t.Fatal(err)
	}
	safeIs(t, &tr, rid(1))
	if events, records := tr.InFlight(); events != 2 || records != 0 {
		t.Errorf("in flight: %d events, %d records; want 2 and 0", events, records)
	}
	if err := tr.Failed(b); err == nil {
		t.Error("a failure past the event's records = nil, want an error")
	}
}

// TestUnacknowledged counts the records in flight and those that failed.
func TestUnacknowledged(t *testing.T) {
	t.Parallel()
	var tr Tracker
	a := tr.Delivered(rid(1), 3)
	if err := tr.Acked(a); err != nil {
		t.Fatal(err)
	}
	if err := tr.Failed(a); err != nil {
		t.Fatal(err)
	}
	if got := tr.Unacknowledged(); got != 2 {
		t.Errorf("Unacknowledged = %d, want 2 (one in flight, one failed)", got)
	}
	if _, records := tr.InFlight(); records != 1 {
		t.Errorf("records in flight = %d, want 1", records)
	}
}
