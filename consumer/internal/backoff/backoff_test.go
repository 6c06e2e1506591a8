package backoff

import (
	"context"
	"testing"
	"time"
)

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario   string
		first, max time.Duration
		steps      []time.Duration
	}{
		{scenario: "defaults", steps: []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}},
		{scenario: "capped", first: time.Second, max: 3 * time.Second, steps: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			for range 50 {
				b := Backoff{First: tc.first, Max: tc.max}
				for i, step := range tc.steps {
					if d := b.Next(); d < step/2 || d > step {
						t.Fatalf("wait %d is %s; want within [%s, %s]", i, d, step/2, step)
					}
				}
				b.Reset()
				if d := b.Next(); d > tc.steps[0] {
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
