package login

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"google.golang.org/grpc"

	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// grants maps the configuration's grant names to oauth's.
var grants = map[string]oauth.Grant{
	svcconfig.GrantJWTBearer:         oauth.GrantJWTBearer,
	svcconfig.GrantClientCredentials: oauth.GrantClientCredentials,
}

// ErrNoGrant is returned by [OAuthConfig] when the settings use a static
// access token.
var ErrNoGrant = errors.New("salesforce: no OAuth grant configured (a static access_token is)")

// OAuthConfig returns the OAuth configuration of the grant of s, reading
// the JWT private key file, or [ErrNoGrant] with the static auth form.
// The key is a [oauth.Secret] in the result and never prints.
func OAuthConfig(s *svcconfig.Salesforce) (oauth.Config, error) {
	if s.Grant == "" {
		return oauth.Config{}, ErrNoGrant
	}
	g, ok := grants[s.Grant]
	if !ok {
		return oauth.Config{}, fmt.Errorf("salesforce.grant: unknown grant %q", s.Grant)
	}
	cfg := oauth.Config{
		Grant:        g,
		LoginURL:     s.LoginURL,
		ClientID:     s.ClientID,
		ClientSecret: oauth.Secret(s.ClientSecret),
		Username:     s.Username,
	}
	if g == oauth.GrantJWTBearer {
		key, err := s.PrivateKey()
		if err != nil {
			return oauth.Config{}, err
		}
		cfg.PrivateKey = oauth.Secret(key)
	}
	return cfg, nil
}

// PubSubConfig returns the Pub/Sub API client configuration of s:
// endpoint, TLS (trusting CAFile when set) or plaintext, and creds. With
// a nil creds, the static access token is used, or, with an OAuth grant,
// PubSubConfig fails: pass pubsub.OAuthCredentials of a token source
// built from [OAuthConfig], as [Open] does.
func PubSubConfig(s *svcconfig.Salesforce, creds pubsub.Credentials) (pubsub.Config, error) {
	if creds == nil {
		if s.AccessToken == "" {
			return pubsub.Config{}, errors.New("salesforce: pubsub credentials are required with an OAuth grant")
		}
		creds = pubsub.StaticCredentials(pubsub.Token{AccessToken: oauth.Secret(s.AccessToken), InstanceURL: s.InstanceURL, TenantID: s.OrgID})
	}
	cfg := pubsub.Config{Endpoint: s.PubSubEndpoint, Plaintext: s.Plaintext, Credentials: creds}
	pool, err := s.RootCAs()
	if err != nil {
		return pubsub.Config{}, err
	}
	cfg.RootCAs = pool
	return cfg, nil
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

	settings *svcconfig.Salesforce
	pubsub   pubsub.Credentials // nil with the static token
	log      *slog.Logger
}

// Open logs in with the settings of s: with an OAuth grant it fetches a
// first token (failing when the login does), refreshed as needed
// afterwards; otherwise it uses the static access token, InstanceURL and
// OrgID. s must stay unchanged while the Session is used.
func Open(ctx context.Context, s *svcconfig.Salesforce, opts Options) (*Session, error) {
	ss := &Session{OrgID: s.OrgID, settings: s, log: opts.Logger}
	restCreds := rest.StaticCredentials(rest.Token{AccessToken: oauth.Secret(s.AccessToken), InstanceURL: s.InstanceURL})
	if s.Grant != "" {
		oc, err := OAuthConfig(s)
		if err != nil {
			return nil, err
		}
		client, err := oauth.NewClient(oc)
		if err != nil {
			return nil, fmt.Errorf("salesforce oauth: %w", err)
		}
		ts := oauth.NewTokenSource(client)
		tok, err := ts.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("salesforce login at %s: %w", s.LoginURL, err)
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
	pc, err := PubSubConfig(ss.settings, ss.pubsub)
	if err != nil {
		return nil, err
	}
	pc.Logger = ss.log
	pc.DialOptions = append(pc.DialOptions, dialOpts...)
	client, err := pubsub.Dial(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("salesforce pub/sub at %s: %w", ss.settings.PubSubEndpoint, err)
	}
	return client, nil
}
