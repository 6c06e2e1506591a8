package conformance

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/pubsub"
)

// harness is what a scenario works with: the source, a client, raw
// stubs and a unique marker.
type harness struct {
	ctx    context.Context
	t      *testing.T
	src    Source
	f      Features
	cfg    pubsub.Config
	c      *pubsub.Client
	raw    eventbus.PubSubClient
	marker string
}

func newHarness(ctx context.Context, t *testing.T, src Source, f Features) *harness {
	cfg := src.Config(t)
	c, err := pubsub.Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	tc := insecure.NewCredentials()
	if !cfg.Plaintext {
		tc = credentials.NewTLS(&tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12})
	}
	conn, err := grpc.NewClient(cfg.Endpoint, grpc.WithTransportCredentials(tc))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &harness{ctx: ctx, t: t, src: src, f: f, cfg: cfg, c: c, raw: eventbus.NewPubSubClient(conn),
		marker: uuid.NewString()}
}

// need returns the source as T or skips the scenario, saying what is
// missing.
func need[T any](h *harness, what string) T {
	h.t.Helper()
	v, ok := h.src.(T)
	if !ok {
		h.t.Skipf("NOT RUN: the source does not implement %s", what)
	}
	return v
}

// authCtx returns the context with the configured auth metadata.
func (h *harness) authCtx() context.Context {
	tok, err := h.cfg.Credentials.Token(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return withToken(h.ctx, tok)
}

func withToken(ctx context.Context, tok pubsub.Token) context.Context {
	return metadata.AppendToOutgoingContext(ctx, pubsub.MDAccessToken, string(tok.AccessToken),
		pubsub.MDInstanceURL, tok.InstanceURL, pubsub.MDTenantID, tok.TenantID)
}

func (h *harness) eventTopic() string  { return "/event/" + h.f.PlatformEvent }
func (h *harness) changeTopic() string { return changeTopic(h.f.ChangeEventObject) }

func changeTopic(object string) string {
	if base, ok := strings.CutSuffix(object, "__c"); ok {
		return "/data/" + base + "__ChangeEvent"
	}
	return "/data/" + object + "ChangeEvent"
}

// publish publishes n platform events whose field holds the marker and
// an index, and returns their results.
func (h *harness) publish(n int) []pubsub.PublishResult {
	h.t.Helper()
	evs := make([]pubsub.ProducerEvent, n)
	for i := range evs {
		evs[i] = h.platformEvent(fmt.Sprintf("%s-%d", h.marker, i))
	}
	res, err := h.c.Publish(h.ctx, h.eventTopic(), evs...)
	if err != nil {
		h.t.Fatalf("publish: %v", err)
	}
	for _, r := range res {
		if r.Err != nil {
			h.t.Fatalf("publish %s: %v", r.CorrelationKey, r.Err)
		}
	}
	return res
}

func (h *harness) platformEvent(value string) pubsub.ProducerEvent {
	return pubsub.ProducerEvent{ID: uuid.NewString(), Fields: map[string]any{
		"CreatedDate": nowMillis(), "CreatedById": "005000000000000AAA", h.f.PlatformEventField: value,
	}}
}

// subscribe opens a subscription closed at the end of the scenario.
func (h *harness) subscribe(req pubsub.SubscribeRequest) *pubsub.Subscription {
	h.t.Helper()
	sub, err := h.c.Subscribe(h.ctx, req)
	if err != nil {
		h.t.Fatalf("subscribe: %v", err)
	}
	h.t.Cleanup(func() { _ = sub.Close() })
	return sub
}

// until returns the next event (not keepalive) for which keep is true.
func (h *harness) until(sub *pubsub.Subscription, keep func(pubsub.Event) bool) pubsub.Event {
	h.t.Helper()
	for {
		ev, err := sub.Next(h.ctx)
		if err != nil {
			h.t.Fatalf("Next: %v", err)
		}
		if !ev.Keepalive && keep(ev) {
			return ev
		}
	}
}

// failure returns the error that ends sub.
func (h *harness) failure(sub *pubsub.Subscription) error {
	for {
		if _, err := sub.Next(h.ctx); err != nil {
			return err
		}
	}
}

// mine reports whether a platform event carries this scenario's marker.
func (h *harness) mine(ev pubsub.Event) bool {
	v, _ := unwrap(ev.Record[h.f.PlatformEventField]).(string)
	return strings.HasPrefix(v, h.marker)
}

// rawSubscribe opens a raw Subscribe stream and sends first.
func (h *harness) rawSubscribe(ctx context.Context, first *eventbus.FetchRequest) eventbus.PubSub_SubscribeClient {
	h.t.Helper()
	st, err := h.raw.Subscribe(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := st.Send(first); err != nil {
		h.t.Fatal(err)
	}
	return st
}

// rawError receives until the stream fails, returning the status and
// trailer.
func (h *harness) rawError(st eventbus.PubSub_SubscribeClient) (*status.Status, metadata.MD) {
	h.t.Helper()
	for {
		_, err := st.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				h.t.Fatal("stream ended without an error")
			}
			s, _ := status.FromError(err)
			return s, st.Trailer()
		}
	}
}

// wantWireError checks a failed call: its gRPC code (when want is not
// OK), its error-code trailer, and that the message ends with
// "rpcId: <rpc-id trailer>".
func (h *harness) wantWireError(st *status.Status, trailer metadata.MD, want codes.Code, errorCode string) {
	h.t.Helper()
	if st == nil || st.Code() == codes.OK {
		h.t.Fatalf("call succeeded, want %s", errorCode)
	}
	if want != codes.OK && st.Code() != want {
		h.t.Fatalf("status %v, want %v", st.Code(), want)
	}
	if got := trailer.Get("error-code"); len(got) != 1 || got[0] != pubsub.ErrorCodePrefix+errorCode {
		h.t.Fatalf("error-code trailer %q, want %q", got, pubsub.ErrorCodePrefix+errorCode)
	}
	ids := trailer.Get("rpc-id")
	if len(ids) != 1 || !strings.HasSuffix(st.Message(), "rpcId: "+ids[0]) {
		h.t.Fatalf("message %q, rpc-id trailer %q: want the message to end with rpcId: <rpc-id>", st.Message(), ids)
	}
}

// wantError checks an error from the client.
func (h *harness) wantError(err error, is error, errorCode string) *pubsub.Error {
	h.t.Helper()
	var e *pubsub.Error
	if !errors.As(err, &e) {
		h.t.Fatalf("err = %v (%T), want a *pubsub.Error", err, err)
	}
	if is != nil && !errors.Is(err, is) {
		h.t.Fatalf("err = %v, want %v", err, is)
	}
	if e.Short() != errorCode {
		h.t.Fatalf("error code %q, want %q", e.ErrorCode, errorCode)
	}
	if errorCode != "" && e.RPCID == "" {
		h.t.Fatalf("error %v has no rpc id", e)
	}
	return e
}

func unwrap(v any) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for _, x := range m {
			return x
		}
	}
	return v
}

// grpcTrailer captures a unary call's trailer.
func grpcTrailer(md *metadata.MD) grpc.CallOption { return grpc.Trailer(md) }
