package pubsub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/sfsync/sfsync/salesforce/eventbus"
)

// ReplayPreset says where a subscription starts.
type ReplayPreset = eventbus.ReplayPreset

// Replay presets (spec §1.7.4).
const (
	// Latest starts with the first event published after subscribing.
	Latest = eventbus.ReplayPreset_LATEST
	// Earliest starts with the oldest retained event.
	Earliest = eventbus.ReplayPreset_EARLIEST
	// Custom starts strictly after SubscribeRequest.ReplayID.
	Custom = eventbus.ReplayPreset_CUSTOM
)

// Subscription defaults.
const (
	// MaxRequested is the server's cap on events requested but not yet
	// delivered on one Subscribe call (spec §1.7.2).
	MaxRequested = 100
	// DefaultCapacity is the default number of events a subscription may
	// hold: buffered plus requested from the server.
	DefaultCapacity = MaxRequested
	// DefaultStallTimeout is how long a subscription may receive nothing,
	// neither events nor keepalives, before the watchdog ends it with
	// [ErrStalled]: the 270 s keepalive bound plus a 30 s margin.
	DefaultStallTimeout = 300 * time.Second
)

// SubscribeRequest says what to subscribe to.
type SubscribeRequest struct {
	// Topic is the topic name, e.g. /data/AccountChangeEvent. Required.
	Topic string
	// Preset is where to start; the default is [Latest].
	Preset ReplayPreset
	// ReplayID is the position to start strictly after, required with
	// [Custom] and ignored otherwise. Pass bytes exactly as received.
	ReplayID []byte
	// Capacity is how many events the caller lets the subscription hold:
	// events received but not yet returned by Next plus events requested
	// from the server and not yet received. It is the caller's
	// backpressure bound; the default is [DefaultCapacity]. At most
	// [MaxRequested] are ever requested at once.
	Capacity int
	// StallTimeout ends the subscription with [ErrStalled] when nothing
	// arrives for that long. The default is [DefaultStallTimeout]; it
	// must exceed the server's keepalive interval.
	StallTimeout time.Duration
}

// Stats are traffic counters.
type Stats struct {
	// Events counts events received, decodable or not.
	Events int64
	// Keepalives counts responses without events.
	Keepalives int64
	// Bytes counts event payload bytes received.
	Bytes int64
	// DecodeErrors counts events delivered with a DecodeErr.
	DecodeErrors int64
	// FetchRequests counts FetchRequests sent.
	FetchRequests int64
}

type counters struct {
	events, keepalives, bytes, decodeErrors, fetches atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Events: c.events.Load(), Keepalives: c.keepalives.Load(), Bytes: c.bytes.Load(),
		DecodeErrors: c.decodeErrors.Load(), FetchRequests: c.fetches.Load(),
	}
}

// Subscription is an open Subscribe stream. The caller pulls events with
// [Subscription.Next]; the subscription requests more from the server
// only as the caller consumes them, so it never holds more than its
// capacity (see [Client.Subscribe] for the credit policy). Next, Close,
// LatestReplayID and Stats are safe for concurrent use.
type Subscription struct {
	c        *Client
	topic    string
	capacity int
	stream   eventbus.PubSub_SubscribeClient
	ctx      context.Context
	cancel   context.CancelCauseFunc
	tok      Token
	trace    string

	items    chan Event
	kaSig    chan struct{}
	activity chan struct{}
	done     chan struct{}
	err      error // set before done is closed

	mu          sync.Mutex
	outstanding int   // requested from the server, not yet received
	received    int64 // events put into items
	consumed    int64 // events taken by Next
	resume      []byte
	pendingKA   []byte // a latest_replay_id safe once consumed ≥ pendingSeq
	pendingSeq  int64
	kaReport    bool // resume advanced by a keepalive, not yet reported

	sendMu sync.Mutex
	stats  counters
}

