package sffake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/sffake/internal/bus"
)

// Subscribe flow control limits (spec §1.7.2).
const (
	// maxPending caps the events requested but not yet delivered on one
	// stream.
	maxPending = 100
	// maxResponseBytes bounds the payloads of one FetchResponse, leaving
	// room under gRPC's 4 MB message size.
	maxResponseBytes = 3 << 20
)

// Subscribe serves a subscription (spec §1.7). The first FetchRequest
// names the topic, the replay preset and the first events requested;
// later requests add to the stream's counter, which is capped at 100.
// Events go out as soon as they are stored and requested, at most the
// counter per response and under 4 MB, each response reporting the
// counter left in pending_num_requested. While events are owed and none
// arrive, an empty keepalive response carrying the bus tip as
// latest_replay_id goes out every keepalive interval; when nothing is
// owed, the stream ends with DEADLINE_EXCEEDED (no error-code; the status
// is the emulator's choice) unless a request arrives within the idle
// timeout of the last response.
//
// CUSTOM replays strictly after the given replay id, which must be 8
// bytes, not beyond the bus tip and inside the retention window, else the
// stream fails with replayid.corrupted; any such position is accepted,
// even one between two events of the topic (a keepalive's tip).
//
// Deliveries count against [LimitDailyDeliveredPlatformEvents]: with none
// left, Subscribe fails at once, and an open stream fails when an event
// it would deliver finds none left, with RESOURCE_EXHAUSTED
// subscription.limit.exceeded.
//
// While [Server.DuplicateNext] has events left to double, each delivered
// event is followed by a copy of itself, in the same response when the
// counter allows, else first in the next one.
func (p *pubsub) Subscribe(stream eventbus.PubSub_SubscribeServer) error {
	drop, stall := p.s.faults.signals()
	first, err := stream.Recv()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	sub, err := p.open(stream, first)
	if err != nil {
		return err
	}
	sub.drop, sub.stall = drop, stall
	p.s.stats.subs.Add(1)
	defer p.s.stats.subs.Add(-1)
	sub.reqs, sub.errs = recvLoop(sub.ctx, stream.Recv)
	sub.start()
	defer sub.stop()
	for {
		if err := sub.next(); err != nil {
			if errors.Is(err, errStreamEnded) {
				return nil
			}
			return err
		}
	}
}

// errStreamEnded ends a subscription without an error: the client
// closed its side of the stream.
var errStreamEnded = errors.New("stream ended by the client")

// subscription is the state of one Subscribe stream. Each event of the
// stream has its method: [subscription.credit] for a later FetchRequest,
// [subscription.deliver] for new events, [subscription.tick] for the
// keepalive timer, [subscription.stallNow] for the stall fault and
// [subscription.closed] for the end of the client's requests. A
// subscription is used by its stream's goroutine only.
type subscription struct {
	s      *Server
	stream eventbus.PubSub_SubscribeServer
	ctx    context.Context
	rpcID  string
	topic  string
	log    *slog.Logger

	reqs        <-chan *eventbus.FetchRequest
	errs        <-chan error
	drop, stall <-chan struct{} // closed by DropStreams and StallStreams

	pos          uint64     // the replay id the stream has delivered up to
	counter      int32      // events requested and not yet delivered
	owed         *bus.Event // a copy of a delivered event due by DuplicateNext
	timer        Timer      // the keepalive or, with nothing requested, idle timer
	keepaliveDue bool       // the timer fired while events were requested
	stalled      bool       // StallStreams silenced the stream
}

// open checks the first FetchRequest of a stream (the request) and
// returns the subscription it starts.
func (p *pubsub) open(stream eventbus.PubSub_SubscribeServer, first *eventbus.FetchRequest) (*subscription, error) {
	s := p.s
	topic := first.GetTopicName()
	if _, err := p.lookupTopic(topic, "topic.validation.empty"); err != nil {
		return nil, err
	}
	if first.GetNumRequested() <= 0 {
		return nil, errRequested()
	}
	pos, err := p.startPosition(topic, first)
	if err != nil {
		return nil, err
	}
	if s.limits.remaining(LimitDailyDeliveredPlatformEvents) <= 0 {
		return nil, errAllocation()
	}
	ctx := stream.Context()
	rpcID := rpcIDFrom(ctx)
	return &subscription{
		s: s, stream: stream, ctx: ctx, rpcID: rpcID, topic: topic,
		log: s.log.With("topic", topic, "rpc_id", rpcID),
		pos: pos, counter: min(first.GetNumRequested(), maxPending),
	}, nil
}

