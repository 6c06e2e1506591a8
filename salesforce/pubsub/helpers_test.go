package pubsub_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/sffaketest"
)

// testTimeout bounds every wait of a test; reaching it is a failure, not
// a synchronization mechanism.
const testTimeout = 30 * time.Second

const (
	accountTopic = "/data/AccountChangeEvent"
	orderTopic   = "/event/Order_Event__e"
)

var orderEvent = sffake.EventDefinition{
	Name: "Order_Event__e",
	Fields: []sffake.Field{
		{Name: "OrderId__c", Type: sffake.TypeString},
		{Name: "Amount__c", Type: sffake.TypeDouble},
	},
}

func start(t testing.TB, opts ...sffake.Option) *sffake.Server {
	t.Helper()
	return sffaketest.Start(t, append([]sffake.Option{sffake.WithEvent(orderEvent)}, opts...)...)
}

func tokenOf(s *sffake.Server, tok string) pubsub.Token {
	return pubsub.Token{AccessToken: oauth.Secret(tok), InstanceURL: s.URL(), TenantID: s.OrgID()}
}

func ctxOf(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// dial connects a client to s in plaintext (or TLS when s serves it).
func dial(t testing.TB, s *sffake.Server, creds pubsub.Credentials, opts ...grpc.DialOption) *pubsub.Client {
	t.Helper()
	if creds == nil {
		creds = pubsub.StaticCredentials(tokenOf(s, s.AccessToken()))
	}
	cfg := pubsub.Config{Endpoint: s.PubSubAddr(), Credentials: creds, Plaintext: !s.TLS(), DialOptions: opts}
	if s.TLS() {
		cfg.RootCAs = s.CertPool()
	}
	c, err := pubsub.Dial(ctxOf(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// next returns the next non-keepalive event.
func next(t testing.TB, ctx context.Context, sub *pubsub.Subscription) pubsub.Event {
	t.Helper()
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if !ev.Keepalive {
			return ev
		}
	}
}

// nextErr returns the error that ends sub, skipping events.
func nextErr(t testing.TB, ctx context.Context, sub *pubsub.Subscription) error {
	t.Helper()
	for {
		if _, err := sub.Next(ctx); err != nil {
			return err
		}
	}
}

// rotatingCreds hands out tokens in order, moving to the next one when
// the current is invalidated.
type rotatingCreds struct {
	s           *sffake.Server
	mu          sync.Mutex
	tokens      []string
	invalidated atomic.Int32
}

func (r *rotatingCreds) Token(context.Context) (pubsub.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return tokenOf(r.s, r.tokens[0]), nil
}

func (r *rotatingCreds) Invalidate(tok pubsub.Token) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if string(tok.AccessToken) == r.tokens[0] && len(r.tokens) > 1 {
		r.tokens = r.tokens[1:]
	}
	r.invalidated.Add(1)
}

// callCounter counts unary calls per method.
type callCounter struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *callCounter) interceptor() grpc.DialOption {
	return grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		c.mu.Lock()
		if c.calls == nil {
			c.calls = map[string]int{}
		}
		c.calls[method]++
		c.mu.Unlock()
		return invoker(ctx, method, req, reply, cc, opts...)
	})
}

func (c *callCounter) count(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[method]
}

// creditWatch checks, on the client side of Subscribe streams, that the
// events requested and not yet received never exceed limit, nor does the
// server's pending_num_requested.
type creditWatch struct {
	limit     int
	mu        sync.Mutex
	requested int
	received  int
	maxOut    int
	violation string
}

func (w *creditWatch) interceptor() grpc.DialOption {
	return grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil || method != eventbus.PubSub_Subscribe_FullMethodName {
			return cs, err
		}
		return &watchedStream{ClientStream: cs, w: w}, nil
	})
}

type watchedStream struct {
	grpc.ClientStream
	w *creditWatch
}

func (s *watchedStream) SendMsg(m any) error {
	if r, ok := m.(*eventbus.FetchRequest); ok {
		s.w.mu.Lock()
		s.w.requested += int(r.GetNumRequested())
		s.w.check("after sending a FetchRequest")
		s.w.mu.Unlock()
	}
	return s.ClientStream.SendMsg(m)
}

func (s *watchedStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if r, ok := m.(*eventbus.FetchResponse); ok && err == nil {
		s.w.mu.Lock()
		s.w.received += len(r.GetEvents())
		if p := int(r.GetPendingNumRequested()); p > s.w.limit && s.w.violation == "" {
			s.w.violation = "server pending_num_requested above the capacity"
		}
		s.w.check("after a FetchResponse")
		s.w.mu.Unlock()
	}
	return err
}

func (w *creditWatch) check(when string) {
	out := w.requested - w.received
	w.maxOut = max(w.maxOut, out)
	if out > w.limit && w.violation == "" {
		w.violation = when + ": outstanding above the capacity"
	}
}
