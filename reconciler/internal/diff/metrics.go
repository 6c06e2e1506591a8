package diff

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfsync/sfsync/platform/metric"
)

// Metrics records what verifies find and repair. A nil *Metrics records
// nothing. It is safe for concurrent use.
type Metrics struct {
	driftFound *prometheus.CounterVec
	repaired   *prometheus.CounterVec
	lastTime   *prometheus.GaugeVec
	lastDur    *prometheus.GaugeVec
	lastDrift  *prometheus.GaugeVec
	withheld   *prometheus.CounterVec
}

// NewMetrics registers the reconciler's drift metrics on reg:
//
//	sfsync_reconciler_drift_found_total{object,kind}      differences found (kind missing, extra, different)
//	sfsync_reconciler_repaired_total{object}              corrective envelopes published for them
//	sfsync_reconciler_last_verify_timestamp_seconds{mode} when the last verify of the mode ended
//	sfsync_reconciler_last_verify_duration_seconds{mode}  how long it took
//	sfsync_reconciler_last_verify_drift_records{object}   differences the object's last verify found
//	sfsync_reconciler_verify_deletes_withheld_total{object} extra rows not deleted, more than Config.MaxDeletes
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		driftFound: metric.CounterVec("sfsync_reconciler_drift_found_total",
			"Differences between PostgreSQL and Salesforce found by verifies, by object and kind (missing, extra, different).", "object", "kind"),
		repaired: metric.CounterVec("sfsync_reconciler_repaired_total",
			"Differences repaired by publishing a corrective envelope, by object.", "object"),
		lastTime: metric.GaugeVec("sfsync_reconciler_last_verify_timestamp_seconds",
			"Unix time the last verify of each mode (full, incremental) ended.", "mode"),
		lastDur: metric.GaugeVec("sfsync_reconciler_last_verify_duration_seconds",
			"How long the last verify of each mode took, grace periods included.", "mode"),
		lastDrift: metric.GaugeVec("sfsync_reconciler_last_verify_drift_records",
			"Differences the last verify of each object found.", "object"),
		withheld: metric.CounterVec("sfsync_reconciler_verify_deletes_withheld_total",
			"Extra rows a verify did not delete because they were more than its max_deletes_per_pass, by object.", "object"),
	}
	reg.MustRegister(m.driftFound, m.repaired, m.lastTime, m.lastDur, m.lastDrift, m.withheld)
	return m
}

// observe records the outcome of one object's verify.
func (m *Metrics) observe(r *Result) {
	if m == nil {
		return
	}
	for kind, n := range map[Kind]int{Missing: r.Missing, Extra: r.Extra, Different: r.Different} {
		m.driftFound.WithLabelValues(r.Object, string(kind)).Add(float64(n))
	}
	m.repaired.WithLabelValues(r.Object).Add(float64(r.Repaired))
	m.withheld.WithLabelValues(r.Object).Add(float64(r.DeletesWithheld))
	m.lastDrift.WithLabelValues(r.Object).Set(float64(r.Drift()))
}

// verified records the end of a verify of every object in mode.
func (m *Metrics) verified(mode Mode, end time.Time, took time.Duration) {
	if m == nil {
		return
	}
	m.lastTime.WithLabelValues(string(mode)).Set(float64(end.UnixNano()) / 1e9)
	m.lastDur.WithLabelValues(string(mode)).Set(took.Seconds())
}
