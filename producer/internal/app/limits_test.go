package app

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

func restClient(t *testing.T, s *sffake.Server) *rest.Client {
	t.Helper()
	c, err := rest.New(rest.Config{
		Credentials: rest.StaticCredentials(rest.Token{AccessToken: oauth.Secret(s.AccessToken()), InstanceURL: s.URL()}),
		MaxRetries:  -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startPoller starts sffake with the Max of the limit name set to
// maxValue and returns it with a poller reading it every minute, the
// poller's registry and its log.
func startPoller(t *testing.T, name string, maxValue int64) (*sffake.Server, *limitsPoller, *prometheus.Registry, *harness.LogBuffer) {
	t.Helper()
	s, err := sffake.Start(sffake.WithLimit(name, maxValue))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	reg := prometheus.NewRegistry()
	logs := &harness.LogBuffer{}
	p := newLimitsPoller(restClient(t, s), time.Minute, reg, slog.New(slog.NewTextHandler(logs, nil)))
	return s, p, reg, logs
}

// TestLimitsPoller reads the delivery allocation from sffake as it is
// used up and freed again: gauges follow it, one warning when it falls
// under 10 %, one info line when it is back.
func TestLimitsPoller(t *testing.T) {
	t.Parallel()
	s, p, reg, logs := startPoller(t, sffake.LimitDailyDeliveredPlatformEvents, 1000)
	ctx := context.Background()
	gauges := func() (maxValue, remaining float64) {
		maxValue, okMax := value(t, reg, "sfsync_producer_salesforce_limit_max", limitDelivered)
		remaining, okRem := value(t, reg, "sfsync_producer_salesforce_limit_remaining", limitDelivered)
		if !okMax || !okRem {
			t.Fatal("no gauges of " + limitDelivered)
		}
		return maxValue, remaining
	}

	p.poll(ctx)
	if maxValue, remaining := gauges(); maxValue != 1000 || remaining != 1000 {
		t.Fatalf("max %v remaining %v, want 1000 and 1000", maxValue, remaining)
	}
	if published, ok := value(t, reg, "sfsync_producer_salesforce_limit_max", limitPublished); !ok || published != 250_000 {
		t.Errorf("%s max %v (%v), want 250000", limitPublished, published, ok)
	}
	if l := logs.Take(); l != "" {
		t.Errorf("logs with the allocation unused:\n%s", l)
	}

	s.ExhaustLimit(sffake.LimitDailyDeliveredPlatformEvents)
	p.poll(ctx)
	if _, remaining := gauges(); remaining != 0 {
		t.Fatalf("remaining %v after exhausting, want 0", remaining)
	}
	if l := logs.Take(); strings.Count(l, "level=WARN") != 1 || !strings.Contains(l, "limit="+limitDelivered) || !strings.Contains(l, "subscription.limit.exceeded") {
		t.Errorf("want one warning naming the limit, got:\n%s", l)
	}
	p.poll(ctx)
	if l := logs.Take(); l != "" {
		t.Errorf("warned again while still low:\n%s", l)
	}

	s.ResetLimits()
	p.poll(ctx)
	if _, remaining := gauges(); remaining != 1000 {
		t.Fatalf("remaining %v after the window reset, want 1000", remaining)
	}
	if l := logs.Take(); !strings.Contains(l, "level=INFO") || !strings.Contains(l, "available again") {
		t.Errorf("want an info line on recovery, got:\n%s", l)
	}
	if failures, _ := value(t, reg, "sfsync_producer_salesforce_limits_poll_failures_total", ""); failures != 0 {
		t.Errorf("failures %v, want 0", failures)
	}
}

// TestLimitsPollerFailures runs the poller against a /limits that fails,
// then recovers: failures are counted and logged, polling goes on, and
// the gauges appear once a read succeeds.
func TestLimitsPollerFailures(t *testing.T) {
	t.Parallel()
	s, err := sffake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	s.FailNextHTTP(2, sffake.HTTPFault{Status: 500, ErrorCode: "UNKNOWN_EXCEPTION", Message: "boom"})
	reg := prometheus.NewRegistry()
	logs := &harness.LogBuffer{}
	p := newLimitsPoller(restClient(t, s), 10*time.Millisecond, reg, slog.New(slog.NewTextHandler(logs, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.run(ctx) }()

	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := value(t, reg, "sfsync_producer_salesforce_limit_remaining", limitDelivered); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no gauge after the faults; logs:\n%s", logs.Take())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if failures, _ := value(t, reg, "sfsync_producer_salesforce_limits_poll_failures_total", ""); failures != 2 {
		t.Errorf("failures %v, want 2", failures)
	}
	if l := logs.Take(); strings.Count(l, "salesforce limits not read") != 2 || strings.Contains(l, s.AccessToken()) {
		t.Errorf("want two warnings without the token, got:\n%s", l)
	}
}

// TestLimitsPollerAPIRequests follows DailyApiRequests, which each read
// of /limits spends in sffake as in Salesforce: the gauges count down
// poll by poll, one warning once under 10 %, the reads fail once it is
// used up, and an info line when a new window frees it.
func TestLimitsPollerAPIRequests(t *testing.T) {
	t.Parallel()
	const allocation = 20
	s, p, reg, logs := startPoller(t, sffake.LimitDailyAPIRequests, allocation)
	ctx := context.Background()
	remaining := func() float64 {
		t.Helper()
		v, ok := value(t, reg, "sfsync_producer_salesforce_limit_remaining", limitAPIRequests)
		if !ok {
			t.Fatal("no remaining gauge of " + limitAPIRequests)
		}
		return v
	}

	// Reads 1 to 18 leave 19 to 2: at or above 10 % of 20.
	for i := 1; i <= allocation-2; i++ {
		p.poll(ctx)
		if got := remaining(); got != float64(allocation-i) {
			t.Fatalf("remaining %v after %d reads, want %d", got, i, allocation-i)
		}
	}
	if maxValue, ok := value(t, reg, "sfsync_producer_salesforce_limit_max", limitAPIRequests); !ok || maxValue != allocation {
		t.Errorf("max %v (%v), want %d", maxValue, ok, allocation)
	}
	if l := logs.Take(); l != "" {
		t.Errorf("logs at or above 10 %%:\n%s", l)
	}
	p.poll(ctx) // 1 left: under 10 %
	if l := logs.Take(); strings.Count(l, "level=WARN") != 1 || !strings.Contains(l, "limit="+limitAPIRequests) || !strings.Contains(l, "REQUEST_LIMIT_EXCEEDED") {
		t.Errorf("want one warning naming the limit, got:\n%s", l)
	}
	p.poll(ctx) // the last request: 0 left
	if got := remaining(); got != 0 {
		t.Fatalf("remaining %v, want 0", got)
	}
	p.poll(ctx) // refused: the gauge keeps its last value
	if failures, _ := value(t, reg, "sfsync_producer_salesforce_limits_poll_failures_total", ""); failures != 1 {
		t.Errorf("failures %v once used up, want 1", failures)
	}
	if l := logs.Take(); strings.Contains(l, "nearly used up") || !strings.Contains(l, "salesforce limits not read") {
		t.Errorf("want the failed read and no second warning, got:\n%s", l)
	}

	s.ResetLimits()
	p.poll(ctx)
	if got := remaining(); got != allocation-1 {
		t.Fatalf("remaining %v after the window reset, want %d", got, allocation-1)
	}
	if l := logs.Take(); !strings.Contains(l, "level=INFO") || !strings.Contains(l, "available again") || !strings.Contains(l, "limit="+limitAPIRequests) {
		t.Errorf("want an info line on recovery, got:\n%s", l)
	}
}

// value returns the value of the gauge or counter name, with the label
// limit=limit when limit is not empty, and whether it exists.
func value(t *testing.T, reg *prometheus.Registry, name, limit string) (float64, bool) {
	t.Helper()
	labels := []string{"limit", limit}
	if limit == "" {
		labels = nil
	}
	v, n := harness.MetricValue(t, reg, name, labels...)
	return v, n > 0
}
