// Package backoff spaces the consumer's retries: an exponential backoff
// with jitter, so that replicas that failed together do not retry
// together, and a sleep that ends with its context.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff gives the waits between the attempts of one retried step: the
// first is about First, each next one about twice the last, up to Max;
// each is drawn at random from the upper half of its step (jitter). The
// zero value waits 200ms first and at most 30s. It is not safe for
// concurrent use: give each retried step its own.
type Backoff struct {
	// First is the first wait; default 200ms.
	First time.Duration
	// Max bounds every wait; default 30s.
	Max time.Duration

	step time.Duration
}

// Next returns the wait before the next attempt.
func (b *Backoff) Next() time.Duration {
	first, limit := b.First, b.Max
	if first <= 0 {
		first = 200 * time.Millisecond
	}
	if limit <= 0 {
		limit = 30 * time.Second
	}
	if b.step <= 0 {
		b.step = first
	} else {
		b.step = min(2*b.step, limit)
	}
	half := b.step / 2
	return half + rand.N(b.step-half+1)
}

// Reset makes the next wait the first again, after a success.
func (b *Backoff) Reset() { b.step = 0 }

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
