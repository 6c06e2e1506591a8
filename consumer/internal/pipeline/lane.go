package pipeline

import (
	"context"
	"time"

	"github.com/segmentio/kafka-go"
)

// lane collects, decodes and applies the batches of msgs until ctx ends
// or a batch is abandoned, and commits their offsets to Kafka.
func (c *Consumer) lane(ctx context.Context, msgs <-chan fetched, commit func(map[string]map[int]int64)) {
	// Decoding runs one batch ahead of applying, so that the consumer's
	// CPU work overlaps PostgreSQL's.
	decodedBatches := make(chan *decoded, 1)
	// idle holds a token while applying waits for a batch with none
	// decoded: the batch being collected then goes at once rather than
	// waiting out BatchWait, and while applying is busy it fills.
	idle := make(chan struct{}, 1)
	idle <- struct{}{}
	decodeCtx, stopDecoding := context.WithCancel(ctx)
	defer stopDecoding()
	go func() {
		defer close(decodedBatches)
		for {
			batch, ok := collect(decodeCtx, msgs, c.cfg.BatchSize, c.cfg.BatchWait, idle)
			if !ok {
				return
			}
			d, ok := c.decoder.decode(decodeCtx, batch)
			if !ok {
				return // not applied: read again by the next owner
			}
			select {
			case decodedBatches <- d:
			case <-decodeCtx.Done():
				return // not applied: read again by the next owner
			}
			// Applying has taken d, so it is busy: a token it left
			// before taking it is stale.
			select {
			case <-idle:
			default:
			}
		}
	}()
	for d := range decodedBatches {
		// A batch in progress finishes within DrainTimeout of the end of
		// the generation or of shutdown.
		work, cancel := context.WithCancel(context.WithoutCancel(ctx))
		stop := context.AfterFunc(ctx, func() { time.AfterFunc(c.cfg.DrainTimeout, cancel) })
		err := c.process(work, d)
		stop()
		cancel()
		if err != nil {
			c.log.Warn("batch abandoned; its records are read again", "records", len(d.batch), "err", err)
			stopDecoding()
			for range decodedBatches {
			}
			return
		}
		c.m.observeLag(d.batch)
		commit(commitOffsets(d.batch))
		if len(decodedBatches) == 0 {
			select {
			case idle <- struct{}{}:
			default:
			}
		}
	}
}

// process runs a decoded batch through the remaining stages, retrying
// transient failures until ctx ends: the duplicate filter, the output of
// dead letters and markers, the apply with the offsets, then the marks
// of the envelopes applied.
func (c *Consumer) process(ctx context.Context, d *decoded) error {
	data := c.filter.drop(ctx, d.data)
	if err := c.retry.do(ctx, "write dead letters and markers", func(ctx context.Context) error {
		return c.out.write(ctx, d.out)
	}); err != nil {
		return err
	}
	start := time.Now()
	res, dead, err := c.applier.applyBatch(ctx, data, nextOffsets(d.batch))
	if err != nil {
		return err
	}
	now := time.Now()
	c.m.observeBatch(len(d.batch), now.Sub(start))
	// Only applied envelopes are marked seen: a dead-lettered one must get
	// through when it is replayed after a fix.
	keys := make([]string, 0, len(data))
	for i, it := range data {
		if dead != nil && dead[i] {
			continue
		}
		keys = append(keys, dedupKey(it.env))
		c.m.observeApplied(it.env, it.fetched, res.Changed[i], now)
	}
	c.filter.mark(ctx, keys)
	return nil
}

// collect waits for a first record, then gathers more, up to size: it
// takes those already there, then waits for more until applying is idle
// (a token on idle, which it takes), wait has passed since the first, or
// ctx ends. ok is false once ctx ends before the first record; once ctx
// ends after it, collect returns what it gathered, for it to be applied
// within the drain time.
func collect(ctx context.Context, msgs <-chan fetched, size int, wait time.Duration, idle <-chan struct{}) (batch []fetched, ok bool) {
	select {
	case m := <-msgs:
		batch = append(batch, m)
	case <-ctx.Done():
		return nil, false
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for len(batch) < size {
		select {
		case m := <-msgs:
			batch = append(batch, m)
			continue
		default:
		}
		select {
		case m := <-msgs:
			batch = append(batch, m)
		case <-idle:
			return batch, true
		case <-timer.C:
			return batch, true
		case <-ctx.Done():
			return batch, true
		}
	}
	return batch, true
}

// commitOffsets returns, by topic and partition, the offset after the
// last record of batch, as Kafka's group commit takes them.
func commitOffsets(batch []kafka.Message) map[string]map[int]int64 {
	offsets := map[string]map[int]int64{}
	for _, m := range batch {
		if offsets[m.Topic] == nil {
			offsets[m.Topic] = map[int]int64{}
		}
		offsets[m.Topic][m.Partition] = m.Offset + 1
	}
	return offsets
}
