package backfill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

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

// Settings of a checkpoint topic the backfill creates, the producer's:
// compacted, so that the checkpoints of quiet subscriptions are kept.
const (
	checkpointPartitions = 1
	checkpointReplicas   = 3
)

// checkpoints reads and writes the producer's compacted checkpoint topic.
type checkpoints struct {
	topic  string
	client *kafka.Client
	writer *kafka.Writer
	codec  *checkpoint.Codec
}

func newCheckpoints(brokers []string, transport kafka.RoundTripper, topic string) (*checkpoints, error) {
	codec, err := checkpoint.NewCodec()
	if err != nil {
		return nil, err
	}
	addr := kafka.TCP(brokers...)
	return &checkpoints{
		topic:  topic,
		client: &kafka.Client{Addr: addr, Transport: transport, Timeout: 30 * time.Second},
		writer: &kafka.Writer{
			Addr: addr, Topic: topic, Transport: transport,
			// The producer's partitioner, so that its later checkpoints of
			// the same key land on the same partition and compact ours away.
			Balancer:     &kafka.Murmur2Balancer{},
			RequiredAcks: kafka.RequireAll, BatchSize: 1,
		},
		codec: codec,
	}, nil
}

func (c *checkpoints) close() error { return c.writer.Close() }

// ensureTopic creates the checkpoint topic, compacted as the producer
// creates it, when it is missing.
func (c *checkpoints) ensureTopic(ctx context.Context) error {
	md, err := c.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{c.topic}})
	if err != nil {
		return fmt.Errorf("checkpoint topic %s: metadata: %w", c.topic, err)
	}
	if len(md.Topics) == 1 && md.Topics[0].Error == nil {
		return nil
	}
	if len(md.Topics) == 1 && !errors.Is(md.Topics[0].Error, kafka.UnknownTopicOrPartition) {
		return fmt.Errorf("checkpoint topic %s: metadata: %w", c.topic, md.Topics[0].Error)
	}
	rf := max(min(checkpointReplicas, len(md.Brokers)), 1)
	resp, err := c.client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: c.topic, NumPartitions: checkpointPartitions, ReplicationFactor: rf,
		ConfigEntries: []kafka.ConfigEntry{
			{ConfigName: "cleanup.policy", ConfigValue: "compact"},
			{ConfigName: "min.cleanable.dirty.ratio", ConfigValue: "0.1"},
			{ConfigName: "segment.ms", ConfigValue: "3600000"},
			{ConfigName: "min.insync.replicas", ConfigValue: strconv.Itoa(min(rf, 2))},
		},
	}}})
	if err == nil {
		err = resp.Errors[c.topic]
	}
	if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		return fmt.Errorf("create checkpoint topic %s: %w", c.topic, err)
	}
	for {
		md, err := c.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{c.topic}})
		if err == nil && len(md.Topics) == 1 && md.Topics[0].Error == nil && len(md.Topics[0].Partitions) > 0 &&
			!slices.ContainsFunc(md.Topics[0].Partitions, func(p kafka.Partition) bool { return p.Error != nil || p.Leader.Host == "" }) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("checkpoint topic %s: waiting for partition leaders: %w", c.topic, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// load reads the topic from its first offset to the high-water mark of
// every partition and returns the newest checkpoint of every key; a
// tombstone removes its key. A record that does not decode is an error:
// guessing that a topic has no checkpoint could move the producer back.
func (c *checkpoints) load(ctx context.Context) (map[string]checkpoint.Checkpoint, error) {
	md, err := c.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{c.topic}})
	if err != nil {
		return nil, fmt.Errorf("read checkpoints from %s: metadata: %w", c.topic, err)
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil {
		return nil, fmt.Errorf("read checkpoints from %s: no such topic", c.topic)
	}
	var reqs []kafka.OffsetRequest
	for _, p := range md.Topics[0].Partitions {
		reqs = append(reqs, kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
	}
	offs, err := c.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{c.topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("read checkpoints from %s: list offsets: %w", c.topic, err)
	}
	type state struct {
		cp      checkpoint.Checkpoint
		present bool
		at      time.Time
	}
	newest := map[string]state{}
	for _, p := range offs.Topics[c.topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("read checkpoints from %s partition %d: %w", c.topic, p.Partition, p.Error)
		}
		for off := p.FirstOffset; off < p.LastOffset; {
			resp, err := c.client.Fetch(ctx, &kafka.FetchRequest{
				Topic: c.topic, Partition: p.Partition, Offset: off,
				MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 500 * time.Millisecond,
			})
			if err == nil {
				err = resp.Error
			}
			if err != nil {
				return nil, fmt.Errorf("read checkpoints from %s partition %d offset %d: %w", c.topic, p.Partition, off, err)
			}
			next := off
			for {
				r, err := resp.Records.ReadRecord()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return nil, fmt.Errorf("read checkpoints from %s partition %d offset %d: %w", c.topic, p.Partition, next, err)
				}
				if r.Offset < off || r.Offset >= p.LastOffset {
					continue
				}
				key, _ := readBytes(r.Key)
				value, _ := readBytes(r.Value)
				st := state{at: r.Time}
				if value != nil {
					cp, err := c.codec.Decode(value)
					if err != nil {
						return nil, fmt.Errorf("read checkpoints from %s partition %d offset %d: %w", c.topic, p.Partition, r.Offset, err)
					}
					st.cp, st.present = cp, true
				}
				if prev, ok := newest[string(key)]; !ok || !st.at.Before(prev.at) {
					newest[string(key)] = st
				}
				next = r.Offset + 1
			}
			if next == off {
				break // compaction removed the rest
			}
			off = next
		}
	}
	out := make(map[string]checkpoint.Checkpoint, len(newest))
	for k, st := range newest {
		if st.present {
			out[k] = st.cp
		}
	}
	return out, nil
}

func readBytes(b kafka.Bytes) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	defer b.Close()
	out, err := io.ReadAll(b)
	if out == nil && err == nil {
		out = []byte{}
	}
	return out, err
}

// save writes cp and returns once every in-sync replica holds it.
func (c *checkpoints) save(ctx context.Context, cp checkpoint.Checkpoint) error {
	value, err := c.codec.Encode(nil, cp)
	if err != nil {
		return fmt.Errorf("checkpoint of %s: %w", cp.Subscription, err)
	}
	if err := c.writer.WriteMessages(ctx, kafka.Message{Key: []byte(cp.Key()), Value: value}); err != nil {
		return fmt.Errorf("write checkpoint of %s to %s: %w", cp.Subscription, c.topic, err)
	}
	return nil
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
	if err := cps.ensureTopic(ctx); err != nil {
		return err
	}
	existing, err := cps.load(ctx)
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
	existing, err = cps.load(ctx)
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
			if err := cps.save(ctx, cp); err != nil {
				return err
			}
			p.Checkpoint = CheckpointWritten
			r.log.InfoContext(ctx, "backfill: replay position written as the producer's checkpoint", "topic", t, "checkpoint_topic", cps.topic)
			r.prog.note("%s: replay position recorded and written as the producer's checkpoint", t)
		}
		if err := r.state.savePosition(ctx, p); err != nil {
			return err
		}
		saved[t] = p
	}
	return nil
}
