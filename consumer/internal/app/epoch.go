package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/sfsync/sfsync/consumer/internal/dedup"
	"github.com/sfsync/sfsync/consumer/internal/store"
)

// epochStore is the store as the pipeline sees it when Redis filters
// duplicates: it tells the filter each offset PostgreSQL committed, and
// before each consumer group generation reads the offsets it checks that
// PostgreSQL is not behind what the filter marked.
//
// Why: the filter's keys are the envelopes applied. A PostgreSQL restored
// from a backup, or a replica promoted while it lagged, has older offsets
// and lacks the rows applied since; the consumer reads those records
// again, and Redis, which still holds their keys, would skip them for
// good. The database's epoch token (store.EpochTable) names the filter's
// key space, and Redis keeps per epoch the highest offsets committed when
// keys were marked. The token alone cannot tell a restore (the backup
// holds the token it had), but offsets behind those marked can: the
// epoch is then rotated, in PostgreSQL for every replica, and the
// consumer goes on with an empty key space.
type epochStore struct {
	*store.Store
	filter *dedup.Filter
	log    *slog.Logger
}

// Apply applies b and, once PostgreSQL committed it, tells the filter
// its offsets, which the filter's next Mark stores beside the keys.
func (s *epochStore) Apply(ctx context.Context, b store.Batch) (store.Result, error) {
	res, err := s.Store.Apply(ctx, b)
	if err == nil {
		for _, o := range b.Offsets {
			s.filter.Committed(b.Group, o.Topic, o.Partition, o.Next)
		}
	}
	return res, err
}

// Offsets returns group's offsets of topic, after moving the filter to
// the database's epoch, rotated first when PostgreSQL's offsets are
// behind the epoch's marked ones, or when Redis cannot say (the filter
// is only an optimisation: a new key space costs duplicates applied
// again, harmlessly, never a record skipped).
func (s *epochStore) Offsets(ctx context.Context, group, topic string) (map[int]int64, error) {
	offsets, err := s.Store.Offsets(ctx, group, topic)
	if err != nil {
		return nil, err
	}
	epoch, err := s.Epoch(ctx)
	if err != nil {
		return nil, err
	}
	s.filter.SetEpoch(epoch)
	behind, err := s.filter.Behind(ctx, group, topic, offsets)
	if err != nil {
		s.log.Warn("redis cannot say which offsets the duplicate filter saw; starting a new key space", "topic", topic, "err", err)
	} else if behind {
		s.log.Warn("postgresql's offsets are behind those the duplicate filter saw (restored from a backup, or failed over to a lagging replica?): "+
			"starting a new key space so that the records read again are applied", "topic", topic)
	}
	if err != nil || behind {
		if epoch, err = s.RotateEpoch(ctx, epoch); err != nil {
			return nil, fmt.Errorf("new duplicate filter epoch: %w", err)
		}
		s.filter.SetEpoch(epoch)
	}
	return offsets, nil
}
