package harness

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	tcredis "github.com/testcontainers/testcontainers-go/modules/redis"
)

const redisImage = "redis:7"

// Redis is a test's own key space in a Redis server. It is safe for
// concurrent use.
type Redis struct {
	// URL is the server's address, redis://host:port/db.
	URL string
	// Prefix starts every key the test may use ("sfsync:test:<id>:"); every
	// key under it is deleted when the test ends.
	Prefix string

	t testing.TB
}

// NewRedis returns a key prefix for t in the Redis server, or skips or fails
// t when none can be found (see the package doc).
func NewRedis(t testing.TB) *Redis {
	t.Helper()
	url := resolve(t, &redisEndpoint, "redis", EnvRedisURL, startRedis)
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("%s: %v", EnvRedisURL, err)
	}
	r := &Redis{URL: url, Prefix: "sfsync:test:" + testID(t) + ":", t: t}
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		unavailable(t, "redis", fmt.Errorf("ping: %w", err))
	}
	t.Cleanup(func() {
		defer client.Close()
		ctx, cancel := cleanupContext()
		defer cancel()
		// A key at a time, the millions of keys of a full-size run
		// outlast the cleanup's deadline; a call per scanned page does
		// not.
		var cursor uint64
		for {
			keys, next, err := client.Scan(ctx, cursor, r.Prefix+"*", 10_000).Result()
			if err == nil && len(keys) > 0 {
				err = client.Unlink(ctx, keys...).Err()
			}
			if err != nil {
				t.Errorf("redis cleanup of %s*: %v", r.Prefix, err)
				return
			}
			if cursor = next; cursor == 0 {
				return
			}
		}
	})
	return r
}

func startRedis(ctx context.Context) (string, error) {
	c, err := tcredis.Run(ctx, redisImage)
	if err != nil {
		return "", err
	}
	return c.ConnectionString(ctx)
}

// Client returns a client for the server, closed when the test ends. Keys
// the test writes should start with Prefix.
func (r *Redis) Client() *redis.Client {
	r.t.Helper()
	opts, err := redis.ParseURL(r.URL)
	if err != nil {
		r.t.Fatalf("%s: %v", EnvRedisURL, err)
	}
	c := redis.NewClient(opts)
	r.t.Cleanup(func() { c.Close() })
	return c
}