// Subscribe opens a subscription. ctx bounds its whole life; cancel ctx or
// call Close to end it. Errors of the server's checks of the first
// request (replay id, topic, auth) arrive through Next, since the server
// answers only when it has events or a keepalive.
//
// Credit policy: the first FetchRequest asks for min(Capacity, 100)
// events. Whenever the caller takes an event (and, with a capacity above
// 100, whenever events arrive), the free capacity is Capacity minus the
// events buffered minus the events still requested; the subscription
// requests it, capped so that at most 100 are outstanding, once it
// reaches half of min(Capacity, 100) or at once when nothing is
// outstanding, so a drained counter is topped up as soon as the caller
// makes room and the server's 60 s rule is honoured. The server thus
// never owes more than Capacity events. A caller that holds a full
// buffer for over 60 s makes the server close the stream (a retryable
// DEADLINE_EXCEEDED); resume from
// [Subscription.LatestReplayID].
func (c *Client) Subscribe(ctx context.Context, req SubscribeRequest) (*Subscription, error) {
	if req.Topic == "" {
		return nil, errors.New("subscribe: empty topic")
	}
	if req.Preset == Custom && len(req.ReplayID) == 0 {
		return nil, fmt.Errorf("subscribe %s: custom preset without a replay id", req.Topic)
	}
	if req.Capacity <= 0 {
		req.Capacity = DefaultCapacity
	}
	if req.StallTimeout <= 0 {
		req.StallTimeout = DefaultStallTimeout
	}
	sctx, cancel := context.WithCancelCause(ctx)
	cctx, tok, trace, err := c.callContext(sctx)
	if err != nil {
		cancel(nil)
		return nil, fmt.Errorf("subscribe %s: %w", req.Topic, err)
	}
	stream, err := c.api.Subscribe(cctx)
	if err != nil {
		cancel(nil)
		return nil, fmt.Errorf("subscribe %s: %w", req.Topic, fromStatus(err, metadata.MD{}, trace))
	}
	s := &Subscription{
		c: c, topic: req.Topic, capacity: req.Capacity, stream: stream,
		ctx: sctx, cancel: cancel, tok: tok, trace: trace,
		items:    make(chan Event, req.Capacity),
		kaSig:    make(chan struct{}, 1),
		activity: make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	first := &eventbus.FetchRequest{TopicName: req.Topic, ReplayPreset: req.Preset, NumRequested: int32(min(req.Capacity, MaxRequested))}
	if req.Preset == Custom {
		first.ReplayId = req.ReplayID
		s.resume = append([]byte(nil), req.ReplayID...)
	}
	s.outstanding = int(first.NumRequested)
	// io.EOF means the server already ended the stream (a refused token,
	// say); recvLoop receives the status that says why.
	if err := s.send(first); err != nil && !errors.Is(err, io.EOF) {
		cancel(nil)
		return nil, fmt.Errorf("subscribe %s: %w", req.Topic, fromStatus(err, stream.Trailer(), trace))
	}
	go s.recvLoop()
	go s.watchdog(req.StallTimeout)
	c.log.Debug("pubsub subscribed", "topic", req.Topic, "preset", req.Preset.String(), "requested", first.NumRequested, "trace_id", trace)
	return s, nil
}

func (s *Subscription) send(req *eventbus.FetchRequest) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	s.stats.fetches.Add(1)
	s.c.stats.fetches.Add(1)
	return s.stream.Send(req)
}

// Topic returns the subscription's topic.
func (s *Subscription) Topic() string { return s.topic }

// Next returns the next event, waiting for one until ctx is done. When no
// event is buffered and a keepalive moved the safe resume position, it
// returns an event with Keepalive set and ReplayID that position, so an
// idle subscription can checkpoint too. After the stream ended, Next
// returns the buffered events, then the error that ended it (see
// [IsRetryable]).
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		select {
		case ev := <-s.items:
			return s.took(ev), nil
		default:
		}
		select {
		case ev := <-s.items:
			return s.took(ev), nil
		case <-s.kaSig:
			if ev, ok := s.keepalive(); ok {
				return ev, nil
			}
		case <-s.done:
			select {
			case ev := <-s.items:
				return s.took(ev), nil
			default:
				return Event{}, s.err
			}
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// took records that the caller took ev and tops up credits.
func (s *Subscription) took(ev Event) Event {
	s.mu.Lock()
	s.consumed++
	s.resume = ev.ReplayID
	if s.pendingKA != nil && s.pendingSeq <= s.consumed {
		s.resume, s.pendingKA = s.pendingKA, nil
	}
	ask := s.creditsLocked()
	s.mu.Unlock()
	s.request(ask)
	return ev
}

// creditsLocked returns how many events to request now, and counts them
// as outstanding: the free capacity, capped so that at most MaxRequested
// are outstanding, when it reaches half the capacity or nothing is
// outstanding. s.mu must be held.
func (s *Subscription) creditsLocked() int {
	free := s.capacity - s.outstanding - int(s.received-s.consumed)
	ask := min(free, MaxRequested-s.outstanding)
	threshold := max(1, min(s.capacity, MaxRequested)/2)
	if ask <= 0 || (s.outstanding > 0 && ask < threshold) {
		return 0
	}
	s.outstanding += ask
	return ask
}

// request sends a FetchRequest for n events, if n > 0.
func (s *Subscription) request(n int) {
	if n <= 0 {
		return
	}
	if err := s.send(&eventbus.FetchRequest{TopicName: s.topic, NumRequested: int32(n)}); err != nil {
		// The stream is broken; Recv reports why.
		s.c.log.Debug("pubsub fetch request failed", "topic", s.topic, "err", err)
	}
}

func (s *Subscription) keepalive() (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.kaReport || s.received != s.consumed {
		return Event{}, false
	}
	s.kaReport = false
	return Event{Keepalive: true, Topic: s.topic, ReplayID: s.resume}, true
}

// LatestReplayID returns the position from which a new subscription
// resumes without skipping anything the caller has not taken yet: the
// replay id of the last event Next returned, or a newer latest_replay_id
// from a keepalive once every event before it was taken. It is nil until
// the first of these (or the CUSTOM replay id subscribed with).
func (s *Subscription) LatestReplayID() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resume
}

