package pipeline

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/platform/metric"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// Metrics are the consumer's Prometheus metrics. A nil *Metrics records
// nothing. It is safe for concurrent use.
type Metrics struct {
	consumed    *prometheus.CounterVec
	applied     *prometheus.CounterVec
	freshness   *prometheus.HistogramVec
	repairs     *prometheus.HistogramVec
	hops        *prometheus.HistogramVec
	batchSize   prometheus.Histogram
	applyTime   prometheus.Histogram
	dedupHits   prometheus.Counter
	dedupErrors prometheus.Counter
	deadLetters *prometheus.CounterVec
	trimmed     *prometheus.CounterVec
	forwarded   *prometheus.CounterVec
	ignored     *prometheus.CounterVec
	retries     prometheus.Counter
	lag         *prometheus.GaugeVec
	assigned    *prometheus.GaugeVec
	partitions  *prometheus.GaugeVec
	generations prometheus.Counter
	// readerRestarts counts partition readers restarted after a failure.
	readerRestarts *prometheus.CounterVec
	// recordsLost counts records Kafka deleted before they were read.
	recordsLost *prometheus.CounterVec
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		consumed: metric.CounterVec("sfsync_consumer_records_consumed_total",
			"Kafka records read, by topic.", "topic"),
		applied: metric.CounterVec("sfsync_consumer_envelopes_applied_total",
			"Envelopes committed to PostgreSQL, by entity and whether they changed the row (changed, unchanged: older or repeated).", "entity", "result"),
		freshness: metric.HistogramVec("sfsync_consumer_freshness_seconds",
			"End-to-end freshness: PostgreSQL commit time minus the Salesforce commit timestamp, per applied envelope that changed its row; the reconciler's corrective envelopes count in sfsync_consumer_repair_age_seconds instead.", freshnessBuckets, "entity"),
		repairs: metric.HistogramVec("sfsync_consumer_repair_age_seconds",
			"For the reconciler's corrective envelopes (a record re-read after a gap or a difference) that changed their row: PostgreSQL commit time minus the record's last modification in Salesforce; how late the repair came, not lag.", freshnessBuckets, "entity"),
		hops: metric.HistogramVec("sfsync_consumer_hop_seconds",
			"Time an applied envelope spent on each hop after the producer: producer_to_fetch (the producer received its event, to this consumer's fetch from Kafka: Kafka's write, acknowledgement and fetch) and fetch_to_commit (the fetch, to the PostgreSQL commit of its batch). The reconciler's envelopes are not counted.", freshnessBuckets, "hop"),
		batchSize: metric.Histogram("sfsync_consumer_batch_size_records",
			"Kafka records per applied batch.", prometheus.ExponentialBuckets(1, 2, 14)),
		applyTime: metric.Histogram("sfsync_consumer_batch_apply_seconds",
			"Time to apply one batch in PostgreSQL, commit included.", prometheus.ExponentialBuckets(0.001, 2, 14)),
		dedupHits: metric.Counter("sfsync_consumer_dedup_hits_total",
			"Envelopes skipped because Redis had seen them."),
		dedupErrors: metric.Counter("sfsync_consumer_dedup_errors_total",
			"Redis calls that failed; the consumer carries on without the filter."),
		deadLetters: metric.CounterVec("sfsync_consumer_dead_letters_total",
			"Records sent to the dead-letter topic, by origin topic and reason (decode, apply).", "topic", "reason"),
		trimmed: metric.CounterVec("sfsync_consumer_dead_letters_trimmed_total",
			"Dead letters too large for Kafka, written without their value, by origin topic.", "topic"),
		forwarded: metric.CounterVec("sfsync_consumer_markers_forwarded_total",
			"GAP_* and GAP_OVERFLOW envelopes forwarded to the re-fetch topic, by change type.", "change_type"),
		ignored: metric.CounterVec("sfsync_consumer_envelopes_ignored_total",
			"Envelopes and markers of objects the mapping does not name, read from a consumed topic and skipped, by entity.", "entity"),
		retries: metric.Counter("sfsync_consumer_batch_retries_total",
			"Batches retried after a transient failure (PostgreSQL or Kafka unavailable)."),
		lag: metric.GaugeVec("sfsync_consumer_lag_records",
			"Records in the partition after the last one applied, by topic and partition.", "topic", "partition"),
		assigned: metric.GaugeVec("sfsync_consumer_partitions_assigned",
			"Partitions of the topic this replica owns in the current consumer group generation, by topic; summed over the group's replicas it equals sfsync_consumer_topic_partitions when every partition is owned.", "topic"),
		partitions: metric.GaugeVec("sfsync_consumer_topic_partitions",
			"Partitions the topic has, as Kafka reported at the start of the current consumer group generation, by topic.", "topic"),
	}
	m.generations = metric.Counter("sfsync_consumer_group_generations_total",
		"Consumer group generations this replica joined: one per rebalance; a steady rise is a rebalance storm.")
	m.readerRestarts = metric.CounterVec("sfsync_consumer_reader_restarts_total",
		"Partition readers restarted after a failure (leader unreachable, fetch refused), by topic; the replica is not ready until the reader reaches its partition's leader again.", "topic")
	m.recordsLost = metric.CounterVec("sfsync_consumer_records_lost_total",
		"Records Kafka deleted (retention) before the consumer read them, by topic and partition; each loss requests a reconciliation of the topic's objects.", "topic", "partition")
	reg.MustRegister(m.readerRestarts, m.recordsLost)
	reg.MustRegister(m.consumed, m.applied, m.freshness, m.repairs, m.hops, m.batchSize, m.applyTime, m.dedupHits,
		m.dedupErrors, m.deadLetters, m.trimmed, m.forwarded, m.ignored, m.retries, m.lag, m.assigned, m.partitions, m.generations)
	return m
}

