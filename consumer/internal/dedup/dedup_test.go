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
	ttl, err := r.Client().TTL(ctx, r.Prefix+"a").Result() // no epoch: the prefix alone
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

// TestEpoch checks that each epoch has a key space of its own, and that
// Behind compares PostgreSQL's offsets with those marked in the epoch.
func TestEpoch(t *testing.T) {
	t.Parallel()
	r := harness.NewRedis(t)
	f := New(r.Client(), r.Prefix, time.Minute)
	ctx := context.Background()
	f.SetEpoch("EPOCHONE")
	f.Committed("g", "t", 0, 10)
	f.Committed("g", "t", 0, 7) // an offset never goes back
	f.Committed("g", "t", 2, 5)
	f.Committed("g", "other", 0, 99)
	f.Committed("h", "t", 1, 99)
	if err := f.Mark(ctx, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Client().Exists(ctx, r.Prefix+"EPOCHONE:a").Result(); err != nil || n != 1 {
		t.Fatalf("key of epoch EPOCHONE: %d, %v", n, err)
	}
	for _, tc := range []struct {
		scenario string
		pg       map[int]int64
		behind   bool
	}{
		{scenario: "level", pg: map[int]int64{0: 10, 1: 3, 2: 5}},
		{scenario: "ahead", pg: map[int]int64{0: 12, 2: 6}},
		{scenario: "one partition back", pg: map[int]int64{0: 9, 2: 5}, behind: true},
		{scenario: "a partition missing", pg: map[int]int64{0: 10}, behind: true},
	} {
		behind, err := f.Behind(ctx, "g", "t", tc.pg)
		if err != nil || behind != tc.behind {
			t.Errorf("%s: behind %v, %v; want %v", tc.scenario, behind, err, tc.behind)
		}
	}
	f.SetEpoch("EPOCHTWO")
	if seen, err := f.Seen(ctx, []string{"a"}); err != nil || seen[0] {
		t.Fatalf("a new epoch sees the old one's key: %v, %v", seen, err)
	}
	if behind, err := f.Behind(ctx, "g", "t", nil); err != nil || behind {
		t.Fatalf("a new epoch is behind: %v, %v", behind, err)
	}
	// A new epoch forgets the offsets committed under the old one.
	if err := f.Mark(ctx, []string{"b"}); err != nil {
		t.Fatal(err)
	}
	if behind, err := f.Behind(ctx, "g", "t", nil); err != nil || behind {
		t.Fatalf("the new epoch carried the old one's offsets: %v, %v", behind, err)
	}
}
