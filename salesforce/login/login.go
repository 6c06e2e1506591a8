package login

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"google.golang.org/grpc"

	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/rest"
)

// Config says how a [Session] logs in and where it reaches the Pub/Sub
// API. Exactly one of two forms is used: an OAuth grant (OAuth set), or
// a static AccessToken with InstanceURL and OrgID.
type Config struct {
	// OAuth, when not nil, is the OAuth grant [Open] logs in with; the
	// token's org id and instance URL then win over OrgID and InstanceURL.
	OAuth *oauth.Config
	// AccessToken is the static access token used without OAuth.
	AccessToken oauth.Secret
	// InstanceURL is the org's instance URL with the static token.
	InstanceURL string
	// OrgID is the org's id with the static token.
	OrgID string
	// PubSubEndpoint is the Pub/Sub API's host:port.
	PubSubEndpoint string
	// Plaintext dials the Pub/Sub API without TLS (sfemu, tests).
	Plaintext bool
	// RootCAs, when not nil, returns the certificate authorities the
	// Pub/Sub API's certificate is checked against, called at each
	// [Session.DialPubSub] (nil from it: the system roots). The default,
	// nil, is the system roots.
	RootCAs func() (*x509.CertPool, error)
}

// PubSubConfig returns the Pub/Sub API client configuration of cfg:
// endpoint, TLS (trusting RootCAs when set) or plaintext, and creds. With
// a nil creds, the static access token is used, or, with an OAuth grant,
// PubSubConfig fails: pass pubsub.OAuthCredentials of a token source
// built from cfg.OAuth, as [Open] does.
func PubSubConfig(cfg Config, creds pubsub.Credentials) (pubsub.Config, error) {
	if creds == nil {
		if cfg.AccessToken == "" {
			return pubsub.Config{}, errors.New("salesforce: pubsub credentials are required with an OAuth grant")
		}
		creds = pubsub.StaticCredentials(pubsub.Token{AccessToken: cfg.AccessToken, InstanceURL: cfg.InstanceURL, TenantID: cfg.OrgID})
	}
	pc := pubsub.Config{Endpoint: cfg.PubSubEndpoint, Plaintext: cfg.Plaintext, Credentials: creds}
	if cfg.RootCAs != nil {
		pool, err := cfg.RootCAs()
		if err != nil {
			return pubsub.Config{}, err
		}
		pc.RootCAs = pool
	}
	return pc, nil
}

// Options tune [Open]; the zero value uses the defaults.
type Options struct {
	// HTTPClient sends the REST requests; the default is rest's, a client
	// with a [rest.DefaultTimeout] timeout.
	HTTPClient *http.Client
	// Logger receives the REST and Pub/Sub clients' logs; the default
	// discards them.
	Logger *slog.Logger
}

// Session is a login to a Salesforce org: its id and a REST client, and
// the credentials [Session.DialPubSub] uses. It is safe for concurrent
// use.
type Session struct {
	// OrgID is the org's id: the OAuth token's, or the configured org_id
	// with a static access token.
	OrgID string
	// REST is the REST API client.
	REST *rest.Client

	cfg    Config
	pubsub pubsub.Credentials // nil with the static token
	log    *slog.Logger
}

// Open logs in as cfg says: with an OAuth grant it fetches a first token
// (failing when the login does), refreshed as needed afterwards;
// otherwise it uses the static access token, InstanceURL and OrgID.
func Open(ctx context.Context, cfg Config, opts Options) (*Session, error) {
	ss := &Session{OrgID: cfg.OrgID, cfg: cfg, log: opts.Logger}
	restCreds := rest.StaticCredentials(rest.Token{AccessToken: cfg.AccessToken, InstanceURL: cfg.InstanceURL})
	if cfg.OAuth != nil {
		client, err := oauth.NewClient(*cfg.OAuth)
		if err != nil {
			return nil, fmt.Errorf("salesforce oauth: %w", err)
		}
		ts := oauth.NewTokenSource(client)
		tok, err := ts.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("salesforce login at %s: %w", cfg.OAuth.LoginURL, err)
		}
		ss.OrgID = tok.OrgID
		restCreds, ss.pubsub = rest.OAuthCredentials(ts), pubsub.OAuthCredentials(ts)
	}
	rc, err := rest.New(rest.Config{Credentials: restCreds, Logger: opts.Logger, HTTPClient: opts.HTTPClient})
	if err != nil {
		return nil, fmt.Errorf("salesforce rest: %w", err)
	}
	ss.REST = rc
	return ss, nil
}

// DialPubSub opens a Pub/Sub API client with the session's credentials
// and the configuration of [PubSubConfig], adding dialOpts. The caller
// closes it.
func (ss *Session) DialPubSub(ctx context.Context, dialOpts ...grpc.DialOption) (*pubsub.Client, error) {
	pc, err := PubSubConfig(ss.cfg, ss.pubsub)
	if err != nil {
		return nil, err
	}
	pc.Logger = ss.log
	pc.DialOptions = append(pc.DialOptions, dialOpts...)
	client, err := pubsub.Dial(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("salesforce pub/sub at %s: %w", ss.cfg.PubSubEndpoint, err)
	}
	return client, nil
}
