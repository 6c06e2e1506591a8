package retry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/internal/retry"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	const s = time.Second
	for _, tt := range []struct {
		scenario string
		min, max time.Duration
		// bounds are the [low, high] range of each of the first delays.
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
			for range 200 { // the delays are random: draw many
				b := retry.New(tt.min, tt.max)
				for i, r := range tt.bounds {
					if d := b.Next(); d < r[0] || d > r[1] {
						t.Fatalf("delay %d = %v, want in [%v, %v]", i, d, r[0], r[1])
					}
				}
				b.Reset()
				if d := b.Next(); d < tt.bounds[0][0] || d > tt.bounds[0][1] {
					t.Fatalf("delay after Reset = %v, want in [%v, %v]", d, tt.bounds[0][0], tt.bounds[0][1])
				}
			}
		})
	}
}

// TestBackoffJitters checks that the delays are spread, not the same for
// every client.
func TestBackoffJitters(t *testing.T) {
	t.Parallel()
	seen := map[time.Duration]bool{}
	for range 20 {
		b := retry.New(time.Second, time.Minute)
		seen[b.Next()] = true
	}
	if len(seen) < 10 {
		t.Fatalf("20 first delays took %d values, want them spread", len(seen))
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
