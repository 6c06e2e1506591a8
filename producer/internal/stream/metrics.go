package stream

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the producer's Prometheus metrics, shared by its streams.
// A nil *Metrics records nothing. It is safe for concurrent use.
type Metrics struct {
	received     *prometheus.CounterVec
	written      *prometheus.CounterVec
	deadLetters  *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	resubscribes *prometheus.CounterVec
	checkpoint   *prometheus.GaugeVec
	inFlight     *prometheus.GaugeVec
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfsync_producer_events_received_total",
			Help: "Salesforce events received, by Pub/Sub topic and change type (keepalives excluded).",
		}, []string{"topic", "change_type"}),
		written: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfsync_producer_records_written_total",
			Help: "Envelopes acknowledged by Kafka, by Kafka topic and change type.",
		}, []string{"kafka_topic", "change_type"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfsync_producer_dead_letters_total",
			Help: "Events sent to the dead-letter topic, by Pub/Sub topic.",
		}, []string{"topic"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sfsync_producer_commit_to_kafka_seconds",
			Help:    "Time from the Salesforce commit of a change to Kafka's acknowledgement of its envelope.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 3600},
		}, []string{"topic"}),
		resubscribes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfsync_producer_resubscribes_total",
			Help: "Subscriptions reopened after a failure, by Pub/Sub topic and cause.",
		}, []string{"topic", "cause"}),
		checkpoint: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sfsync_producer_checkpoint_timestamp_seconds",
			Help: "Unix time of the last saved replay checkpoint, by Pub/Sub topic; time() minus it is the checkpoint's age.",
		}, []string{"topic"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sfsync_producer_records_in_flight",
			Help: "Envelopes written to Kafka and not yet acknowledged, by Pub/Sub topic.",
		}, []string{"topic"}),
	}
	reg.MustRegister(m.received, m.written, m.deadLetters, m.latency, m.resubscribes, m.checkpoint, m.inFlight)
	return m
}

func (m *Metrics) eventReceived(topic, changeType string) {
	if m != nil {
		m.received.WithLabelValues(topic, changeType).Inc()
	}
}

func (m *Metrics) recordWritten(topic, kafkaTopic, changeType string, commit time.Time) {
	if m != nil {
		m.written.WithLabelValues(kafkaTopic, changeType).Inc()
		if !commit.IsZero() {
			m.latency.WithLabelValues(topic).Observe(time.Since(commit).Seconds())
		}
	}
}

func (m *Metrics) deadLettered(topic string) {
	if m != nil {
		m.deadLetters.WithLabelValues(topic).Inc()
	}
}

func (m *Metrics) resubscribed(topic, cause string) {
	if m != nil {
		m.resubscribes.WithLabelValues(topic, cause).Inc()
	}
}

func (m *Metrics) checkpointSaved(topic string, at time.Time) {
	if m != nil {
		m.checkpoint.WithLabelValues(topic).Set(float64(at.UnixNano()) / 1e9)
	}
}

func (m *Metrics) inFlightRecords(topic string, n int) {
	if m != nil {
		m.inFlight.WithLabelValues(topic).Set(float64(n))
	}
}
