package refetch

import (
	"testing"
	"time"
)

// TestBackOff checks that the waits between attempts start at RetryMin,
// double up to the limit, and are randomised by at most half either way.
func TestBackOff(t *testing.T) {
	t.Parallel()
	r := &Refetcher{cfg: Config{RetryMin: time.Second, RetryMax: 8 * time.Second}}
	b := r.backOff(r.cfg.RetryMax)
	for i, base := range []time.Duration{1, 2, 4, 8, 8, 8} {
		base *= time.Second
		if got := b.NextBackOff(); got < base/2 || got > base*3/2 {
			t.Errorf("wait %d = %v, want within half of %v", i, got, base)
		}
	}
	fetch := r.backOff(r.cfg.RetryMin)
	for i := range 3 {
		if got := fetch.NextBackOff(); got < r.cfg.RetryMin/2 || got > r.cfg.RetryMin*3/2 {
			t.Errorf("fetch wait %d = %v, want within half of %v", i, got, r.cfg.RetryMin)
		}
	}
}