func (m *Metrics) observeBatch(records int, took time.Duration) {
	if m != nil {
		m.batchSize.Observe(float64(records))
		m.applyTime.Observe(took.Seconds())
	}
}

// observeAssigned records a generation joined and how many partitions of
// each topic it assigns to this replica.
func (m *Metrics) observeAssigned(assigned map[string]int) {
	if m != nil {
		m.generations.Inc()
		for topic, n := range assigned {
			m.assigned.WithLabelValues(topic).Set(float64(n))
		}
	}
}

// observeUnassigned records that this replica owns no partition of
// topics, at the end of a generation.
func (m *Metrics) observeUnassigned(topics []string) {
	if m != nil {
		for _, topic := range topics {
			m.assigned.WithLabelValues(topic).Set(0)
		}
	}
}

// observeTopicPartitions records each topic's partition count; a topic
// missing from counts keeps its last one.
func (m *Metrics) observeTopicPartitions(counts map[string]int) {
	if m != nil {
		for topic, n := range counts {
			m.partitions.WithLabelValues(topic).Set(float64(n))
		}
	}
}

// freshnessBuckets are the upper bounds of the freshness histograms, in
// seconds: fine below the design's 250 ms, coarse up to a 4-hour outage.
var freshnessBuckets = []float64{.005, .01, .015, .02, .025, .03, .04, .05, .075, .1, .15, .2, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 14400}

// observeApplied records an envelope committed to PostgreSQL at now: its
// result, its freshness (or a corrective envelope's age) when it changed
// its row, and the hops after the producer of a change.
func (m *Metrics) observeApplied(e *envelope.Envelope, fetched time.Time, changed bool, now time.Time) {
	if m == nil {
		return
	}
	corrective := e.Corrective()
	result := "unchanged"
	if changed {
		result = "changed"
		if !e.CommitTimestamp.IsZero() {
			age := now.Sub(e.CommitTimestamp).Seconds()
			if corrective {
				m.repairs.WithLabelValues(e.Entity).Observe(age)
			} else {
				m.freshness.WithLabelValues(e.Entity).Observe(age)
			}
		}
	}
	m.applied.WithLabelValues(e.Entity, result).Inc()
	if !corrective && !e.ProducedAt.IsZero() && !fetched.IsZero() {
		m.hops.WithLabelValues("producer_to_fetch").Observe(max(fetched.Sub(e.ProducedAt), 0).Seconds())
		m.hops.WithLabelValues("fetch_to_commit").Observe(now.Sub(fetched).Seconds())
	}
}

func (m *Metrics) observeConsumed(batch []kafka.Message) {
	if m != nil {
		for _, msg := range batch {
			m.consumed.WithLabelValues(msg.Topic).Inc()
		}
	}
}

func (m *Metrics) add(c prometheus.Counter, n int) {
	if m != nil && n > 0 {
		c.Add(float64(n))
	}
}

// observeLag records, per partition of batch, the records after its
// last one.
func (m *Metrics) observeLag(batch []kafka.Message) {
	if m != nil {
		for _, msg := range batch {
			m.lag.WithLabelValues(msg.Topic, strconv.Itoa(msg.Partition)).Set(float64(max(msg.HighWaterMark-msg.Offset-1, 0)))
		}
	}
}
