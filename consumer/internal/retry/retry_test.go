package retry

import (
	"context"
	"testing"
	"time"
)

func TestNewBounds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario     string
		first, limit time.Duration
		steps        []time.Duration
	}{
		{scenario: "defaults", steps: []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}},
		{scenario: "capped", first: time.Second, limit: 3 * time.Second, steps: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}},
		{scenario: "limit below first", first: time.Second, limit: time.Millisecond, steps: []time.Duration{time.Second, time.Second}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			for range 50 {
				b := New(tc.first, tc.limit)
				for i, step := range tc.steps {
					lo, hi := step/2, step+time.Microsecond
					if d := b.NextBackOff(); d < lo || d > hi {
						t.Fatalf("wait %d is %s; want within [%s, %s]", i, d, lo, hi)
					}
				}
				b.Reset()
				if d := b.NextBackOff(); d > tc.steps[0]+time.Microsecond {
					t.Fatalf("after Reset the wait is %s; want at most %s", d, tc.steps[0])
				}
			}
		})
	}
}

func TestSleepEndsWithContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Fatal("Sleep waited an hour with its context ended")
	}
	if !Sleep(context.Background(), time.Millisecond) {
		t.Fatal("Sleep did not wait a millisecond")
	}
}
