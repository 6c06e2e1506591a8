package harness

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/testcontainers/testcontainers-go/wait"
)

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
	url := resolve(t, &redisEndpoint, EnvRedisURL, redisSpec())
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

// redisSpec is a server without persistence, as the local stack's: a
// stopped one starts empty.
func redisSpec() serviceSpec {
	url := func(p int) string { return "redis://127.0.0.1:" + strconv.Itoa(p) + "/0" }
	return serviceSpec{
		service:       "redis",
		imageEnv:      EnvRedisImage,
		defaultImage:  defaultRedisImage,
		containerPort: func(int) int { return 6379 },
		env:           func(int) map[string]string { return nil },
		cmd:           []string{"redis-server", "--save", "", "--appendonly", "no"},
		addr:          url,
		ready: func(p, _ int) wait.Strategy {
			return probe{what: "redis ping on 127.0.0.1:" + strconv.Itoa(p), check: func(ctx context.Context) error {
				opts, err := redis.ParseURL(url(p))
				if err != nil {
					return err
				}
				c := redis.NewClient(opts)
				defer c.Close()
				return c.Ping(ctx).Err()
			}}
		},
	}
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
