package sffake

import (
	"errors"
	"fmt"
	"io"

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
	s := p.s
	ctx := stream.Context()
	rpcID := rpcIDFrom(ctx)
	drop, stall := s.faults.signals()

	first, err := stream.Recv()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	topic := first.GetTopicName()
	if _, err := p.lookupTopic(topic, "topic.validation.empty"); err != nil {
		return err
	}
	if first.GetNumRequested() <= 0 {
		return errRequested()
	}
	pos, err := p.startPosition(topic, first)
	if err != nil {
		return err
	}
	counter := min(first.GetNumRequested(), maxPending)
	if s.limits.remaining(LimitDailyDeliveredPlatformEvents) <= 0 {
		return errAllocation()
	}

	s.stats.subs.Add(1)
	defer s.stats.subs.Add(-1)
	reqs, errs := recvLoop(ctx, stream.Recv)

	timer := s.clock.NewTimer(s.cfg.keepalive)
	resetTimer := func() {
		timer.Stop()
		d := s.cfg.keepalive
		if counter == 0 {
			d = s.cfg.idleTimeout
		}
		timer = s.clock.NewTimer(d)
	}
	defer func() { timer.Stop() }()
	var (
		stalled       bool
		keepaliveDue  bool
		timerC        = timer.C()
		changed       <-chan struct{}
		owed          *bus.Event // a copy of a delivered event due by DuplicateNext
		subscribedLog = s.log.With("topic", topic, "rpc_id", rpcID)
	)
	subscribedLog.Debug("subscribed", "position", pos, "requested", counter)
	for {
		if !stalled {
			changed = s.bus.Changed(topic)
			if counter > 0 {
				// Deliver no more than the delivery allocation has left;
				// once it is used up, the next event ends the stream.
				want := int(min(int64(counter), s.limits.remaining(LimitDailyDeliveredPlatformEvents)))
				exhausted := want <= 0
				evs, tip, err := s.bus.Read(topic, pos, max(want, 1), maxResponseBytes)
				if err != nil {
					return apiError(codes.Internal, "subscription.internal.error", err.Error())
				}
				if exhausted && (len(evs) > 0 || owed != nil) {
					return errAllocation()
				}
				out, n := s.faults.withDuplicates(&owed, evs, want)
				switch {
				case len(out) > 0:
					resp := &eventbus.FetchResponse{RpcId: rpcID, Events: make([]*eventbus.ConsumerEvent, len(out))}
					for i, e := range out {
						resp.Events[i] = &eventbus.ConsumerEvent{
							Event:    &eventbus.ProducerEvent{Id: e.ID, SchemaId: e.SchemaID, Payload: e.Payload},
							ReplayId: bus.EncodeReplayID(e.ReplayID),
						}
					}
					if n > 0 {
						pos = evs[n-1].ReplayID
					}
					counter -= int32(len(out))
					resp.LatestReplayId = bus.EncodeReplayID(pos)
					resp.PendingNumRequested = counter
					// Counted before sending, so that a client that has
					// received the events sees them in /limits.
					s.stats.delivered.Add(int64(len(out)))
					if err := stream.Send(resp); err != nil {
						return err
					}
					keepaliveDue = false
					resetTimer()
					timerC = timer.C()
					continue
				case keepaliveDue:
					// Every event up to tip has been delivered, so the tip
					// is a safe position to resume from.
					if err := stream.Send(&eventbus.FetchResponse{
						RpcId: rpcID, LatestReplayId: bus.EncodeReplayID(tip), PendingNumRequested: counter,
					}); err != nil {
						return err
					}
					keepaliveDue = false
					resetTimer()
					timerC = timer.C()
				}
			}
		}
		select {
		case <-changed:
		case req := <-reqs:
			if t := req.GetTopicName(); t != "" && t != topic {
				return apiError(codes.InvalidArgument, "subscription.fetch.topic.mismatch",
					fmt.Sprintf("The topic %s differs from the subscription's topic %s.", t, topic))
			}
			if req.GetNumRequested() <= 0 {
				return errRequested()
			}
			counter = min(counter+req.GetNumRequested(), maxPending)
			if !stalled {
				resetTimer()
				timerC = timer.C()
			}
		case err := <-errs:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case <-timerC:
			if counter == 0 {
				return apiError(codes.DeadlineExceeded, "",
					fmt.Sprintf("The subscription was idle: no FetchRequest within %v of the last response.", s.cfg.idleTimeout))
			}
			keepaliveDue = true
		case <-stall:
			subscribedLog.Debug("stream stalled by fault injection")
			stalled, stall, changed, timerC = true, nil, nil, nil
			timer.Stop()
			s.stats.stalled.Add(1)
			defer s.stats.stalled.Add(-1)
		case <-drop:
			return transportError(msgDropped)
		case <-s.done:
			return apiError(codes.Unavailable, "service.unavailable", "The server is shutting down.")
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
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
