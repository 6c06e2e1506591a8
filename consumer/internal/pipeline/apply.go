package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/store"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// applier is the stage that applies a batch's envelopes to PostgreSQL
// with its offsets, in one transaction; a batch PostgreSQL refuses is
// applied record by record, and the records it refuses are
// dead-lettered.
type applier struct {
	store   Store
	group   string
	timeout time.Duration // of one attempt
	retry   *retrier
	out     *output
	log     *slog.Logger
}

// applyBatch applies data with offsets, retrying transient failures
// until ctx ends. dead[i] is set for the envelopes dead-lettered (nil
// when none was); res.Changed is filled for those applied.
func (a *applier) applyBatch(ctx context.Context, data []item, offsets []store.Offset) (res store.Result, dead []bool, err error) {
	err = a.retry.do(ctx, "apply", func(ctx context.Context) error {
		var err error
		res, err = a.attempt(ctx, store.Batch{Group: a.group, Envelopes: envelopes(data), Offsets: offsets})
		if store.IsPoison(err) {
			return permanent{err}
		}
		return err
	})
	var poison permanent
	if errors.As(err, &poison) {
		a.log.Warn("batch refused by PostgreSQL; applying its records one by one", "records", len(data), "err", poison.err)
		return a.applyOneByOne(ctx, data, offsets)
	}
	return res, nil, err
}

// applyOneByOne applies each envelope of a refused batch in its own
// transaction, dead-letters those PostgreSQL refuses (dead[i] is set),
// then stores the batch's offsets. Changed is filled for the envelopes
// applied.
func (a *applier) applyOneByOne(ctx context.Context, data []item, offsets []store.Offset) (res store.Result, dead []bool, err error) {
	res.Changed = make([]bool, len(data))
	dead = make([]bool, len(data))
	for i, it := range data {
		err := a.retry.do(ctx, "apply one", func(ctx context.Context) error {
			r, err := a.attempt(ctx, store.Batch{Group: a.group, Envelopes: []*envelope.Envelope{it.env}})
			if store.IsPoison(err) {
				return permanent{err}
			}
			if err == nil {
				res.Changed[i] = r.Changed[0]
			}
			return err
		})
		var poison permanent
		if errors.As(err, &poison) {
			dead[i] = true
			dl := a.out.deadLetter(it.msg, "apply", poison.err)
			err = a.retry.do(ctx, "write dead letter", func(ctx context.Context) error { return a.out.write(ctx, []kafka.Message{dl}) })
		}
		if err != nil {
			return res, dead, err
		}
	}
	err = a.retry.do(ctx, "store offsets", func(ctx context.Context) error {
		_, err := a.attempt(ctx, store.Batch{Group: a.group, Offsets: offsets})
		return err
	})
	return res, dead, err
}

// attempt runs one attempt of Store.Apply within the timeout.
func (a *applier) attempt(ctx context.Context, b store.Batch) (store.Result, error) {
	actx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	res, err := a.store.Apply(actx, b)
	if err != nil && ctx.Err() == nil && actx.Err() != nil {
		err = fmt.Errorf("not applied within %s (batch.timeout): %w", a.timeout, err)
	}
	return res, err
}

// nextOffsets returns, per partition of batch, the offset after its
// last record: the offsets to store with the batch.
func nextOffsets(batch []kafka.Message) []store.Offset {
	type tp struct {
		topic string
		part  int
	}
	idx := map[tp]int{}
	var out []store.Offset
	for _, m := range batch {
		k := tp{m.Topic, m.Partition}
		if i, ok := idx[k]; ok {
			out[i].Next = max(out[i].Next, m.Offset+1)
			continue
		}
		idx[k] = len(out)
		out = append(out, store.Offset{Topic: m.Topic, Partition: m.Partition, Next: m.Offset + 1})
	}
	return out
}

func envelopes(items []item) []*envelope.Envelope {
	out := make([]*envelope.Envelope, len(items))
	for i, it := range items {
		out[i] = it.env
	}
	return out
}
