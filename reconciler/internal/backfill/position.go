package backfill

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/schemas/checkpoint"
)

// Outcomes of a recorded position, in [Position.Checkpoint].
const (
	// CheckpointWritten: the producer had no checkpoint for the topic;
	// the recorded position was written as its checkpoint.
	CheckpointWritten = "written"
	// CheckpointKept: the producer already had a checkpoint for the
	// topic, which was left as it is.
	CheckpointKept = "kept"
)

// ProducerID is the ProducerID of the checkpoints a backfill writes.
const ProducerID = "sfsync-reconciler/backfill"

// Subscriber opens Pub/Sub API subscriptions; *pubsub.Client is one.
type Subscriber interface {
	Subscribe(ctx context.Context, req pubsub.SubscribeRequest) (*pubsub.Subscription, error)
}

// latestPosition returns the newest replay position of topic: the latest
// replay id of the first keepalive of a LATEST subscription, or the replay
// id of its first event, whichever comes first. Retryable subscription
// failures are retried a few times.
func latestPosition(ctx context.Context, sub Subscriber, topic string) ([]byte, error) {
	var last error
	for attempt := range 4 {
		if attempt > 0 {
			t := time.NewTimer(time.Duration(attempt) * time.Second)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("replay position of %s: %w (last error: %w)", topic, ctx.Err(), last)
			}
		}
		id, err := subscribeLatest(ctx, sub, topic)
		if err == nil {
			return id, nil
		}
		if !pubsub.IsRetryable(err) || ctx.Err() != nil {
			return nil, fmt.Errorf("replay position of %s: %w", topic, err)
		}
		last = err
	}
	return nil, fmt.Errorf("replay position of %s: %w", topic, last)
}

func subscribeLatest(ctx context.Context, sub Subscriber, topic string) ([]byte, error) {
	s, err := sub.Subscribe(ctx, pubsub.SubscribeRequest{Topic: topic, Preset: pubsub.Latest, Capacity: 1})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	for {
		ev, err := s.Next(ctx)
		if err != nil {
			return nil, err
		}
		if len(ev.ReplayID) > 0 {
			return slices.Clone(ev.ReplayID), nil
		}
	}
}

// recordPositions makes sure that every topic has a recorded position
// with a settled checkpoint outcome, and returns them in topic order.
// Positions a previous attempt of the run recorded are kept.
func (r *runner) recordPositions(ctx context.Context, topics []string) ([]Position, error) {
	saved, err := r.state.positions(ctx)
	if err != nil {
		return nil, err
	}
	var pending []string
	for _, t := range topics {
		if p, ok := saved[t]; !ok || p.Checkpoint == "" {
			pending = append(pending, t)
		}
	}
	if len(pending) > 0 {
		if err := r.settle(ctx, pending, saved); err != nil {
			return nil, err
		}
	}
	out := make([]Position, 0, len(topics))
	for _, t := range topics {
		p := saved[t]
		out = append(out, Position{Topic: t, ReplayID: p.ReplayID, Checkpoint: p.Checkpoint, Resumed: !slices.Contains(pending, t)})
	}
	return out, nil
}

// settle records the positions of topics still missing one, then writes
// each as the producer's checkpoint where the producer has none. saved
// is updated in place.
func (r *runner) settle(ctx context.Context, topics []string, saved map[string]positionState) error {
	cps := r.cps
	if err := cps.EnsureTopic(ctx); err != nil {
		return err
	}
	existing, err := cps.Load(ctx)
	if err != nil {
		return err
	}
	// Topics the producer already checkpoints need no position of ours.
	var record []string
	for _, t := range topics {
		if cp, ok := existing[checkpoint.Key(r.cfg.OrgID, t)]; ok {
			p := positionState{Topic: t, ReplayID: cp.ReplayID, Checkpoint: CheckpointKept}
			if err := r.state.savePosition(ctx, p); err != nil {
				return err
			}
			saved[t] = p
			r.log.InfoContext(ctx, "backfill: the producer already has a checkpoint; left as it is", "topic", t, "producer", cp.ProducerID)
			r.prog.note("%s: the producer already has a checkpoint (by %s); left as it is", t, cp.ProducerID)
			continue
		}
		if _, ok := saved[t]; !ok {
			record = append(record, t)
		}
	}
	// Record the missing positions, all topics at once: each may wait for
	// a keepalive.
	if len(record) > 0 {
		r.prog.note("recording the replay position of %d topics (up to a keepalive interval each)", len(record))
		pctx, cancel := context.WithTimeout(ctx, r.cfg.PositionTimeout)
		defer cancel()
		ids := make([][]byte, len(record))
		errs := make([]error, len(record))
		var wg sync.WaitGroup
		for i, t := range record {
			wg.Go(func() { ids[i], errs[i] = latestPosition(pctx, r.cfg.PubSub, t) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		for i, t := range record {
			p := positionState{Topic: t, ReplayID: ids[i]}
			if err := r.state.savePosition(ctx, p); err != nil {
				return err
			}
			saved[t] = p
			r.log.InfoContext(ctx, "backfill: replay position recorded", "topic", t)
		}
	}
	// Write them where the producer still has no checkpoint: look again,
	// it may have started meanwhile.
	existing, err = cps.Load(ctx)
	if err != nil {
		return err
	}
	for _, t := range topics {
		p := saved[t]
		if p.Checkpoint != "" {
			continue
		}
		if cp, ok := existing[checkpoint.Key(r.cfg.OrgID, t)]; ok {
			p.Checkpoint = CheckpointKept
			r.log.InfoContext(ctx, "backfill: the producer already has a checkpoint; left as it is", "topic", t, "producer", cp.ProducerID)
			r.prog.note("%s: the producer already has a checkpoint (by %s); left as it is", t, cp.ProducerID)
		} else {
			cp := checkpoint.Checkpoint{OrgID: r.cfg.OrgID, Subscription: t, ReplayID: p.ReplayID, UpdatedAt: r.now().UTC(), ProducerID: ProducerID}
			if err := cps.Save(ctx, cp); err != nil {
				return err
			}
			p.Checkpoint = CheckpointWritten
			r.log.InfoContext(ctx, "backfill: replay position written as the producer's checkpoint", "topic", t, "checkpoint_topic", cps.Topic())
			r.prog.note("%s: replay position recorded and written as the producer's checkpoint", t)
		}
		if err := r.state.savePosition(ctx, p); err != nil {
			return err
		}
		saved[t] = p
	}
	return nil
}
