package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/connect"
	"github.com/sfsync/sfsync/platform/retry"
)

// run is the group membership stage: it joins the consumer group, and
// for each generation it is given, reads the offsets PostgreSQL holds
// and starts the partition readers and lanes (runGeneration), until ctx
// ends or Kafka refuses the consumer for good.
func (c *Consumer) run(ctx context.Context) error {
	group, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: c.cfg.Group, Brokers: c.cfg.Brokers, Dialer: c.cfg.Dialer, Topics: c.cfg.Topics,
		SessionTimeout: c.cfg.SessionTimeout, RebalanceTimeout: c.cfg.RebalanceTimeout,
		StartOffset: kafka.FirstOffset,
		// Topics created after the start (by the producer) and partitions
		// added later are picked up by a rebalance.
		WatchPartitionChanges: true, PartitionWatchInterval: 5 * time.Second,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			c.log.Debug("kafka group", "msg", fmt.Sprintf(msg, args...))
		}),
	})
	if err != nil {
		return fmt.Errorf("consumer group %s: %w", c.cfg.Group, err)
	}
	defer group.Close()
	wait := retry.Halves(time.Second, 0)
	for {
		gen, err := group.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, kafka.ErrGroupClosed) {
				return nil
			}
			if connect.KafkaPermanent(err) {
				return c.kafkaAt("consumer group "+c.cfg.Group, err)
			}
			d := wait.Next()
			c.log.Warn("consumer group: joining failed; retrying", "group", c.cfg.Group, "in", d, "err", err)
			if retry.Sleep(ctx, d) != nil {
				return nil
			}
			continue
		}
		wait.Reset()
		c.runGeneration(ctx, gen)
	}
}

// runGeneration starts consuming the partitions gen assigns and returns
// at once; the work stops when the generation ends.
func (c *Consumer) runGeneration(ctx context.Context, gen *kafka.Generation) {
	var parts []partition
	assigned := map[string]int{}
	for _, topic := range c.cfg.Topics {
		as := gen.Assignments[topic]
		assigned[topic] = len(as)
		if len(as) == 0 {
			continue
		}
		stored, err := c.offsets(ctx, topic)
		if err != nil {
			return // ctx ended
		}
		for _, a := range as {
			start := a.Offset
			if o, ok := stored[a.ID]; ok {
				start = o
			}
			parts = append(parts, partition{topic: topic, id: a.ID, start: start})
		}
	}
	c.log.Info("partitions assigned", "group", c.cfg.Group, "generation", gen.ID, "partitions", len(parts))
	if c.m != nil {
		c.m.observeAssigned(assigned)
	}
	// One function for the whole generation: kafka-go ends the generation
	// when any function given to gen.Start returns.
	gen.Start(func(genCtx context.Context) {
		c.ready.setGeneration(true)
		defer func() {
			c.ready.setGeneration(false)
			// The partitions are no longer this replica's.
			c.m.observeUnassigned(c.cfg.Topics)
		}()
		// Stop with the generation or with the caller.
		runCtx, cancel := context.WithCancel(genCtx)
		defer cancel()
		stop := context.AfterFunc(ctx, cancel)
		defer stop()
		if c.m != nil {
			go c.m.observeTopicPartitions(c.topicPartitions(runCtx))
		}
		c.consume(runCtx, gen, parts)
	})
}

// topicPartitions asks Kafka how many partitions each consumed topic
// has, trying the brokers in turn. A topic no broker answers for within
// a few seconds is left out: its count is only a metric.
func (c *Consumer) topicPartitions(ctx context.Context) map[string]int {
	counts := map[string]int{}
	for _, topic := range c.cfg.Topics {
		for _, broker := range c.cfg.Brokers {
			lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			ps, err := c.reader.dialer.LookupPartitions(lctx, "tcp", broker, topic)
			cancel()
			if err == nil {
				counts[topic] = len(ps)
				break
			}
			c.log.Debug("reading the topic's partitions failed", "topic", topic, "broker", broker, "err", err)
		}
	}
	return counts
}

// offsets reads PostgreSQL's offsets of topic, retrying until it answers
// or ctx ends.
func (c *Consumer) offsets(ctx context.Context, topic string) (map[int]int64, error) {
	wait := retry.Halves(c.cfg.RetryBackoff, 0)
	for {
		o, err := c.cfg.Store.Offsets(ctx, c.cfg.Group, topic)
		if err == nil || ctx.Err() != nil {
			return o, err
		}
		d := wait.Next()
		c.log.Warn("reading offsets from PostgreSQL failed; retrying", "topic", topic, "in", d, "err", err)
		if retry.Sleep(ctx, d) != nil {
			return nil, ctx.Err()
		}
	}
}

// consume reads parts and applies them in batches until ctx ends.
func (c *Consumer) consume(ctx context.Context, gen *kafka.Generation, parts []partition) {
	if len(parts) == 0 {
		<-ctx.Done()
		return
	}
	// The partitions are shared out among lanes, each with its own batches
	// and transactions, so that PostgreSQL applies several batches at
	// once. A record whose changes come through partitions of two lanes is
	// serialised by its advisory lock, and the rules do not depend on
	// order. One lane's failure stops them all.
	ctx, stopAll := context.WithCancel(ctx)
	defer stopAll()
	lanes := min(c.cfg.Lanes, len(parts))
	var commitMu sync.Mutex
	commit := func(offsets map[string]map[int]int64) {
		commitMu.Lock()
		defer commitMu.Unlock()
		if err := gen.CommitOffsets(offsets); err != nil && ctx.Err() == nil {
			c.log.Debug("committing offsets to Kafka failed (PostgreSQL holds them)", "err", err)
		}
	}
	var wg sync.WaitGroup
	for l := range lanes {
		msgs := make(chan fetched, c.cfg.BatchSize)
		for i, p := range parts {
			if i%lanes == l {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c.reader.read(ctx, p, msgs)
				}()
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer stopAll()
			c.lane(ctx, msgs, commit)
		}()
	}
	wg.Wait()
}
