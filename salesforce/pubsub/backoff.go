package pubsub

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff defaults.
const (
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = time.Minute
)

// Backoff computes retry delays: exponential growth from Min, capped at
// Max, with full jitter (each delay uniform between Min and the current
// ceiling). Its zero value uses [DefaultBackoffMin] and
// [DefaultBackoffMax] and a randomly seeded source. A Backoff is not safe
// for concurrent use; give each retry loop its own.
type Backoff struct {
	// Min is the shortest delay and the first ceiling; default 1 s.
	Min time.Duration
	// Max caps the ceiling; default 1 min.
	Max time.Duration
	// Rand draws the jitter; nil uses a randomly seeded source. Pass a
	// seeded source for deterministic delays.
	Rand *rand.Rand

	attempt int
}

// Next returns the delay before the next attempt and counts the attempt.
func (b *Backoff) Next() time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = DefaultBackoffMin
	}
	if hi <= 0 {
		hi = DefaultBackoffMax
	}
	hi = max(hi, lo)
	ceil := lo
	for i := 0; i < b.attempt && ceil < hi; i++ {
		ceil *= 2
	}
	ceil = min(ceil, hi)
	b.attempt++
	span := int64(ceil - lo)
	if span <= 0 {
		return lo
	}
	var n int64
	if b.Rand != nil {
		n = b.Rand.Int64N(span + 1)
	} else {
		n = rand.Int64N(span + 1)
	}
	return lo + time.Duration(n)
}

// Reset starts over from Min, after a success.
func (b *Backoff) Reset() { b.attempt = 0 }

// Attempts returns the attempts counted since the last Reset.
func (b *Backoff) Attempts() int { return b.attempt }

// Wait sleeps for Next() or until ctx is done, returning ctx's error then.
func (b *Backoff) Wait(ctx context.Context) error {
	t := time.NewTimer(b.Next())
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
