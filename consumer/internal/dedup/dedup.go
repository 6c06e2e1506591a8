// Package dedup is the consumer's fast duplicate filter: a Redis set of
// the keys of envelopes already applied, checked and written with one
// pipelined round trip per batch. It is an optimisation only: the store's
// version guards make a repeat harmless, so a [Filter] that cannot reach
// Redis reports nothing as seen and the consumer carries on, slower.
package dedup

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultTTL is how long a key is remembered: Salesforce's 72-hour event
// retention, past which no redelivery can come.
const DefaultTTL = 72 * time.Hour

// Filter checks and records keys in Redis under a prefix. A Filter is safe
// for concurrent use.
type Filter struct {
	client redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// New returns a Filter on client whose keys start with prefix and live
// for ttl (DefaultTTL when 0).
func New(client redis.UniversalClient, prefix string, ttl time.Duration) *Filter {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Filter{client: client, prefix: prefix, ttl: ttl}
}

// Seen reports, for each key, whether it was recorded, in one round trip.
// On error the result is nil: treat every key as unseen.
func (f *Filter) Seen(ctx context.Context, keys []string) ([]bool, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = f.prefix + k
	}
	vals, err := f.client.MGet(ctx, full...).Result()
	if err != nil {
		return nil, fmt.Errorf("redis mget: %w", err)
	}
	seen := make([]bool, len(keys))
	for i, v := range vals {
		seen[i] = v != nil
	}
	return seen, nil
}

// Mark records keys, each with the filter's TTL, in one pipelined round
// trip.
func (f *Filter) Mark(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := f.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Set(ctx, f.prefix+k, "1", f.ttl)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis set: %w", err)
	}
	return nil
}
