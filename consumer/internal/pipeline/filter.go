package pipeline

import (
	"context"
	"log/slog"

	"github.com/sfsync/sfsync/schemas/envelope"
)

// filter is the duplicate filter stage: it drops the envelopes Redis has
// seen, and marks those applied. Without Redis (dedup nil) it keeps
// every envelope; when Redis fails the consumer carries on without it.
type filter struct {
	dedup Dedup
	log   *slog.Logger
	m     *Metrics
}

// drop returns the items Redis has not seen, asked in one round trip.
// It reuses data's array.
func (f *filter) drop(ctx context.Context, data []item) []item {
	if f.dedup == nil || len(data) == 0 {
		return data
	}
	keys := make([]string, len(data))
	for i, it := range data {
		keys[i] = dedupKey(it.env)
	}
	seen, err := f.dedup.Seen(ctx, keys)
	if err != nil {
		f.failed(err)
		return data
	}
	kept := data[:0]
	for i, it := range data {
		if !seen[i] {
			kept = append(kept, it)
		}
	}
	if f.m != nil {
		f.m.add(f.m.dedupHits, len(data)-len(kept))
	}
	return kept
}

// mark records the keys of the envelopes applied.
func (f *filter) mark(ctx context.Context, keys []string) {
	if f.dedup == nil {
		return
	}
	if err := f.dedup.Mark(ctx, keys); err != nil {
		f.failed(err)
	}
}

// failed reports a Redis failure; the consumer goes on without it.
func (f *filter) failed(err error) {
	if f.m != nil {
		f.m.dedupErrors.Inc()
	}
	f.log.Warn("redis unavailable; carrying on without the duplicate filter", "err", err)
}

// dedupKey identifies an envelope: the event, the record (a change event
// can name several) and the change type (a platform event can yield a
// data envelope and a GAP_ marker for one record).
func dedupKey(e *envelope.Envelope) string {
	return e.EventID + "/" + e.RecordID + "/" + e.ChangeType.String()
}
