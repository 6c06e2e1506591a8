package rest

import (
	"math/rand/v2"
	"time"
)

// backoff computes retry delays: the ceiling doubles from min up to max,
// and each delay is drawn uniformly between min and the ceiling (full
// jitter, so that clients retrying together spread out). It is not safe
// for concurrent use; each call owns one.
type backoff struct {
	min, max time.Duration
	attempt  int
}

// next returns the delay before the next attempt.
func (b *backoff) next() time.Duration {
	ceil := b.min
	for i := 0; i < b.attempt && ceil < b.max; i++ {
		ceil *= 2
	}
	ceil = min(ceil, b.max)
	b.attempt++
	if span := int64(ceil - b.min); span > 0 {
		return b.min + time.Duration(rand.Int64N(span+1))
	}
	return b.min
}