// start arms the first keepalive timer.
func (sub *subscription) start() {
	sub.timer = sub.s.clock.NewTimer(sub.s.cfg.keepalive)
	sub.log.Debug("subscribed", "position", sub.pos, "requested", sub.counter)
}

// stop releases the timer and the stall count when the stream ends.
func (sub *subscription) stop() {
	sub.timer.Stop()
	if sub.stalled {
		sub.s.stats.stalled.Add(-1)
	}
}

// next sends what the stream owes, then waits for one event and handles
// it.
func (sub *subscription) next() error {
	var changed <-chan struct{}
	if !sub.stalled {
		var err error
		if changed, err = sub.pump(); err != nil {
			return err
		}
	}
	var timerC <-chan time.Time
	if !sub.stalled {
		timerC = sub.timer.C()
	}
	select {
	case <-changed:
		return nil
	case req := <-sub.reqs:
		return sub.credit(req)
	case err := <-sub.errs:
		return sub.closed(err)
	case <-timerC:
		return sub.tick()
	case <-sub.stall:
		sub.stallNow()
		return nil
	case <-sub.drop:
		return transportError(msgDropped)
	case <-sub.s.done:
		return apiError(codes.Unavailable, "service.unavailable", "The server is shutting down.")
	case <-sub.ctx.Done():
		return status.FromContextError(sub.ctx.Err()).Err()
	}
}

// pump delivers until there is nothing more to send, and returns the
// channel that is closed when the topic next changes, taken before the
// last read of the bus.
func (sub *subscription) pump() (<-chan struct{}, error) {
	for {
		changed := sub.s.bus.Changed(sub.topic)
		sent, err := sub.deliver()
		if err != nil || !sent {
			return changed, err
		}
	}
}

// deliver sends the new events the counter allows, or a keepalive when
// one is due and there are none, and reports whether it sent events.
// It delivers no more than the delivery allocation has left; once that
// is used up, the next event ends the stream.
func (sub *subscription) deliver() (bool, error) {
	s := sub.s
	if sub.counter == 0 {
		return false, nil
	}
	want := int(min(int64(sub.counter), s.limits.remaining(LimitDailyDeliveredPlatformEvents)))
	evs, tip, err := s.bus.Read(sub.topic, sub.pos, max(want, 1), maxResponseBytes)
	if err != nil {
		return false, apiError(codes.Internal, "subscription.internal.error", err.Error())
	}
	if want <= 0 && (len(evs) > 0 || sub.owed != nil) {
		return false, errAllocation()
	}
	out, n := s.faults.withDuplicates(&sub.owed, evs, want)
	switch {
	case len(out) > 0:
		if n > 0 {
			sub.pos = evs[n-1].ReplayID
		}
		return true, sub.sendEvents(out)
	case sub.keepaliveDue:
		// Every event up to tip has been delivered, so the tip is a safe
		// position to resume from.
		return false, sub.send(&eventbus.FetchResponse{
			RpcId: sub.rpcID, LatestReplayId: bus.EncodeReplayID(tip), PendingNumRequested: sub.counter,
		})
	}
	return false, nil
}

// sendEvents sends out in one response, counting them against the
// counter and the delivery statistics.
func (sub *subscription) sendEvents(out []bus.Event) error {
	resp := &eventbus.FetchResponse{RpcId: sub.rpcID, Events: make([]*eventbus.ConsumerEvent, len(out))}
	for i, e := range out {
		resp.Events[i] = &eventbus.ConsumerEvent{
			Event:    &eventbus.ProducerEvent{Id: e.ID, SchemaId: e.SchemaID, Payload: e.Payload},
			ReplayId: bus.EncodeReplayID(e.ReplayID),
		}
	}
	sub.counter -= int32(len(out))
	resp.LatestReplayId = bus.EncodeReplayID(sub.pos)
	resp.PendingNumRequested = sub.counter
	// Counted before sending, so that a client that has received the
	// events sees them in /limits.
	sub.s.stats.delivered.Add(int64(len(out)))
	return sub.send(resp)
}

