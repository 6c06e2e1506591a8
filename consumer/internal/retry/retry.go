package retry

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Jitter is the randomization factor of every backoff [New] returns. Its
// intervals are three quarters of each step, so that a wait, drawn from
// the interval ±1/3, falls in the upper half of its step: from step/2 to
// step.
const Jitter = 1.0 / 3

// New returns the backoff of one retried step: its steps start at first
// (default 200ms) and double up to limit (default 30s); each wait is
// drawn at random from the upper half of its step (jitter, through
// [Jitter]), so that replicas that failed together do not retry
// together. Call Reset after a success. It is not safe for concurrent
// use: give each retried step its own.
func New(first, limit time.Duration) *backoff.ExponentialBackOff {
	if first <= 0 {
		first = 200 * time.Millisecond
	}
	if limit <= 0 {
		limit = 30 * time.Second
	}
	return &backoff.ExponentialBackOff{
		InitialInterval: first * 3 / 4, MaxInterval: max(limit, first) * 3 / 4,
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
