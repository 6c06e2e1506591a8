package config

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
)

// grants maps the configuration's grant names to oauth's.
var grants = map[string]oauth.Grant{
	"jwt_bearer":         oauth.GrantJWTBearer,
	"client_credentials": oauth.GrantClientCredentials,
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
		ClientSecret: s.ClientSecret,
		Username:     s.Username,
	}
	if g == oauth.GrantJWTBearer {
		key, err := readPrivateKey(s.PrivateKeyFile)
		if err != nil {
			return oauth.Config{}, fmt.Errorf("salesforce.private_key_file: %w", err)
		}
		cfg.PrivateKey = oauth.Secret(key)
	}
	return cfg, nil
}

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
		creds = pubsub.StaticCredentials(pubsub.Token{AccessToken: s.AccessToken, InstanceURL: s.InstanceURL, TenantID: s.OrgID})
	}
	cfg := pubsub.Config{Endpoint: s.PubSubEndpoint, Plaintext: s.Plaintext, Credentials: creds}
	if s.CAFile != "" && !s.Plaintext {
		pool, err := loadCAs(s.CAFile)
		if err != nil {
			return pubsub.Config{}, fmt.Errorf("salesforce.ca_file: %w", err)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// loadCAs reads a PEM file of CA certificates.
func loadCAs(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.New(fileError(path, err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// readPrivateKey reads and checks a PEM RSA private key file and returns
// its contents. Errors never include key material.
func readPrivateKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.New(fileError(path, err))
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s holds no PEM block", path)
	}
	var key any
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%s holds a %q PEM block, want RSA PRIVATE KEY or PRIVATE KEY", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: cannot parse the private key", path)
	}
	if _, ok := key.(*rsa.PrivateKey); !ok {
		return nil, fmt.Errorf("%s: the private key is not RSA", path)
	}
	return data, nil
}
