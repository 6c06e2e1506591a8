package app

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

// TestRunMetrics runs the producer against sffake and Kafka and checks
// that /metrics carries the credits outstanding of its subscription and
// the allocations read from /limits.
func TestRunMetrics(t *testing.T) {
	t.Parallel()
	r := newRig(t, map[string]string{"SFSYNC_PRODUCER_SALESFORCE_LIMITS_POLL_INTERVAL": "1s"}, sffake.WithLimit(sffake.LimitDailyDeliveredPlatformEvents, 5000))
	logs := &harness.LogBuffer{}
	stop := r.start(slog.New(slog.NewTextHandler(logs, nil)))
	for i := range 50 {
		if _, err := r.s.Create("Account", map[string]any{"Name": fmt.Sprint("A", i), "Territory_Key__c": "0MI000000000001AAA"}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, logs, "50 envelopes written", func() bool { return r.written(t) >= 50 })
	// The producer takes every event at once and keeps its capacity
	// (100) requested.
	waitFor(t, logs, "100 credits outstanding", func() bool {
		v, n := r.sum(t, "sfsync_producer_credits_outstanding", "topic", accountTopic)
		return n == 1 && v == 100
	})
	waitFor(t, logs, "the delivery allocation's gauges", func() bool {
		maxValue, n := r.sum(t, "sfsync_producer_salesforce_limit_max", "limit", limitDelivered)
		remaining, _ := r.sum(t, "sfsync_producer_salesforce_limit_remaining", "limit", limitDelivered)
		return n == 1 && maxValue == 5000 && remaining <= 5000-50
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v\nlogs:\n%s", err, logs.Take())
	}
	if v, _ := r.sum(t, "sfsync_producer_credits_outstanding", "topic", accountTopic); v != 0 {
		t.Errorf("credits outstanding after stopping: %v, want 0", v)
	}
}

// waitFor polls cond until it holds, failing after 30 s with the logs.
func waitFor(t *testing.T, logs *harness.LogBuffer, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; logs:\n%s", what, logs.Take())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
