package compact

import "github.com/prometheus/client_golang/prometheus"

// metrics are the Compactor's Prometheus metrics.
type metrics struct {
	published *prometheus.CounterVec
	failures  *prometheus.CounterVec
	watermark *prometheus.GaugeVec
}

// newMetrics returns the metrics, registered with reg unless it is nil.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfsync_reconciler_compact_published_total",
			Help: "Records written to the latest-state topics, by entity and kind (state, tombstone).",
		}, []string{"entity", "kind"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfsync_reconciler_compact_failures_total",
			Help: "Failed passes over a table, by entity; each is retried at the next interval.",
		}, []string{"entity"}),
		watermark: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sfsync_reconciler_compact_watermark_timestamp_seconds",
			Help: "The greatest _sf_synced_at published to the entity's latest-state topic, as a Unix time.",
		}, []string{"entity"}),
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
