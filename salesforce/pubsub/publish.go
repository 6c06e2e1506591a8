package pubsub

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"google.golang.org/grpc"

	"github.com/sfsync/sfsync/salesforce/eventbus"
)

// ProducerEvent is a platform event to publish.
type ProducerEvent struct {
	// ID is the event id, which comes back as the result's correlation
	// key; the default is a new UUID.
	ID string
	// Fields are the event's field values in goavro's native form.
	// CreatedDate (epoch milliseconds, int64) and CreatedById are
	// required by Salesforce. A plain value for a nullable field
	// ["null", T] is wrapped as goavro expects.
	Fields map[string]any
	// Payload, when not nil, is sent as is instead of encoding Fields,
	// with SchemaID (default: the topic's current schema).
	Payload []byte
	// SchemaID is the schema Payload was written with.
	SchemaID string
}

// PublishResult is the outcome of one published event.
type PublishResult struct {
	// CorrelationKey is the event's id as sent.
	CorrelationKey string
	// ReplayID is the event's replay id; nil when Err is set.
	ReplayID []byte
	// Err is the event's failure, an [*EventError]; nil on success.
	Err error
}

// EventError is the failure of one event of a publish batch.
type EventError struct {
	// Code is Pub/Sub API's ErrorCode enum value, e.g. PUBLISH.
	Code string
	// Message is the server's message.
	Message string
}

// Error implements error.
func (e *EventError) Error() string { return "publish event: " + e.Code + ": " + e.Message }

// encoder holds what encoding for one topic needs.
type encoder struct {
	topic  string
	schema *Schema
}

func (c *Client) encoder(ctx context.Context, topic string) (*encoder, error) {
	t, err := c.GetTopic(ctx, topic)
	if err != nil {
		return nil, err
	}
	if !t.CanPublish {
		return nil, fmt.Errorf("publish %s: %w: topic does not accept publishing", topic, ErrPermission)
	}
	s, err := c.GetSchema(ctx, t.SchemaID)
	if err != nil {
		return nil, err
	}
	return &encoder{topic: topic, schema: s}, nil
}

func (e *encoder) encode(evs []ProducerEvent) ([]*eventbus.ProducerEvent, error) {
	out := make([]*eventbus.ProducerEvent, len(evs))
	for i, ev := range evs {
		pe := &eventbus.ProducerEvent{Id: ev.ID, SchemaId: ev.SchemaID, Payload: ev.Payload}
		if pe.Id == "" {
			pe.Id = uuid.NewString()
		}
		if pe.Payload == nil {
			native := make(map[string]any, len(ev.Fields))
			for k, v := range ev.Fields {
				if branch, ok := e.schema.unions[k]; ok && v != nil {
					if _, wrapped := v.(map[string]any); !wrapped {
						v = map[string]any{branch: v}
					}
				}
				native[k] = v
			}
			b, err := e.schema.Codec.BinaryFromNative(nil, native)
			if err != nil {
				return nil, fmt.Errorf("publish %s: encode event %d: %w", e.topic, i, err)
			}
			pe.Payload = b
			pe.SchemaId = e.schema.ID
		}
		if pe.SchemaId == "" {
			pe.SchemaId = e.schema.ID
		}
		out[i] = pe
	}
	return out, nil
}

func results(resp *eventbus.PublishResponse) []PublishResult {
	out := make([]PublishResult, len(resp.GetResults()))
	for i, r := range resp.GetResults() {
		out[i] = PublishResult{CorrelationKey: r.GetCorrelationKey(), ReplayID: r.GetReplayId()}
		if e := r.GetError(); e != nil {
			out[i].ReplayID = nil
			out[i].Err = &EventError{Code: e.GetCode().String(), Message: e.GetMsg()}
		}
	}
	return out
}

// Publish publishes events to a platform event topic with one unary
// call, encoding Fields with the topic's current schema (GetTopic, then
// the cached GetSchema). The results are in request order; an event can
// fail alone (see PublishResult.Err) while the others publish.
func (c *Client) Publish(ctx context.Context, topic string, events ...ProducerEvent) ([]PublishResult, error) {
	if len(events) == 0 {
		return nil, nil
	}
	enc, err := c.encoder(ctx, topic)
	if err != nil {
		return nil, err
	}
	pes, err := enc.encode(events)
	if err != nil {
		return nil, err
	}
	resp, err := unary(ctx, c, func(ctx context.Context, opts ...grpc.CallOption) (*eventbus.PublishResponse, error) {
		return c.api.Publish(ctx, &eventbus.PublishRequest{TopicName: topic, Events: pes}, opts...)
	})
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", topic, err)
	}
	return results(resp), nil
}

// PublishStream is an open PublishStream call to one topic. Send and Recv
// may run in different goroutines; Send is safe for concurrent use, Recv
// is not. Salesforce closes a stream that gets no publish request for
// 70 s.
type PublishStream struct {
	enc    *encoder
	stream eventbus.PubSub_PublishStreamClient
	cancel context.CancelFunc
	tok    Token
	trace  string
	c      *Client
	mu     sync.Mutex
}

// PublishStream opens a PublishStream call for topic; ctx bounds its life.
func (c *Client) PublishStream(ctx context.Context, topic string) (*PublishStream, error) {
	enc, err := c.encoder(ctx, topic)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	cctx, tok, trace, err := c.callContext(sctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("publish stream %s: %w", topic, err)
	}
	st, err := c.api.PublishStream(cctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("publish stream %s: %w", topic, fromStatus(err, nil, trace))
	}
	return &PublishStream{enc: enc, stream: st, cancel: cancel, tok: tok, trace: trace, c: c}, nil
}

// Send sends one batch; its results come back from Recv in send order.
func (p *PublishStream) Send(events ...ProducerEvent) error {
	pes, err := p.enc.encode(events)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.stream.Send(&eventbus.PublishRequest{TopicName: p.enc.topic, Events: pes}); err != nil {
		if isEOF(err) {
			_, err = p.stream.Recv()
			return fmt.Errorf("publish stream %s: %w", p.enc.topic, p.err(err))
		}
		return fmt.Errorf("publish stream %s: %w", p.enc.topic, p.err(err))
	}
	return nil
}

// Recv returns the results of the next batch, skipping the server's
// empty keepalive responses.
func (p *PublishStream) Recv() ([]PublishResult, error) {
	for {
		resp, err := p.stream.Recv()
		if err != nil {
			return nil, fmt.Errorf("publish stream %s: %w", p.enc.topic, p.err(err))
		}
		if len(resp.GetResults()) > 0 {
			return results(resp), nil
		}
	}
}

func (p *PublishStream) err(err error) error {
	if err == nil {
		return ErrStreamEnded
	}
	err = fromStatus(err, p.stream.Trailer(), p.trace)
	p.c.authFailed(err, p.tok)
	return err
}

// Close half-closes the stream and cancels it; results not yet received
// are lost.
func (p *PublishStream) Close() error {
	p.mu.Lock()
	err := p.stream.CloseSend()
	p.mu.Unlock()
	p.cancel()
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("publish stream %s: close: %w", p.enc.topic, err)
	}
	return nil
}
