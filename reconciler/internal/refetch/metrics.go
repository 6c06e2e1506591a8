package refetch

import "github.com/prometheus/client_golang/prometheus"

// metrics are the Refetcher's Prometheus metrics.
type metrics struct {
	consumed  *prometheus.CounterVec
	markers   *prometheus.CounterVec
	published *prometheus.CounterVec
	requests  *prometheus.CounterVec
	skipped   *prometheus.CounterVec
	failures  prometheus.Counter
}

// newMetrics returns the metrics, registered with reg unless it is nil.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfsync_reconciler_refetch_records_consumed_total",
			Help: "Kafka records read from the re-fetch and reconcile-request topics, by topic.",
		}, []string{"topic"}),
		markers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfsync_reconciler_refetch_markers_total",
			Help: "GAP_* and GAP_OVERFLOW envelopes handled, by entity and change type.",
		}, []string{"entity", "change_type"}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfsync_reconciler_refetch_published_total",
			Help: "Envelopes published after a re-fetch, by entity and change type (SNAPSHOT, DELETE).",
		}, []string{"entity", "change_type"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfsync_reconciler_refetch_reconcile_requests_total",
			Help: "Producer reconcile requests served, by Pub/Sub topic.",
		}, []string{"subscription"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfsync_reconciler_refetch_skipped_total",
			Help: "Records skipped, by reason (decode, unmapped, invalid).",
		}, []string{"reason"}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sfsync_reconciler_refetch_failures_total",
			Help: "Failed attempts at handling or committing a poll, each retried.",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.consumed, m.markers, m.published, m.requests, m.skipped, m.failures} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
