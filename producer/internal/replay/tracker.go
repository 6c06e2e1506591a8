package replay

import (
	"fmt"
	"slices"
	"sync"
)

// Ticket identifies one delivered event to [Tracker.Acked].
type Ticket uint64

// Tracker follows the events of one subscription, in delivery order, from
// delivery to Kafka acknowledgement. An event becomes safe when every
// Kafka record made from it is acknowledged and every event delivered
// before it is safe; acknowledgements may come in any order, as records
// of one event go to different partitions. A keepalive's latest replay id
// is a position with no records: it becomes safe once everything
// delivered before it is. The zero Tracker is ready to use and safe for
// concurrent use.
type Tracker struct {
	mu      sync.Mutex
	base    Ticket  // ticket of queue[0]
	queue   []entry // delivered, not yet safe, in delivery order
	safe    []byte  // newest safe replay id, nil before the first
	records int     // records delivered and not yet acknowledged or failed
	failed  int     // records Kafka gave up on
}

type entry struct {
	replayID  []byte
	remaining int
	failed    bool // a record of it failed: it never becomes safe
}

// Delivered records an event that was delivered at replayID and became
// records Kafka records (zero for an event that is skipped, such as an
// entity the mapping does not name), and returns the ticket to
// acknowledge them with. The replay id is copied.
func (t *Tracker) Delivered(replayID []byte, records int) Ticket {
	t.mu.Lock()
	defer t.mu.Unlock()
	tk := t.base + Ticket(len(t.queue))
	t.queue = append(t.queue, entry{replayID: slices.Clone(replayID), remaining: max(records, 0)})
	t.records += max(records, 0)
	t.advance()
	return tk
}

// Keepalive records a keepalive's latest replay id: a position after
// every event delivered so far.
func (t *Tracker) Keepalive(replayID []byte) { t.Delivered(replayID, 0) }

// Acked records that Kafka acknowledged one record of the event with
// ticket tk. Acknowledging more records than the event had, or an event
// already safe, is an error: it means the caller counts wrongly, and a
// checkpoint could run ahead of Kafka.
func (t *Tracker) Acked(tk Ticket) error { return t.settle(tk, false) }

// Failed records that Kafka gave up on one record of the event with
// ticket tk: the record is no longer in flight, and the event, with
// everything delivered after it, never becomes safe, so the next
// subscription resumes before it. Errors are as for [Tracker.Acked].
func (t *Tracker) Failed(tk Ticket) error { return t.settle(tk, true) }

// settle counts one record of the event with ticket tk as no longer in
// flight, written or failed.
func (t *Tracker) settle(tk Ticket, failed bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tk < t.base || tk >= t.base+Ticket(len(t.queue)) {
		return fmt.Errorf("checkpoint: ticket %d is not in flight (in flight: %d to %d)", tk, t.base, t.base+Ticket(len(t.queue)))
	}
	e := &t.queue[tk-t.base]
	if e.remaining == 0 {
		return fmt.Errorf("checkpoint: ticket %d acknowledged more often than it has records", tk)
	}
	e.remaining--
	e.failed = e.failed || failed
	t.records--
	if failed {
		t.failed++
	}
	t.advance()
	return nil
}

// advance moves the safe position past the leading events with nothing
// left to acknowledge. t.mu must be held.
func (t *Tracker) advance() {
	n := 0
	for n < len(t.queue) && t.queue[n].remaining == 0 && !t.queue[n].failed {
		t.safe = t.queue[n].replayID
		n++
	}
	if n == 0 {
		return
	}
	t.base += Ticket(n)
	t.queue = t.queue[n:]
	if len(t.queue) == 0 {
		t.queue = nil // let the backing array go
	}
}

// Safe returns the newest replay id that may be stored, and false when no
// event is safe yet. The caller must not modify the returned slice.
func (t *Tracker) Safe() ([]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.safe, t.safe != nil
}

// Unacknowledged returns the number of Kafka records not acknowledged:
// in flight or failed.
func (t *Tracker) Unacknowledged() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.records + t.failed
}

// InFlight returns the number of events delivered and not yet safe, and
// of Kafka records neither acknowledged nor failed.
func (t *Tracker) InFlight() (events, records int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.queue), t.records
}
