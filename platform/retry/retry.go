package retry

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Policy says how the waits of a [Backoff] grow: intervals start at
// Interval and double up to MaxInterval, each wait is drawn at random
// within Jitter of its interval, and every wait is then kept within
// [Min, Max].
type Policy struct {
	// Interval is the first interval; it has no default.
	Interval time.Duration
	// MaxInterval caps the intervals after the first; default Interval.
	MaxInterval time.Duration
	// Jitter is how far a wait is drawn either way of its interval, as a
	// fraction of it: 0.5 draws from half to one and a half times the
	// interval. Default 0, no jitter.
	Jitter float64
	// Min is the shortest wait; default 0, no floor.
	Min time.Duration
	// Max is the longest wait; default 0, no ceiling.
	Max time.Duration
}

// Backoff hands out the waits of one retry loop, following its [Policy].
// Call Reset after a success. A Backoff is not safe for concurrent use:
// give each retry loop its own.
type Backoff struct {
	min, max time.Duration
	exp      backoff.ExponentialBackOff
}

// New returns the Backoff of p.
func New(p Policy) *Backoff {
	limit := p.MaxInterval
	if limit <= 0 {
		limit = p.Interval
	}
	b := &Backoff{min: p.Min, max: p.Max, exp: backoff.ExponentialBackOff{
		InitialInterval: p.Interval, MaxInterval: limit, Multiplier: 2, RandomizationFactor: p.Jitter,
	}}
	b.exp.Reset()
	return b
}

// HalvesJitter is the Jitter of [Halves]: its intervals are three
// quarters of each step, so that a wait, drawn from the interval ±1/3,
// falls in the upper half of its step.
const HalvesJitter = 1.0 / 3

// Halves returns the Backoff whose steps start at first (default 200ms)
// and double up to limit (default 30s; a limit below first is first);
// each wait is drawn at random from the upper half of its step, from
// step/2 to step.
func Halves(first, limit time.Duration) *Backoff {
	if first <= 0 {
		first = 200 * time.Millisecond
	}
	if limit <= 0 {
		limit = 30 * time.Second
	}
	return New(halves(first, max(limit, first)))
}

// Between returns the Backoff whose waits double from lo up to hi with
// jitter: the first between lo and 2×lo, the next between 2×lo and
// 4×lo, and so on, and at the cap between hi/2 and hi. Every wait lies
// in [lo, hi]; a hi below lo is lo. It is [Halves] from 2×lo, its waits
// kept within lo and hi.
func Between(lo, hi time.Duration) *Backoff {
	hi = max(hi, lo)
	p := halves(2*lo, hi)
	p.Min, p.Max = lo, hi
	return New(p)
}

// halves is the [Policy] of [Halves] from first to limit, without its
// defaults: intervals of three quarters of each step, ±[HalvesJitter].
func halves(first, limit time.Duration) Policy {
	return Policy{Interval: first * 3 / 4, MaxInterval: limit * 3 / 4, Jitter: HalvesJitter}
}

// Next returns the wait before the next attempt.
func (b *Backoff) Next() time.Duration {
	d := b.exp.NextBackOff()
	if b.max > 0 {
		d = min(d, b.max)
	}
	return max(d, b.min)
}

// Reset starts over from the first interval, after a success.
func (b *Backoff) Reset() { b.exp.Reset() }

// Sleep waits d, or until ctx ends and returns ctx's error.
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