// Stats returns the subscription's counters.
func (s *Subscription) Stats() Stats { return s.stats.snapshot() }

// Close ends the subscription and waits for its goroutines; Next then
// returns [ErrClosed].
func (s *Subscription) Close() error {
	s.cancel(ErrClosed)
	<-s.done
	return nil
}

// Done is closed when the stream has ended; buffered events may remain.
func (s *Subscription) Done() <-chan struct{} { return s.done }

func (s *Subscription) recvLoop() {
	for {
		resp, err := s.stream.Recv()
		if err != nil {
			s.fail(err)
			return
		}
		select {
		case s.activity <- struct{}{}:
		default:
		}
		evs := resp.GetEvents()
		if len(evs) == 0 {
			s.stats.keepalives.Add(1)
			s.c.stats.keepalives.Add(1)
		}
		s.mu.Lock()
		s.outstanding = max(0, s.outstanding-len(evs))
		s.received += int64(len(evs))
		if lr := resp.GetLatestReplayId(); len(lr) > 0 {
			switch {
			case len(evs) == 0 && s.received == s.consumed:
				s.resume, s.pendingKA, s.kaReport = lr, nil, true
			default:
				s.pendingKA, s.pendingSeq = lr, s.received
			}
		}
		report := s.kaReport
		ask := 0
		if len(evs) > 0 {
			// With a capacity above the server's cap, room may remain
			// while the counter drains.
			ask = s.creditsLocked()
		}
		s.mu.Unlock()
		s.request(ask)
		if report {
			select {
			case s.kaSig <- struct{}{}:
			default:
			}
		}
		for _, ce := range evs {
			ev := s.decode(ce)
			select {
			case s.items <- ev: // never blocks: capacity bounds what was requested
			case <-s.ctx.Done():
				s.fail(context.Cause(s.ctx))
				return
			}
		}
	}
}

func (s *Subscription) decode(ce *eventbus.ConsumerEvent) Event {
	pe := ce.GetEvent()
	ev := Event{
		ReplayID: ce.GetReplayId(), ID: pe.GetId(), SchemaID: pe.GetSchemaId(),
		Topic: s.topic, Payload: pe.GetPayload(),
	}
	for _, c := range []*counters{&s.stats, &s.c.stats} {
		c.events.Add(1)
		c.bytes.Add(int64(len(ev.Payload)))
	}
	sch, err := s.c.GetSchema(s.ctx, ev.SchemaID)
	if err != nil {
		ev.DecodeErr = fmt.Errorf("%w %s: %w", ErrDecode, ev.ID, err)
	} else {
		DecodeEvent(sch, &ev)
	}
	if ev.DecodeErr != nil {
		s.stats.decodeErrors.Add(1)
		s.c.stats.decodeErrors.Add(1)
		s.c.log.Warn("pubsub event not decodable", "topic", s.topic, "event_id", ev.ID, "schema_id", ev.SchemaID, "err", ev.DecodeErr)
	}
	return ev
}

func (s *Subscription) fail(err error) {
	if cause := context.Cause(s.ctx); cause != nil {
		err = cause
	} else {
		err = fromStatus(err, s.stream.Trailer(), s.trace)
		s.c.authFailed(err, s.tok)
	}
	s.err = fmt.Errorf("subscribe %s: %w", s.topic, err)
	s.cancel(nil)
	close(s.done)
}

func (s *Subscription) watchdog(timeout time.Duration) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case <-s.activity:
			t.Reset(timeout)
		case <-t.C:
			s.c.log.Warn("pubsub subscription stalled", "topic", s.topic, "timeout", timeout)
			s.cancel(ErrStalled)
			return
		case <-s.done:
			return
		}
	}
}
