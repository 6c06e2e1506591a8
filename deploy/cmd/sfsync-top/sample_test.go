package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const scrape1 = `# TYPE sfsync_consumer_envelopes_applied_total counter
sfsync_consumer_envelopes_applied_total{entity="Account",result="changed"} 100
sfsync_consumer_envelopes_applied_total{entity="Account",result="unchanged"} 10
# TYPE sfsync_consumer_freshness_seconds histogram
sfsync_consumer_freshness_seconds_bucket{entity="Account",le="0.1"} 50
sfsync_consumer_freshness_seconds_bucket{entity="Account",le="1"} 90
sfsync_consumer_freshness_seconds_bucket{entity="Account",le="+Inf"} 100
sfsync_consumer_freshness_seconds_sum{entity="Account"} 20
sfsync_consumer_freshness_seconds_count{entity="Account"} 100
# TYPE sfsync_consumer_lag_records gauge
sfsync_consumer_lag_records{topic="a",partition="0"} 3
sfsync_consumer_lag_records{topic="a",partition="1"} 4
`

func TestSampleRatesAndQuantiles(t *testing.T) {
	t0 := time.Unix(1000, 0)
	a, err := parse([]byte(scrape1), t0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := parse([]byte(strings.ReplaceAll(scrape1, "} 100\n", "} 300\n")), t0.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if got := rate(b, a, "sfsync_consumer_envelopes_applied_total"); got != 100 {
		t.Errorf("rate = %v, want 100/s", got)
	}
	if got := a.sum("sfsync_consumer_lag_records"); got != 7 {
		t.Errorf("lag = %v, want 7", got)
	}
	h := a.histogram("sfsync_consumer_freshness_seconds")
	if got := h.quantile(0.5); got != 0.1 {
		t.Errorf("p50 = %v, want 0.1", got)
	}
	if got := h.quantile(0.7); math.Abs(got-0.55) > 1e-9 {
		t.Errorf("p70 = %v, want 0.55 (interpolated)", got)
	}
	if got := h.quantile(0.99); got != 1 {
		t.Errorf("p99 in +Inf = %v, want the largest bound, 1", got)
	}
	// Between the scrapes only +Inf-bucket observations arrived.
	if d := b.histogram("sfsync_consumer_freshness_seconds").minus(h); d.count() != 200 || d[0.1] != 0 {
		t.Errorf("delta histogram = %v", d)
	}
	if !math.IsNaN(histogram{}.quantile(0.5)) {
		t.Error("quantile of an empty histogram is not NaN")
	}
}

func TestReport(t *testing.T) {
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		fmt.Fprint(w, strings.ReplaceAll(scrape1, "} 100\n", fmt.Sprintf("} %d\n", 100*n)))
	}))
	defer srv.Close()
	tp := &top{client: &http.Client{Timeout: time.Second}, consumers: []string{srv.URL, "http://127.0.0.1:1"}, prev: map[string]*sample{}}
	tp.scrape(context.Background())
	out := tp.report(context.Background())
	for _, want := range []string{"lag 7", "p50 1.00 s", "replica 2", "unreachable"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
