package retry

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Jitter is the randomization factor of every backoff [New] returns:
// each wait is drawn from the step's interval ±50%.
const Jitter = 0.5

// New returns the backoff of one retried step: its intervals start at
// first (default 200ms) and double up to limit (default 30s); each wait is
// drawn from its interval ±[Jitter]. Call Reset after a success. It is not
// safe for concurrent use: give each retried step its own.
func New(first, limit time.Duration) *backoff.ExponentialBackOff {
	if first <= 0 {
		first = 200 * time.Millisecond
	}
	if limit <= 0 {
		limit = 30 * time.Second
	}
	return &backoff.ExponentialBackOff{
		InitialInterval: first, MaxInterval: max(limit, first),
		Multiplier: 2, RandomizationFactor: Jitter,
	}
}

// Sleep waits d, or until ctx ends; it reports whether it waited d.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
