package stream

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/sfsync/sfsync/platform/metric"
	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// Metrics are the producer's Prometheus metrics, shared by its streams.
// A nil *Metrics records nothing. It is safe for concurrent use.
type Metrics struct {
	received     *prometheus.CounterVec
	written      *prometheus.CounterVec
	deadLetters  *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	hops         *prometheus.HistogramVec
	resubscribes *prometheus.CounterVec
	checkpoint   *prometheus.GaugeVec
	inFlight     *prometheus.GaugeVec
	credits      *prometheus.GaugeVec
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		received: metric.CounterVec("sfsync_producer_events_received_total",
			"Salesforce events received, by Pub/Sub topic and change type (keepalives excluded).", "topic", "change_type"),
		written: metric.CounterVec("sfsync_producer_records_written_total",
			"Envelopes acknowledged by Kafka, by Kafka topic and change type.", "kafka_topic", "change_type"),
		deadLetters: metric.CounterVec("sfsync_producer_dead_letters_total",
			"Events sent to the dead-letter topic, by Pub/Sub topic and reason: invalid (not turned into envelopes) or oversized (envelopes larger than their Kafka topic takes).", "topic", "reason"),
		latency: metric.HistogramVec("sfsync_producer_commit_to_kafka_seconds",
			"Time from the Salesforce commit of a change to Kafka's acknowledgement of its envelope.", []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 3600}, "topic"),
		hops: metric.HistogramVec("sfsync_producer_hop_seconds",
			"Time an envelope Kafka acknowledged spent on each hop to it: salesforce_to_producer (the Salesforce commit, to the producer's receipt of the event) and producer_to_ack (the receipt, to Kafka's acknowledgement).", []float64{.001, .0025, .005, .01, .015, .02, .025, .03, .04, .05, .075, .1, .15, .2, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 3600}, "hop"),
		resubscribes: metric.CounterVec("sfsync_producer_resubscribes_total",
			"Subscriptions reopened after a failure, by Pub/Sub topic and cause.", "topic", "cause"),
		checkpoint: metric.GaugeVec("sfsync_producer_checkpoint_timestamp_seconds",
			"Unix time of the last saved replay checkpoint, by Pub/Sub topic; time() minus it is the checkpoint's age.", "topic"),
		inFlight: metric.GaugeVec("sfsync_producer_records_in_flight",
			"Envelopes written to Kafka and not yet acknowledged, by Pub/Sub topic.", "topic"),
		credits: metric.GaugeVec("sfsync_producer_credits_outstanding",
			"Events requested from Salesforce (FetchRequest num_requested) and not yet received, by Pub/Sub topic.", "topic"),
	}
	reg.MustRegister(m.received, m.written, m.deadLetters, m.latency, m.hops, m.resubscribes, m.checkpoint, m.inFlight, m.credits)
	return m
}

func (m *Metrics) eventReceived(topic, changeType string) {
	if m != nil {
		m.received.WithLabelValues(topic, changeType).Inc()
	}
}

// recordWritten records e acknowledged by Kafka in kafkaTopic, from the
// Pub/Sub topic topic; e's ProducedAt is when the producer received its
// event.
func (m *Metrics) recordWritten(topic, kafkaTopic string, e *envelope.Envelope) {
	if m == nil {
		return
	}
	now := time.Now()
	m.written.WithLabelValues(kafkaTopic, e.ChangeType.String()).Inc()
	if e.CommitTimestamp.IsZero() {
		return
	}
	m.latency.WithLabelValues(topic).Observe(now.Sub(e.CommitTimestamp).Seconds())
	if !e.ProducedAt.IsZero() {
		m.hops.WithLabelValues("salesforce_to_producer").Observe(max(e.ProducedAt.Sub(e.CommitTimestamp), 0).Seconds())
		m.hops.WithLabelValues("producer_to_ack").Observe(now.Sub(e.ProducedAt).Seconds())
	}
}

// The reasons of the dead-letters metric.
const (
	reasonInvalid   = "invalid"
	reasonOversized = "oversized"
)

func (m *Metrics) deadLettered(topic, reason string) {
	if m != nil {
		m.deadLetters.WithLabelValues(topic, reason).Inc()
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

// CreditsDialOption returns a gRPC dial option for the Pub/Sub client
// (pubsub.Config.DialOptions) that keeps sfsync_producer_credits_outstanding
// up to date: it watches every Subscribe stream, adding each
// FetchRequest's num_requested and subtracting each event received, by
// the stream's topic, and gives back what a stream still had outstanding
// when it ends. With a nil *Metrics it returns a no-op option.
func (m *Metrics) CreditsDialOption() grpc.DialOption {
	if m == nil {
		return grpc.EmptyDialOption{}
	}
	return grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil || method != eventbus.PubSub_Subscribe_FullMethodName {
			return cs, err
		}
		return &creditStream{ClientStream: cs, credits: m.credits}, nil
	})
}

// creditStream counts one Subscribe stream's credits. Its topic is the
// one the first FetchRequest names.
type creditStream struct {
	grpc.ClientStream
	credits *prometheus.GaugeVec

	mu          sync.Mutex
	topic       string
	outstanding int64
	ended       bool
}

func (s *creditStream) SendMsg(msg any) error {
	req, ok := msg.(*eventbus.FetchRequest)
	if !ok {
		return s.ClientStream.SendMsg(msg)
	}
	s.mu.Lock()
	if s.topic == "" {
		s.topic = req.GetTopicName()
	}
	n := int64(req.GetNumRequested())
	if !s.ended && s.topic != "" && n > 0 {
		s.outstanding += n
		s.credits.WithLabelValues(s.topic).Add(float64(n))
	}
	s.mu.Unlock()
	// Counted before sending, so that events answering it cannot be
	// subtracted first; a failed send ends the stream, which gives the
	// credits back.
	return s.ClientStream.SendMsg(msg)
}

func (s *creditStream) RecvMsg(msg any) error {
	err := s.ClientStream.RecvMsg(msg)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended || s.topic == "" {
		return err
	}
	if err != nil {
		// The stream is over: what it was owed will never come.
		s.ended = true
		s.credits.WithLabelValues(s.topic).Sub(float64(s.outstanding))
		s.outstanding = 0
		return err
	}
	if resp, ok := msg.(*eventbus.FetchResponse); ok {
		n := min(int64(len(resp.GetEvents())), s.outstanding)
		s.outstanding -= n
		s.credits.WithLabelValues(s.topic).Sub(float64(n))
	}
	return err
}
