package pubsub

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/oauth"
)

// DefaultEndpoint is Salesforce's Pub/Sub API endpoint (spec §1.11).
const DefaultEndpoint = "api.pubsub.salesforce.com:7443"

// DefaultCallTimeout bounds unary calls whose context has no deadline.
const DefaultCallTimeout = 30 * time.Second

// MaxSchemas bounds the schema cache: a topic has one schema per version
// of its event, so a few are in use at a time; the bound keeps a server
// that changes schema ids often from growing the cache without end.
const MaxSchemas = 256

func schemaCache() *lru.Cache[string, *schemaEntry] {
	c, err := lru.New[string, *schemaEntry](MaxSchemas)
	if err != nil {
		panic(err) // only for a size < 1
	}
	return c
}

// MaxReceiveSize is the largest gRPC message the client accepts. Salesforce
// keeps a FetchResponse under gRPC's default of 4 MiB, but says so nowhere;
// the headroom keeps a larger batch from failing every resubscription.
const MaxReceiveSize = 64 << 20

// Metadata keys every call carries (spec §1.5).
const (
	MDAccessToken = "accesstoken"
	MDInstanceURL = "instanceurl"
	MDTenantID    = "tenantid"
	MDTraceID     = "x-client-trace-id"
)

// Token is what a Pub/Sub API call authenticates with: the access token,
// the instance URL and the tenant id (the org id).
type Token = oauth.Bearer

// Credentials supplies tokens for Pub/Sub API calls; Invalidate reports
// a token the server rejected with service.auth.error. Implementations
// must be safe for concurrent use.
type Credentials = oauth.Credentials

// OAuthCredentials adapts an OAuth token source (such as
// [oauth.TokenSource]) to [Credentials]: the access token, the instance
// URL and the org id come from the token response. It is
// [oauth.SourceCredentials], and safe for concurrent use when ts is.
func OAuthCredentials(ts oauth.Source) Credentials { return oauth.SourceCredentials(ts) }

// StaticCredentials returns [Credentials] that always give tok, for
// emulators and tests; Invalidate does nothing. It is
// [oauth.StaticCredentials].
func StaticCredentials(tok Token) Credentials { return oauth.StaticCredentials(tok) }

// Config configures a [Client].
type Config struct {
	// Endpoint is the host:port of Pub/Sub API. The default is
	// [DefaultEndpoint].
	Endpoint string
	// Credentials supply the access token, instance URL and tenant id of
	// every call. Required.
	Credentials Credentials
	// RootCAs are the certificate authorities trusted for the server's
	// certificate. The default, nil, is the system roots.
	RootCAs *x509.CertPool
	// Plaintext disables TLS, for local emulators only. The default is
	// TLS.
	Plaintext bool
	// CallTimeout bounds unary calls (GetTopic, GetSchema, Publish) whose
	// context has no deadline, and schema fetches made while decoding.
	// The default is [DefaultCallTimeout].
	CallTimeout time.Duration
	// Logger receives debug and warning logs; the default discards them.
	// Tokens are never logged.
	Logger *slog.Logger
	// DialOptions are appended to the client's gRPC dial options, e.g.
	// interceptors for metrics.
	DialOptions []grpc.DialOption
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Credentials == nil {
		return errors.New("pubsub config: credentials are required")
	}
	if c.CallTimeout < 0 {
		return errors.New("pubsub config: negative call timeout")
	}
	if c.Plaintext && c.RootCAs != nil {
		return errors.New("pubsub config: root CAs given with plaintext")
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.Endpoint == "" {
		c.Endpoint = DefaultEndpoint
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Client is a Pub/Sub API client: topics, schemas (cached by schema id),
// subscriptions and publishing. It is safe for concurrent use; Close it
// when done.
type Client struct {
	cfg    Config
	log    *slog.Logger
	conn   *grpc.ClientConn
	api    eventbus.PubSubClient
	stats  counters
	closed atomic.Bool

	mu      sync.Mutex
	schemas *lru.Cache[string, *schemaEntry] // guarded by mu, for GetSchema's get-or-add
}

// Dial connects to Pub/Sub API and waits until the connection is ready,
// ctx is done, or the first connection attempt fails. Reconnecting later
// is gRPC's job; resubscribing is the caller's.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	tc := insecure.NewCredentials()
	if !cfg.Plaintext {
		tc = credentials.NewTLS(&tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12})
	}
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(tc),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxReceiveSize))}, cfg.DialOptions...)
	conn, err := grpc.NewClient(cfg.Endpoint, opts...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", cfg.Endpoint, err)
	}
	conn.Connect()
	for {
		st := conn.GetState()
		if st == connectivity.Ready {
			break
		}
		if st == connectivity.TransientFailure || st == connectivity.Shutdown {
			_ = conn.Close()
			return nil, fmt.Errorf("dial %s: %w", cfg.Endpoint, &Error{Code: codes.Unavailable, Message: "connection failed"})
		}
		if !conn.WaitForStateChange(ctx, st) {
			_ = conn.Close()
			return nil, fmt.Errorf("dial %s: %w", cfg.Endpoint, ctx.Err())
		}
	}
	return &Client{
		cfg: cfg, log: cfg.Logger, conn: conn, api: eventbus.NewPubSubClient(conn),
		schemas: schemaCache(),
	}, nil
}

