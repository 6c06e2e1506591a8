package poll

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfsync/sfsync/platform/metric"
)

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
		published: metric.CounterVec("sfsync_reconciler_poll_published_total",
			"Envelopes published for poll-only objects, by entity and change type (SNAPSHOT, DELETE).", "entity", "change_type"),
		hardDeletes: metric.CounterVec("sfsync_reconciler_poll_hard_deletes_total",
			"DELETE envelopes published for records gone even from the recycle bin, by entity.", "entity"),
		deletesWithheld: metric.CounterVec("sfsync_reconciler_poll_deletes_withheld_total",
			"Live rows missing from Salesforce that a hard-delete check did not delete because they were more than max_deletes_per_pass, by entity.", "entity"),
		failures: metric.CounterVec("sfsync_reconciler_poll_failures_total",
			"Failed polls, by entity; each is retried at the next interval.", "entity"),
		lastPoll: metric.GaugeVec("sfsync_reconciler_poll_last_success_timestamp_seconds",
			"When the last successful poll of the entity ended, as a Unix time.", "entity"),
		highWater: metric.GaugeVec("sfsync_reconciler_poll_high_water_timestamp_seconds",
			"The greatest SystemModstamp published for the entity, as a Unix time.", "entity"),
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
