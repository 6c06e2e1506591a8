package pubsub_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/pubsub"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scenario string
		min, max time.Duration
		// ceilings are the upper bounds of the first delays.
		ceilings []time.Duration
	}{
		{scenario: "doubles up to the max", min: time.Second, max: 5 * time.Second,
			ceilings: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}},
		{scenario: "defaults", ceilings: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{scenario: "max below min is min", min: time.Second, max: time.Millisecond,
			ceilings: []time.Duration{time.Second, time.Second}},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			a := pubsub.Backoff{Min: tt.min, Max: tt.max, Rand: rand.New(rand.NewPCG(1, 2))}
			b := pubsub.Backoff{Min: tt.min, Max: tt.max, Rand: rand.New(rand.NewPCG(1, 2))}
			lo := max(tt.min, pubsub.DefaultBackoffMin)
			if tt.min > 0 {
				lo = tt.min
			}
			var first []time.Duration
			for i, ceil := range tt.ceilings {
				d := a.Next()
				if d != b.Next() {
					t.Fatal("same seed, different delays")
				}
				if d < lo || d > ceil {
					t.Fatalf("delay %d = %v, want in [%v, %v]", i, d, lo, ceil)
				}
				first = append(first, d)
			}
			a.Reset()
			if a.Attempts() != 0 {
				t.Fatal("Reset kept attempts")
			}
			if d := a.Next(); d < lo || d > tt.ceilings[0] {
				t.Fatalf("delay after Reset = %v, want in [%v, %v]", d, lo, tt.ceilings[0])
			}
			_ = first
		})
	}
}
