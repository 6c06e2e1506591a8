package poll

import "github.com/prometheus/client_golang/prometheus"

// metrics are the Poller's Prometheus metrics.
type metrics struct {
	published   *prometheus.CounterVec
	hardDeletes *prometheus.CounterVec
	// deletesWithheld counts the rows a hard-delete check did not
	// delete, more than Config.MaxDeletes.
	deletesWithheld *prometheus.CounterVec
	failures        *prometheus.CounterVec
	lastPoll        *prometheus.GaugeVec
	highWater       *prometheus.GaugeVec
}

// newMetrics returns the metrics, registered with reg unless it is nil.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfsync_reconciler_poll_published_total",
			Help: "Envelopes published for poll-only objects, by entity and change type (SNAPSHOT, DELETE).",
		}, []string{"entity", "change_type"}),
		hardDeletes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfsync_reconciler_poll_hard_deletes_total",
			Help: "DELETE envelopes published for records gone even from the recycle bin, by entity.",
		}, []string{"entity"}),
		deletesWithheld: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfsync_reconciler_poll_deletes_withheld_total",
			Help: "Live rows missing from Salesforce that a hard-delete check did not delete because they were more than max_deletes_per_pass, by entity.",
		}, []string{"entity"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfsync_reconciler_poll_failures_total",
			Help: "Failed polls, by entity; each is retried at the next interval.",
		}, []string{"entity"}),
		lastPoll: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sfsync_reconciler_poll_last_success_timestamp_seconds",
			Help: "When the last successful poll of the entity ended, as a Unix time.",
		}, []string{"entity"}),
		highWater: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sfsync_reconciler_poll_high_water_timestamp_seconds",
			Help: "The greatest SystemModstamp published for the entity, as a Unix time.",
		}, []string{"entity"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.published, m.hardDeletes, m.deletesWithheld, m.failures, m.lastPoll, m.highWater} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
