package config

import (
	"errors"
	"fmt"

	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// grants maps the configuration's grant names to oauth's.
var grants = map[string]oauth.Grant{
	svcconfig.GrantJWTBearer:         oauth.GrantJWTBearer,
	svcconfig.GrantClientCredentials: oauth.GrantClientCredentials,
}

// ErrNoGrant is returned by [Salesforce.OAuth] when s uses a static
// access token.
var ErrNoGrant = errors.New("salesforce: no OAuth grant configured (a static access_token is)")

// OAuth returns the OAuth configuration of the grant, reading the JWT
// private key file, or [ErrNoGrant] with the static auth form. The key
// is a [oauth.Secret] in the result and never prints.
func (s *Salesforce) OAuth() (oauth.Config, error) {
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

// StaticToken returns the static access token, for REST and the Pub/Sub
// API without an OAuth grant; "" with a grant.
func (s *Salesforce) StaticToken() oauth.Secret { return oauth.Secret(s.AccessToken) }

// PubSub returns the Pub/Sub API client configuration: endpoint, TLS
// (trusting CAFile when set) or plaintext, and creds. With a nil creds,
// the static access token is used, or, with an OAuth grant, PubSub fails:
// pass pubsub.OAuthCredentials of a token source built from
// [Salesforce.OAuth].
func (s *Salesforce) PubSub(creds pubsub.Credentials) (pubsub.Config, error) {
	if creds == nil {
		if s.AccessToken == "" {
			return pubsub.Config{}, errors.New("salesforce: pubsub credentials are required with an OAuth grant")
		}
		creds = pubsub.StaticCredentials(pubsub.Token{AccessToken: s.StaticToken(), InstanceURL: s.InstanceURL, TenantID: s.OrgID})
	}
	cfg := pubsub.Config{Endpoint: s.PubSubEndpoint, Plaintext: s.Plaintext, Credentials: creds}
	pool, err := s.RootCAs()
	if err != nil {
		return pubsub.Config{}, err
	}
	cfg.RootCAs = pool
	return cfg, nil
}
