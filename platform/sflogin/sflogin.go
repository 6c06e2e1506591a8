package sflogin

import (
	"context"
	"errors"
	"fmt"

	"github.com/sfsync/sfsync/salesforce/login"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
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

// Config returns the login configuration of s: its OAuth grant
// ([OAuthConfig]), or its static access token, and its Pub/Sub API
// endpoint, whose certificate authorities (CAFile) are read at each dial.
func Config(s *svcconfig.Salesforce) (login.Config, error) {
	cfg := pubSubSettings(s)
	if s.Grant != "" {
		oc, err := OAuthConfig(s)
		if err != nil {
			return login.Config{}, err
		}
		cfg.OAuth = &oc
	}
	return cfg, nil
}

// pubSubSettings is [Config] without the OAuth grant, which needs the
// private key file read.
func pubSubSettings(s *svcconfig.Salesforce) login.Config {
	return login.Config{
		AccessToken:    oauth.Secret(s.AccessToken),
		InstanceURL:    s.InstanceURL,
		OrgID:          s.OrgID,
		PubSubEndpoint: s.PubSubEndpoint,
		Plaintext:      s.Plaintext,
		RootCAs:        s.RootCAs,
	}
}

// PubSubConfig returns the Pub/Sub API client configuration of s:
// endpoint, TLS (trusting CAFile when set) or plaintext, and creds. With
// a nil creds, the static access token is used, or, with an OAuth grant,
// PubSubConfig fails: pass pubsub.OAuthCredentials of a token source
// built from [OAuthConfig], as [Open] does.
func PubSubConfig(s *svcconfig.Salesforce, creds pubsub.Credentials) (pubsub.Config, error) {
	return login.PubSubConfig(pubSubSettings(s), creds)
}

// Open logs in with the settings of s ([login.Open] with [Config]): with
// an OAuth grant it fetches a first token, failing when the login does;
// otherwise it uses the static access token, InstanceURL and OrgID. s
// must stay unchanged while the Session is used.
func Open(ctx context.Context, s *svcconfig.Salesforce, opts login.Options) (*login.Session, error) {
	cfg, err := Config(s)
	if err != nil {
		return nil, err
	}
	return login.Open(ctx, cfg, opts)
}
