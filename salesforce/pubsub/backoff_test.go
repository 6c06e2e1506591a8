package pubsub_test

import (
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/pubsub"
)

// TestBackoff checks pubsub.Backoff's defaults, bounds and attempt
// count; platform/retry tests the delays themselves.
func TestBackoff(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scenario string
		min, max time.Duration
		// lo and hi bound every delay; first bounds the first.
		lo, hi, first time.Duration
	}{
		{scenario: "within min and max", min: time.Second, max: 5 * time.Second,
			lo: time.Second, hi: 5 * time.Second, first: 2 * time.Second},
		{scenario: "defaults", lo: pubsub.DefaultBackoffMin, hi: pubsub.DefaultBackoffMax, first: 2 * pubsub.DefaultBackoffMin},
		{scenario: "max below min is min", min: time.Second, max: time.Millisecond,
			lo: time.Second, hi: time.Second, first: time.Second},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			b := pubsub.Backoff{Min: tt.min, Max: tt.max}
			for i := range 10 {
				hi := tt.hi
				if i == 0 {
					hi = tt.first
				}
				if d := b.Next(); d < tt.lo || d > hi {
					t.Fatalf("delay %d = %v, want in [%v, %v]", i, d, tt.lo, hi)
				}
			}
			if b.Attempts() != 10 {
				t.Fatalf("Attempts = %d, want 10", b.Attempts())
			}
			b.Reset()
			if b.Attempts() != 0 {
				t.Fatal("Reset kept attempts")
			}
			if d := b.Next(); d < tt.lo || d > tt.first {
				t.Fatalf("delay after Reset = %v, want in [%v, %v]", d, tt.lo, tt.first)
			}
		})
	}
}