// Close closes the connection; open subscriptions fail.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.conn.Close()
}

// Stats returns the counters of all subscriptions of the client.
func (c *Client) Stats() Stats { return c.stats.snapshot() }

// callContext returns ctx with the auth metadata and a fresh trace id,
// and the token and trace id used.
func (c *Client) callContext(ctx context.Context) (context.Context, Token, string, error) {
	if c.closed.Load() {
		return nil, Token{}, "", ErrClosed
	}
	tok, err := c.cfg.Credentials.Token(ctx)
	if err != nil {
		return nil, Token{}, "", fmt.Errorf("get token: %w", err)
	}
	trace := uuid.NewString()
	ctx = metadata.AppendToOutgoingContext(ctx,
		MDAccessToken, string(tok.AccessToken),
		MDInstanceURL, tok.InstanceURL,
		MDTenantID, tok.TenantID,
		MDTraceID, trace)
	return ctx, tok, trace, nil
}

// authFailed invalidates tok when err is service.auth.error.
func (c *Client) authFailed(err error, tok Token) {
	var e *Error
	if errors.As(err, &e) && e.Short() == CodeAuth {
		c.log.Warn("pubsub token rejected; invalidating", "rpc_id", e.RPCID)
		c.cfg.Credentials.Invalidate(tok)
	}
}

// unary runs a unary call with auth metadata and the call timeout; after
// service.auth.error it invalidates the token and tries once more with a
// fresh one.
func unary[Resp any](ctx context.Context, c *Client, call func(ctx context.Context, opts ...grpc.CallOption) (Resp, error)) (Resp, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.CallTimeout)
		defer cancel()
	}
	var zero Resp
	for attempt := 0; ; attempt++ {
		cctx, tok, trace, err := c.callContext(ctx)
		if err != nil {
			return zero, err
		}
		var trailer metadata.MD
		resp, err := call(cctx, grpc.Trailer(&trailer))
		if err == nil {
			return resp, nil
		}
		err = fromStatus(err, trailer, trace)
		c.authFailed(err, tok)
		if attempt == 0 && errors.Is(err, ErrAuth) && IsRetryable(err) {
			continue
		}
		return zero, err
	}
}

// Topic describes a topic (TopicInfo).
type Topic struct {
	// Name is the topic name, e.g. /data/AccountChangeEvent.
	Name string
	// TenantGUID is the tenant's id.
	TenantGUID string
	// CanPublish and CanSubscribe are the user's permissions.
	CanPublish, CanSubscribe bool
	// SchemaID is the id of the topic's current schema.
	SchemaID string
	// RPCID is the call's rpc id.
	RPCID string
}

// GetTopic returns the topic's description; an unknown topic fails with
// an error matching [ErrTopicNotFound].
func (c *Client) GetTopic(ctx context.Context, topic string) (Topic, error) {
	info, err := unary(ctx, c, func(ctx context.Context, opts ...grpc.CallOption) (*eventbus.TopicInfo, error) {
		return c.api.GetTopic(ctx, &eventbus.TopicRequest{TopicName: topic}, opts...)
	})
	if err != nil {
		return Topic{}, fmt.Errorf("get topic %s: %w", topic, err)
	}
	return Topic{
		Name: info.GetTopicName(), TenantGUID: info.GetTenantGuid(),
		CanPublish: info.GetCanPublish(), CanSubscribe: info.GetCanSubscribe(),
		SchemaID: info.GetSchemaId(), RPCID: info.GetRpcId(),
	}, nil
}

// isEOF reports a stream's clean end.
func isEOF(err error) bool { return errors.Is(err, io.EOF) }