// send sends resp and restarts the timer.
func (sub *subscription) send(resp *eventbus.FetchResponse) error {
	if err := sub.stream.Send(resp); err != nil {
		return err
	}
	sub.keepaliveDue = false
	sub.rearm()
	return nil
}

// rearm restarts the timer: the keepalive interval while events are
// requested, else the idle timeout.
func (sub *subscription) rearm() {
	sub.timer.Stop()
	d := sub.s.cfg.keepalive
	if sub.counter == 0 {
		d = sub.s.cfg.idleTimeout
	}
	sub.timer = sub.s.clock.NewTimer(d)
}

// credit handles a later FetchRequest: it adds to the counter, capped at
// maxPending.
func (sub *subscription) credit(req *eventbus.FetchRequest) error {
	if t := req.GetTopicName(); t != "" && t != sub.topic {
		return apiError(codes.InvalidArgument, "subscription.fetch.topic.mismatch",
			fmt.Sprintf("The topic %s differs from the subscription's topic %s.", t, sub.topic))
	}
	if req.GetNumRequested() <= 0 {
		return errRequested()
	}
	sub.counter = min(sub.counter+req.GetNumRequested(), maxPending)
	if !sub.stalled {
		sub.rearm()
	}
	return nil
}

// tick handles the timer: with nothing requested the stream was idle
// and ends, else a keepalive is due.
func (sub *subscription) tick() error {
	if sub.counter == 0 {
		return apiError(codes.DeadlineExceeded, "",
			fmt.Sprintf("The subscription was idle: no FetchRequest within %v of the last response.", sub.s.cfg.idleTimeout))
	}
	sub.keepaliveDue = true
	return nil
}

// stallNow silences the stream: no more events, keepalives or idle
// close until it ends.
func (sub *subscription) stallNow() {
	sub.log.Debug("stream stalled by fault injection")
	sub.stalled, sub.stall = true, nil
	sub.timer.Stop()
	sub.s.stats.stalled.Add(1)
}

// closed handles the end of the client's requests: EOF ends the stream
// without an error.
func (sub *subscription) closed(err error) error {
	if errors.Is(err, io.EOF) {
		return errStreamEnded
	}
	return err
}

// errAllocation is the error of a subscription when the org's delivery
// allocation is used up (spec §1.6); the status is the emulator's choice.
func errAllocation() error {
	return apiError(codes.ResourceExhausted, "subscription.limit.exceeded",
		"You have exceeded the event delivery limit for your org.")
}

func errRequested() error {
	return apiError(codes.InvalidArgument, "subscription.fetch.requested.events.invalid",
		"The requested number of events in a fetch request must be greater than zero.")
}

// startPosition returns the position after which the subscription
// starts.
func (p *pubsub) startPosition(topic string, req *eventbus.FetchRequest) (uint64, error) {
	b := p.s.bus
	switch req.GetReplayPreset() {
	case eventbus.ReplayPreset_LATEST:
		return b.Tip(), nil
	case eventbus.ReplayPreset_EARLIEST:
		return b.Earliest(topic)
	case eventbus.ReplayPreset_CUSTOM:
		if len(req.GetReplayId()) == 0 {
			return 0, apiError(codes.InvalidArgument, "subscription.fetch.replayid.validation.failed",
				"The replay_preset field in FetchRequest is set to ReplayPreset.CUSTOM, but no Replay ID value is set.")
		}
		pos, err := bus.ParseReplayID(req.GetReplayId())
		if err == nil {
			err = b.Check(topic, pos)
		}
		if err != nil {
			return 0, apiError(codes.InvalidArgument, "subscription.fetch.replayid.corrupted",
				"Replay ID validation failed. Ensure that the Replay ID is valid and inside the retention window.")
		}
		return pos, nil
	}
	return 0, apiError(codes.InvalidArgument, "subscription.fetch.request.invalid",
		fmt.Sprintf("Unknown replay preset %d.", req.GetReplayPreset()))
}
