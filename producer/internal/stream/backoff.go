package stream

import (
	"time"

	"github.com/cenkalti/backoff/v5"
)

// The defaults of [Config.BackoffMin] and [Config.BackoffMax].
const (
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = time.Minute
)

// backoffJitter is how far each resubscription delay is drawn either
// way of its current interval: a half.
const backoffJitter = 0.5

// newBackoff returns the resubscription backoff: from lo, doubling after
// each failed session up to hi, each delay jittered by backoffJitter.
func newBackoff(lo, hi time.Duration) *backoff.ExponentialBackOff {
	b := &backoff.ExponentialBackOff{
		InitialInterval: lo, MaxInterval: hi, Multiplier: 2, RandomizationFactor: backoffJitter,
	}
	b.Reset()
	return b
}

// nextBackoff returns the delay before the next subscription: the
// backoff's next, kept within BackoffMin and BackoffMax.
func (s *Stream) nextBackoff() time.Duration {
	return min(max(s.backoff.NextBackOff(), s.cfg.BackoffMin), s.cfg.BackoffMax)
}
