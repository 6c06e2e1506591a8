package retry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sfsync/sfsync/platform/retry"
)

// checkWaits draws many backoffs from newBackoff and checks each of
// their first waits, and the first after a Reset, against bounds.
func checkWaits(t *testing.T, newBackoff func() *retry.Backoff, bounds [][2]time.Duration) {
	t.Helper()
	for range 200 { // the waits are random: draw many
		b := newBackoff()
		for i, r := range bounds {
			if d := b.Next(); d < r[0] || d > r[1] {
				t.Fatalf("wait %d = %v, want in [%v, %v]", i, d, r[0], r[1])
			}
		}
		b.Reset()
		if d := b.Next(); d < bounds[0][0] || d > bounds[0][1] {
			t.Fatalf("wait after Reset = %v, want in [%v, %v]", d, bounds[0][0], bounds[0][1])
		}
	}
}

// upperHalves returns the bounds of waits in the upper half of steps.
func upperHalves(steps ...time.Duration) [][2]time.Duration {
	b := make([][2]time.Duration, len(steps))
	for i, s := range steps {
		b[i] = [2]time.Duration{s / 2, s + time.Microsecond}
	}
	return b
}

func TestHalves(t *testing.T) {
	t.Parallel()
	const ms = time.Millisecond
	for _, tt := range []struct {
		scenario     string
		first, limit time.Duration
		steps        []time.Duration
	}{
		{scenario: "defaults", steps: []time.Duration{200 * ms, 400 * ms, 800 * ms}},
		{scenario: "capped", first: time.Second, limit: 3 * time.Second, steps: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}},
		{scenario: "limit below first", first: time.Second, limit: ms, steps: []time.Duration{time.Second, time.Second}},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			checkWaits(t, func() *retry.Backoff { return retry.Halves(tt.first, tt.limit) }, upperHalves(tt.steps...))
		})
	}
}

func TestBetween(t *testing.T) {
	t.Parallel()
	const s = time.Second
	for _, tt := range []struct {
		scenario string
		min, max time.Duration
		// bounds are the [low, high] range of each of the first waits.
		bounds [][2]time.Duration
	}{
		{scenario: "doubles up to the max", min: s, max: 16 * s,
			bounds: [][2]time.Duration{{s, 2 * s}, {2 * s, 4 * s}, {4 * s, 8 * s}, {8 * s, 16 * s}, {8 * s, 16 * s}}},
		{scenario: "a max between two steps caps the range", min: s, max: 5 * s,
			bounds: [][2]time.Duration{{s, 2 * s}, {2 * s, 4 * s}, {2500 * time.Millisecond, 5 * s}, {2500 * time.Millisecond, 5 * s}}},
		{scenario: "a max below twice the min", min: s, max: 1500 * time.Millisecond,
			bounds: [][2]time.Duration{{s, 1500 * time.Millisecond}, {s, 1500 * time.Millisecond}}},
		{scenario: "a max below the min is the min", min: s, max: time.Millisecond,
			bounds: [][2]time.Duration{{s, s}, {s, s}}},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			checkWaits(t, func() *retry.Backoff { return retry.Between(tt.min, tt.max) }, tt.bounds)
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	const s = time.Second
	for _, tt := range []struct {
		scenario string
		policy   retry.Policy
		bounds   [][2]time.Duration
	}{
		{scenario: "no jitter doubles exactly", policy: retry.Policy{Interval: s, MaxInterval: 4 * s},
			bounds: [][2]time.Duration{{s, s}, {2 * s, 2 * s}, {4 * s, 4 * s}, {4 * s, 4 * s}}},
		{scenario: "no max interval stays at the first", policy: retry.Policy{Interval: s},
			bounds: [][2]time.Duration{{s, s}, {s, s}}},
		{scenario: "jitter of a half within min and max", policy: retry.Policy{Interval: s, MaxInterval: 8 * s, Jitter: 0.5, Min: s, Max: 8 * s},
			bounds: [][2]time.Duration{{s, 1500 * time.Millisecond}, {s, 3 * s}, {2 * s, 6 * s}, {4 * s, 8 * s}, {4 * s, 8 * s}}},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			checkWaits(t, func() *retry.Backoff { return retry.New(tt.policy) }, tt.bounds)
		})
	}
}

// TestJitters checks that the waits are spread, not the same for every
// replica.
func TestJitters(t *testing.T) {
	t.Parallel()
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[retry.Between(time.Second, time.Minute).Next()] = true
	}
	if len(seen) < 10 {
		t.Fatalf("20 first waits took %d values, want them spread", len(seen))
	}
}

func TestSleep(t *testing.T) {
	t.Parallel()
	if err := retry.Sleep(t.Context(), time.Millisecond); err != nil {
		t.Fatalf("Sleep = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := retry.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep after cancel = %v, want context.Canceled", err)
	}
}
