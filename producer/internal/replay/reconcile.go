package replay

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/schemas/checkpoint"
)

// ReconcileRequest asks the reconciler to re-check the objects of a
// subscription, as events may have been lost before ReplayID.
type ReconcileRequest struct {
	// Subscription is the Pub/Sub topic, e.g. /data/AccountChangeEvent.
	Subscription string
	// ReplayID is the refused or dead-lettered event's replay id.
	ReplayID []byte
	// Reason says what happened, for the reconciler's logs.
	Reason string
	// Time is when the request was made.
	Time time.Time
}

// NewReconcileRequest returns the request to reconcile subscription
// because of what reason says happened at replayID, made now. The replay
// id is copied.
func NewReconcileRequest(subscription string, replayID []byte, reason string) ReconcileRequest {
	return ReconcileRequest{Subscription: subscription, ReplayID: bytes.Clone(replayID), Reason: reason, Time: time.Now()}
}

// Checkpoint returns r as the reconcile topic carries it: a checkpoint
// of orgID's subscription flagged GapSuspected, written by producerID.
func (r ReconcileRequest) Checkpoint(orgID, producerID string) checkpoint.Checkpoint {
	return checkpoint.Checkpoint{
		OrgID: orgID, Subscription: r.Subscription, ReplayID: r.ReplayID, UpdatedAt: r.Time,
		ProducerID: producerID, GapSuspected: true, GapReason: r.Reason,
	}
}

// RequestsConfig configures [Requests].
type RequestsConfig struct {
	// Brokers are the Kafka bootstrap addresses. Required.
	Brokers []string
	// Topic is the reconcile topic. Required.
	Topic string
	// Transport carries TLS and SASL settings; nil uses kafka-go's
	// default plaintext transport.
	Transport *kafka.Transport
	// OrgID and ProducerID stamp every request (see [ProducerID]).
	OrgID, ProducerID string
}

// Requests writes reconcile requests to the reconcile topic, each keyed
// "<org id>|<subscription>", and returns once every in-sync replica has
// it. It is safe for concurrent use.
type Requests struct {
	w        *kafka.Writer
	codec    *checkpoint.Codec
	orgID    string
	producer string
}

// NewRequests returns the writer of reconcile requests of cfg.
func NewRequests(cfg RequestsConfig) (*Requests, error) {
	if len(cfg.Brokers) == 0 || cfg.Topic == "" {
		return nil, errors.New("reconcile requests: no Kafka brokers or topic")
	}
	codec, err := checkpoint.NewCodec()
	if err != nil {
		return nil, err
	}
	w := &kafka.Writer{
		Addr: kafka.TCP(cfg.Brokers...), Topic: cfg.Topic,
		RequiredAcks: kafka.RequireAll, Balancer: kafka.Murmur2Balancer{Consistent: true},
	}
	if cfg.Transport != nil {
		w.Transport = cfg.Transport
	}
	return &Requests{w: w, codec: codec, orgID: cfg.OrgID, producer: cfg.ProducerID}, nil
}

// Request writes r.
func (q *Requests) Request(ctx context.Context, r ReconcileRequest) error {
	msg, err := q.message(r)
	if err != nil {
		return err
	}
	return q.w.WriteMessages(ctx, msg)
}

// message is the Kafka record of r.
func (q *Requests) message(r ReconcileRequest) (kafka.Message, error) {
	cp := r.Checkpoint(q.orgID, q.producer)
	value, err := q.codec.Encode(nil, cp)
	if err != nil {
		return kafka.Message{}, err
	}
	return kafka.Message{Key: []byte(cp.Key()), Value: value}, nil
}

// Close flushes and releases the writer.
func (q *Requests) Close() error { return q.w.Close() }
