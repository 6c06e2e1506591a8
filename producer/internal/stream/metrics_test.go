package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/integration/harness/sfrig"
	"github.com/sfsync/sfsync/producer/internal/stream"
	"github.com/sfsync/sfsync/salesforce/pubsub"
)

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCreditsOutstanding follows the credits gauge of one subscription
// through its life: the first request, events received and not taken,
// events taken (which tops the credits up), and the end of the stream,
// which gives back what it was still owed.
func TestCreditsOutstanding(t *testing.T) {
	t.Parallel()
	s := sfrig.StartSalesforce(t)
	reg := prometheus.NewRegistry()
	metrics := stream.NewMetrics(reg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := sfrig.DialPubSub(t, s, metrics.CreditsDialOption())

	const topic = "/data/AccountChangeEvent"
	credits := func() float64 {
		v, _ := harness.MetricValue(t, reg, "sfsync_producer_credits_outstanding", "topic", topic)
		return v
	}
	sub, err := client.Subscribe(ctx, pubsub.SubscribeRequest{Topic: topic, Preset: pubsub.Earliest, Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "10 credits requested", func() bool { return credits() == 10 })

	for range 3 {
		if _, err := s.Create("Account", map[string]any{"Name": "Acme"}); err != nil {
			t.Fatal(err)
		}
	}
	// Three events arrive and wait in the buffer: 7 still owed, and no
	// room for more.
	eventually(t, "3 events received", func() bool { return sub.Stats().Events == 3 })
	if got := credits(); got != 7 {
		t.Fatalf("credits outstanding after 3 events received: %v, want 7", got)
	}
	for range 3 {
		if _, err := sub.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Taking them frees 3 places: below the subscription's threshold of
	// half its capacity, so nothing is requested yet.
	if got := credits(); got != 7 {
		t.Fatalf("credits outstanding after 3 events taken: %v, want 7", got)
	}
	for range 2 {
		if _, err := s.Create("Account", map[string]any{"Name": "Acme"}); err != nil {
			t.Fatal(err)
		}
		if _, err := sub.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Two more events taken leave five free places, the threshold: the subscription asks for
	// them, back to its capacity.
	eventually(t, "credits topped up to 10", func() bool { return credits() == 10 })

	_ = sub.Close()
	eventually(t, "credits given back", func() bool { return credits() == 0 })
}
