package sffake

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/sffake/internal/bus"
)

// Publish limits (spec §1.8).
const (
	maxEventBytes   = 1 << 20
	maxRequestBytes = 4 << 20
	maxEventIDLen   = 36
)

// pubsub implements the Pub/Sub API. ManagedSubscribe is not implemented
// and answers UNIMPLEMENTED (after the auth check); sfsync does not use
// it (spec §1.10).
type pubsub struct {
	eventbus.UnimplementedPubSubServer
	s *Server
}

func (p *pubsub) topicNotFound(topic string) error {
	return apiError(codes.NotFound, "topic.not.found", fmt.Sprintf(
		"An error occurred while getting the metadata for org CORE/prod/%s and topic %s. Ensure the credentials and topic name are correct.",
		p.s.cfg.orgID, topic))
}

// lookupTopic returns the topic's description, or the Pub/Sub error for a
// blank or unknown topic.
func (p *pubsub) lookupTopic(topic, emptyCode string) (topicInfo, error) {
	if topic == "" {
		return topicInfo{}, apiError(codes.InvalidArgument, emptyCode, "The topic name is blank.")
	}
	p.s.mu.Lock()
	ti, ok := p.s.topics[topic]
	p.s.mu.Unlock()
	if !ok {
		return topicInfo{}, p.topicNotFound(topic)
	}
	return ti, nil
}

// GetTopic describes a topic. can_publish is true only for platform event
// topics and can_subscribe for every topic; tenant_guid is the org id
// (spec §1.3 [U]); schema_id is empty for /data/ChangeEvents, whose
// events carry the schema ids of several objects.
func (p *pubsub) GetTopic(ctx context.Context, req *eventbus.TopicRequest) (*eventbus.TopicInfo, error) {
	ti, err := p.lookupTopic(req.GetTopicName(), "topic.validation.empty")
	if err != nil {
		return nil, err
	}
	return &eventbus.TopicInfo{
		TopicName:    req.GetTopicName(),
		TenantGuid:   p.s.cfg.orgID,
		CanPublish:   ti.publish,
		CanSubscribe: true,
		SchemaId:     ti.current(),
		RpcId:        rpcIDFrom(ctx),
	}, nil
}

// GetSchema returns the schema JSON of a schema id. Every schema version
// the emulator ever used stays resolvable. A blank or unknown id fails
// with INVALID_ARGUMENT schema.validation.failed (the code for an unknown
// id is the emulator's choice).
func (p *pubsub) GetSchema(ctx context.Context, req *eventbus.SchemaRequest) (*eventbus.SchemaInfo, error) {
	id := req.GetSchemaId()
	if id == "" {
		return nil, apiError(codes.InvalidArgument, "schema.validation.failed", "The schema ID is blank.")
	}
	js, ok := p.s.Schema(id)
	if !ok {
		return nil, apiError(codes.InvalidArgument, "schema.validation.failed", fmt.Sprintf("The schema ID %q is not valid.", id))
	}
	return &eventbus.SchemaInfo{SchemaJson: js, SchemaId: id, RpcId: rpcIDFrom(ctx)}, nil
}

// Publish publishes a batch of platform events; see publishBatch.
func (p *pubsub) Publish(ctx context.Context, req *eventbus.PublishRequest) (*eventbus.PublishResponse, error) {
	return p.publishBatch(ctx, req.GetTopicName(), req)
}

// publishBatch validates and stores the events of req on topic.
//
// The call fails on a blank or unknown topic, a topic that is not a
// platform event (PERMISSION_DENIED publish.topic.permission, the
// emulator's choice), a request without events (publish.event.count.invalid)
// or one over 4 MB (UNAVAILABLE without Pub/Sub error code, like the
// proxy error Salesforce clients see). Otherwise each event gets a result,
// in order: an error for an id over 36 characters, a payload over 1 MB, a
// schema id that is not one of the event's schemas, or a payload that
// decodes with its schema but lacks CreatedDate (> 0) or CreatedById
// (non-empty), or is empty. A non-empty payload that does not decode is
// stored as it is: Salesforce does not validate Avro (spec §1.8), and
// subscribers must cope with it.
func (p *pubsub) publishBatch(ctx context.Context, topic string, req *eventbus.PublishRequest) (*eventbus.PublishResponse, error) {
	ti, err := p.lookupTopic(topic, "publish.topic.validation.empty")
	if err != nil {
		return nil, err
	}
	if !ti.publish {
		return nil, apiError(codes.PermissionDenied, "publish.topic.permission",
			fmt.Sprintf("Publishing to %s is not allowed: only platform event topics accept events.", topic))
	}
	if len(req.GetEvents()) == 0 {
		return nil, apiError(codes.InvalidArgument, "publish.event.count.invalid", "The publish request contains no events.")
	}
	if proto.Size(req) > maxRequestBytes {
		return nil, transportError("upstream connect error or disconnect/reset before headers. reset reason: connection termination")
	}
	eventName := topic[len("/event/"):]
	resp := &eventbus.PublishResponse{RpcId: rpcIDFrom(ctx), Results: make([]*eventbus.PublishResult, len(req.GetEvents()))}
	var (
		valid []bus.Event
		slot  []int
	)
	for i, ev := range req.GetEvents() {
		if resp.SchemaId == "" {
			resp.SchemaId = ev.GetSchemaId()
		}
		msg := p.checkEvent(eventName, ev)
		if msg != "" {
			resp.Results[i] = &eventbus.PublishResult{
				CorrelationKey: ev.GetId(),
				Error:          &eventbus.Error{Code: eventbus.ErrorCode_PUBLISH, Msg: msg},
			}
			continue
		}
		id := ev.GetId()
		if id == "" {
			id = p.s.rand.uuid()
		}
		valid = append(valid, bus.Event{ID: id, SchemaID: ev.GetSchemaId(), Payload: ev.GetPayload()})
		slot = append(slot, i)
	}
	if len(valid) > 0 {
		stored, err := p.s.appendEvents(topic, valid...)
		if err != nil {
			return nil, apiError(codes.Internal, "service.unavailable", err.Error())
		}
		for k, e := range stored {
			resp.Results[slot[k]] = &eventbus.PublishResult{ReplayId: bus.EncodeReplayID(e.ReplayID), CorrelationKey: e.ID}
		}
	}
	return resp, nil
}

