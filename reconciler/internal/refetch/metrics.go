package refetch

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfsync/sfsync/platform/metric"
)

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
		consumed: metric.CounterVec("sfsync_reconciler_refetch_records_consumed_total",
			"Kafka records read from the re-fetch and reconcile-request topics, by topic.", "topic"),
		markers: metric.CounterVec("sfsync_reconciler_refetch_markers_total",
			"GAP_* and GAP_OVERFLOW envelopes handled, by entity and change type.", "entity", "change_type"),
		published: metric.CounterVec("sfsync_reconciler_refetch_published_total",
			"Envelopes published after a re-fetch, by entity and change type (SNAPSHOT, DELETE).", "entity", "change_type"),
		requests: metric.CounterVec("sfsync_reconciler_refetch_reconcile_requests_total",
			"Producer reconcile requests served, by Pub/Sub topic.", "subscription"),
		skipped: metric.CounterVec("sfsync_reconciler_refetch_skipped_total",
			"Records skipped, by reason (decode, unmapped, invalid).", "reason"),
		failures: metric.Counter("sfsync_reconciler_refetch_failures_total",
			"Failed attempts at handling or committing a poll, each retried."),
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
