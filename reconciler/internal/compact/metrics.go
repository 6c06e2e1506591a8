package compact

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfsync/sfsync/platform/metric"
)

// metrics are the Compactor's Prometheus metrics.
type metrics struct {
	published *prometheus.CounterVec
	failures  *prometheus.CounterVec
	watermark *prometheus.GaugeVec
}

// newMetrics returns the metrics, registered with reg unless it is nil.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		published: metric.CounterVec("sfsync_reconciler_compact_published_total",
			"Records written to the latest-state topics, by entity and kind (state, tombstone).", "entity", "kind"),
		failures: metric.CounterVec("sfsync_reconciler_compact_failures_total",
			"Failed passes over a table, by entity; each is retried at the next interval.", "entity"),
		watermark: metric.GaugeVec("sfsync_reconciler_compact_watermark_timestamp_seconds",
			"The greatest _sf_synced_at published to the entity's latest-state topic, as a Unix time.", "entity"),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.published, m.failures, m.watermark} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