// checkEvent returns why ev cannot be published to the event eventName, or
// "".
func (p *pubsub) checkEvent(eventName string, ev *eventbus.ProducerEvent) string {
	if len(ev.GetId()) > maxEventIDLen {
		return fmt.Sprintf("The event id is longer than %d characters.", maxEventIDLen)
	}
	if len(ev.GetPayload()) > maxEventBytes {
		return "The event exceeds the maximum size of 1 MB."
	}
	p.s.mu.Lock()
	sch, ok := p.s.schemas[ev.GetSchemaId()]
	p.s.mu.Unlock()
	if !ok || sch.name != eventName {
		return fmt.Sprintf("The schema ID %q is not a schema of %s.", ev.GetSchemaId(), eventName)
	}
	if len(ev.GetPayload()) == 0 {
		return "The event payload is empty: CreatedDate and CreatedById are required."
	}
	native, _, err := sch.codec.NativeFromBinary(ev.GetPayload())
	if err != nil {
		return "" // not validated: stored as is
	}
	rec, _ := native.(map[string]any)
	created, _ := rec[fieldCreatedDate].(int64)
	by, _ := rec[fieldCreatedByID].(string)
	if created <= 0 || by == "" {
		return "CreatedDate and CreatedById are required."
	}
	return ""
}

// PublishStream publishes batches on a stream: the first request names
// the topic, later ones may omit it but must not name another
// (publish.topic.mismatch). Each request gets a response when its batch
// is stored. The stream ends with DEADLINE_EXCEEDED
// publish.stream.sweeper.timeout (the status is the emulator's choice)
// when no request arrives for the publish idle timeout, and on any error
// of a request.
func (p *pubsub) PublishStream(stream eventbus.PubSub_PublishStreamServer) error {
	s := p.s
	ctx := stream.Context()
	drop, _ := s.faults.signals()
	reqs, errs := recvLoop(ctx, stream.Recv)
	var topic string
	idle := s.clock.NewTimer(s.cfg.publishIdle)
	defer func() { idle.Stop() }()
	for {
		select {
		case req := <-reqs:
			if topic == "" {
				if req.GetAuthRefresh() != "" {
					return apiError(codes.InvalidArgument, "publish.auth.refresh.invalid", "The first publish request must not carry auth_refresh.")
				}
				topic = req.GetTopicName()
				if topic == "" {
					return apiError(codes.InvalidArgument, "publish.topic.validation.empty", "The first publish request must name the topic.")
				}
			} else if t := req.GetTopicName(); t != "" && t != topic {
				return apiError(codes.InvalidArgument, "publish.topic.mismatch",
					fmt.Sprintf("The topic %s differs from the stream's topic %s.", t, topic))
			}
			resp, err := p.publishBatch(ctx, topic, req)
			if err != nil {
				return err
			}
			if err := stream.Send(resp); err != nil {
				return err
			}
			idle.Stop()
			idle = s.clock.NewTimer(s.cfg.publishIdle)
		case err := <-errs:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case <-idle.C():
			return apiError(codes.DeadlineExceeded, "publish.stream.sweeper.timeout", "The publish stream was idle for too long.")
		case <-drop:
			return transportError(msgDropped)
		case <-s.done:
			return apiError(codes.Unavailable, "service.unavailable", "The server is shutting down.")
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
}

// recvLoop receives requests in the background until the stream ends,
// delivering them on reqs and the final error on errs.
func recvLoop[T any](ctx context.Context, recv func() (*T, error)) (<-chan *T, <-chan error) {
	reqs := make(chan *T)
	errs := make(chan error, 1)
	go func() {
		for {
			r, err := recv()
			if err != nil {
				errs <- err
				return
			}
			select {
			case reqs <- r:
			case <-ctx.Done():
				return
			}
		}
	}()
	return reqs, errs
}
