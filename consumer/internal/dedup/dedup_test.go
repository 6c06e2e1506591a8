package dedup

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sfsync/sfsync/integration/harness"
)

func TestFilter(t *testing.T) {
	t.Parallel()
	r := harness.NewRedis(t)
	f := New(r.Client(), r.Prefix, time.Minute)
	ctx := context.Background()
	if err := f.Mark(ctx, []string{"a", "c"}); err != nil {
		t.Fatal(err)
	}
	seen, err := f.Seen(ctx, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if !seen[0] || seen[1] || !seen[2] {
		t.Fatalf("seen = %v, want [true false true]", seen)
	}
	ttl, err := r.Client().TTL(ctx, r.Prefix+"a").Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("ttl = %v (%v), want up to a minute", ttl, err)
	}
}

func TestFilterWithoutRedis(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer client.Close()
	f := New(client, "x:", 0)
	if seen, err := f.Seen(context.Background(), []string{"a"}); err == nil || seen != nil {
		t.Fatalf("Seen without redis = %v, %v; want an error and nothing seen", seen, err)
	}
	if err := f.Mark(context.Background(), []string{"a"}); err == nil {
		t.Fatal("Mark without redis succeeded")
	}
}
