package retry

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Backoff computes retry delays that double from a minimum up to a
// maximum, each drawn at random so that clients retrying together spread
// out: the first between min and 2×min, the next between 2×min and 4×min,
// and so on, and at the cap between max/2 and max. Every delay lies in
// [min, max]. The jitter is cenkalti/backoff's RandomizationFactor (1/3
// around intervals of 1.5×min, 3×min, …, capped at 0.75×max). A Backoff
// is not safe for concurrent use; each retry loop owns one.
type Backoff struct {
	lo, hi time.Duration
	exp    backoff.ExponentialBackOff
}

// New returns a Backoff from lo to hi; a hi below lo is lo.
func New(lo, hi time.Duration) Backoff {
	hi = max(hi, lo)
	return Backoff{lo: lo, hi: hi, exp: backoff.ExponentialBackOff{
		InitialInterval:     lo * 3 / 2,
		RandomizationFactor: 1.0 / 3,
		Multiplier:          2,
		MaxInterval:         hi * 3 / 4,
	}}
}

// Next returns the delay before the next attempt.
func (b *Backoff) Next() time.Duration {
	// The clamp only catches rounding, and a max below 2×min.
	return min(max(b.exp.NextBackOff(), b.lo), b.hi)
}

// Reset starts over from the minimum, after a success.
func (b *Backoff) Reset() { b.exp.Reset() }

// Sleep waits for d, or until ctx is done and returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
