package bus

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Errors that the bus returns; test for them with [errors.Is].
var (
	// ErrNoTopic reports a topic the bus does not have.
	ErrNoTopic = errors.New("no such topic")
	// ErrExpired reports a position older than the retention window of
	// its topic: events after it may already have been purged.
	ErrExpired = errors.New("replay id outside the retention window")
	// ErrUnknown reports a position beyond the bus tip: the bus never
	// issued it.
	ErrUnknown = errors.New("unknown replay id")
)

// Event is one stored event.
type Event struct {
	// ReplayID is the event's position, assigned by [Bus.Append].
	ReplayID uint64
	// ID is the event id (a UUID), the platform event's EventUuid.
	ID string
	// SchemaID is the id of the Avro schema that wrote Payload.
	SchemaID string
	// Payload is the Avro binary encoding of the event.
	Payload []byte
	// Stored is when the event was appended, by the bus clock; retention
	// counts from it.
	Stored time.Time
}

// Config configures a [Bus]. The zero value is usable: time.Now, no
// retention limit, contiguous replay ids starting after 0.
type Config struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Retention is how long events are kept; 0 keeps them forever.
	Retention time.Duration
	// MaxGap is the largest number of unused positions left between two
	// consecutive replay ids, drawn uniformly from [0, MaxGap]; 0 makes the
	// bus's ids contiguous.
	MaxGap int
	// Seed seeds the gap randomness.
	Seed uint64
	// Start is the position before the first replay id.
	Start uint64
}

// Bus holds the topics and their events. It is safe for concurrent use.
type Bus struct {
	mu     sync.Mutex
	now    func() time.Time
	ret    time.Duration
	maxGap int
	rng    *rand.Rand
	tip    uint64
	topics map[string]*topic
}

type topic struct {
	events []Event
	// purgedThrough is the highest replay id removed from the topic by
	// retention or a purge: positions at or below it are expired.
	purgedThrough uint64
	// changed is closed and replaced on every append.
	changed chan struct{}
}

// New returns an empty bus.
func New(cfg Config) *Bus {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Bus{
		now:    now,
		ret:    cfg.Retention,
		maxGap: max(cfg.MaxGap, 0),
		rng:    rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5f5f5f5f)),
		tip:    cfg.Start,
		topics: make(map[string]*topic),
	}
}

// AddTopic creates the topic name if it does not exist yet. A new topic
// holds no events, and positions up to the current tip are expired in it
// only if they were never valid, so a subscription may start anywhere up to
// the tip.
func (b *Bus) AddTopic(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.topics[name]; !ok {
		b.topics[name] = &topic{changed: make(chan struct{})}
	}
}

// HasTopic reports whether the topic exists.
func (b *Bus) HasTopic(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.topics[name]
	return ok
}

// Append stores evs at the end of the topic, in order, assigning their
// replay ids and stored times, and wakes the topic's readers. It returns
// the stored events.
func (b *Bus) Append(name string, evs ...Event) ([]Event, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.topics[name]
	if !ok {
		return nil, fmt.Errorf("append to %s: %w", name, ErrNoTopic)
	}
	now := b.now()
	b.expire(t, now)
	out := make([]Event, len(evs))
	for i, e := range evs {
		b.tip += 1 + uint64(b.rng.IntN(b.maxGap+1))
		e.ReplayID = b.tip
		e.Stored = now
		out[i] = e
		t.events = append(t.events, e)
	}
	if len(evs) > 0 {
		close(t.changed)
		t.changed = make(chan struct{})
	}
	return out, nil
}

// Tip returns the latest position of the bus: the replay id last issued,
// on any topic.
func (b *Bus) Tip() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tip
}

// Changed returns a channel that is closed at the next append to the
// topic, or nil when the topic does not exist.
func (b *Bus) Changed(name string) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t, ok := b.topics[name]; ok {
		return t.changed
	}
	return nil
}

// Earliest returns the position before the oldest retained event of the
// topic: subscribing after it replays the whole retention window.
func (b *Bus) Earliest(name string) (uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.topics[name]
	if !ok {
		return 0, fmt.Errorf("earliest of %s: %w", name, ErrNoTopic)
	}
	b.expire(t, b.now())
	return t.purgedThrough, nil
}

// Check validates pos as a starting position in the topic: it fails with
// [ErrUnknown] beyond the tip, and with [ErrExpired] at or below the
// highest purged replay id of the topic. Any other position is valid, even
// one between two events (such as a keepalive's tip): reading after it
// skips no retained event.
func (b *Bus) Check(name string, pos uint64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.topics[name]
	if !ok {
		return fmt.Errorf("check position in %s: %w", name, ErrNoTopic)
	}
	b.expire(t, b.now())
	switch {
	case pos > b.tip:
		return fmt.Errorf("position %d beyond tip %d: %w", pos, b.tip, ErrUnknown)
	case t.purgedThrough > 0 && pos <= t.purgedThrough:
		return fmt.Errorf("position %d at or below purged %d: %w", pos, t.purgedThrough, ErrExpired)
	}
	return nil
}

// Read returns up to limit events of the topic with replay ids greater than
// after, in order, stopping before their payloads would exceed maxBytes
// (though it always returns at least one event when one is available). It
// also returns the tip as of the read: when no event is returned, every
// event of the topic up to the tip has been read. A reader whose unread
// events were purged continues with the oldest retained event.
func (b *Bus) Read(name string, after uint64, limit, maxBytes int) ([]Event, uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.topics[name]
	if !ok {
		return nil, 0, fmt.Errorf("read %s: %w", name, ErrNoTopic)
	}
	b.expire(t, b.now())
	i := search(t.events, after)
	var (
		out  []Event
		size int
	)
	for ; i < len(t.events) && len(out) < limit; i++ {
		e := t.events[i]
		if len(out) > 0 && size+len(e.Payload) > maxBytes {
			break
		}
		size += len(e.Payload)
		out = append(out, e)
	}
	return out, b.tip, nil
}

// search returns the index of the first event with a replay id greater
// than after.
func search(evs []Event, after uint64) int {
	lo, hi := 0, len(evs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if evs[m].ReplayID <= after {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// Len returns the number of retained events of the topic.
func (b *Bus) Len(name string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.topics[name]
	if !ok {
		return 0
	}
	b.expire(t, b.now())
	return len(t.events)
}

// ExpireBefore removes, from every topic, the events stored before cutoff,
// as retention would.
func (b *Bus) ExpireBefore(cutoff time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range b.topics {
		purgeBefore(t, cutoff)
	}
}

// Purge removes every event of every topic, as if the retention window had
// passed: positions up to each topic's last event become expired.
func (b *Bus) Purge() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range b.topics {
		if n := len(t.events); n > 0 {
			t.purgedThrough = t.events[n-1].ReplayID
		}
		t.events = nil
	}
}

// expire applies the retention window to t.
func (b *Bus) expire(t *topic, now time.Time) {
	if b.ret > 0 {
		purgeBefore(t, now.Add(-b.ret))
	}
}

func purgeBefore(t *topic, cutoff time.Time) {
	n := 0
	for n < len(t.events) && t.events[n].Stored.Before(cutoff) {
		n++
	}
	if n == 0 {
		return
	}
	t.purgedThrough = t.events[n-1].ReplayID
	t.events = append([]Event(nil), t.events[n:]...)
}
