package pubsub

import (
	"context"
	"time"

	"github.com/sfsync/sfsync/platform/retry"
)

// Backoff defaults.
const (
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = time.Minute
)

// Backoff computes resubscription delays: they double from Min up to Max
// with jitter (the first between Min and 2×Min, the next between 2×Min
// and 4×Min, at the cap between Max/2 and Max), so every delay lies in
// [Min, Max] and callers retrying together spread out. Min and Max are
// read at the first attempt after a Reset. Its zero value uses
// [DefaultBackoffMin] and [DefaultBackoffMax]. A Backoff is not safe for
// concurrent use; give each retry loop its own.
type Backoff struct {
	// Min is the shortest delay; default 1 s.
	Min time.Duration
	// Max is the longest delay; default 1 min.
	Max time.Duration

	attempt int
	delays  *retry.Backoff
}

// Next returns the delay before the next attempt and counts the attempt.
func (b *Backoff) Next() time.Duration {
	if b.attempt == 0 {
		lo, hi := b.Min, b.Max
		if lo <= 0 {
			lo = DefaultBackoffMin
		}
		if hi <= 0 {
			hi = DefaultBackoffMax
		}
		b.delays = retry.Between(lo, hi)
	}
	b.attempt++
	return b.delays.Next()
}

// Reset starts over from Min, after a success.
func (b *Backoff) Reset() { b.attempt = 0 }

// Attempts returns the attempts counted since the last Reset.
func (b *Backoff) Attempts() int { return b.attempt }

// Wait sleeps for Next() or until ctx is done, returning ctx's error then.
func (b *Backoff) Wait(ctx context.Context) error { return retry.Sleep(ctx, b.Next()) }
