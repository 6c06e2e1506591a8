package login

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

// TestPubSubConfig checks the OAuth form: credentials required, and the
// certificate authorities of RootCAs.
func TestPubSubConfig(t *testing.T) {
	t.Parallel()
	withOAuth := Config{OAuth: &oauth.Config{Grant: oauth.GrantClientCredentials}, PubSubEndpoint: pubsub.DefaultEndpoint}
	if _, err := PubSubConfig(withOAuth, nil); err == nil || err.Error() != "salesforce: pubsub credentials are required with an OAuth grant" {
		t.Errorf("an OAuth grant without credentials: %v", err)
	}
	pool := x509.NewCertPool()
	withOAuth.RootCAs = func() (*x509.CertPool, error) { return pool, nil }
	if ps, err := PubSubConfig(withOAuth, pubsub.StaticCredentials(pubsub.Token{AccessToken: "x"})); err != nil || ps.RootCAs != pool || ps.Plaintext {
		t.Errorf("pubsub %+v, %v", ps, err)
	}
	bad := errors.New("salesforce.ca_file: no PEM certificate")
	withOAuth.RootCAs = func() (*x509.CertPool, error) { return nil, bad }
	if _, err := PubSubConfig(withOAuth, pubsub.StaticCredentials(pubsub.Token{})); !errors.Is(err, bad) {
		t.Errorf("a failing RootCAs: %v", err)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	const orgID = "00D000000000042EAA"
	srv, err := sffake.Start(sffake.WithOrgID(orgID), sffake.WithTerritoryChangeEvent(), sffake.WithConnectedApp(sffake.App{ConsumerKey: "app", ConsumerSecret: "cs", Username: "u@x"}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	oauthForm := func(secret string) Config {
		return Config{OAuth: &oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "app", ClientSecret: oauth.Secret(secret), LoginURL: srv.URL()},
			PubSubEndpoint: srv.PubSubAddr(), Plaintext: true}
	}
	for _, tc := range []struct {
		scenario string
		cfg      Config
		org      string
		err      string
	}{
		{
			scenario: "static token: the configured org id",
			cfg: Config{AccessToken: oauth.Secret(srv.AccessToken()), InstanceURL: srv.URL(), OrgID: orgID,
				PubSubEndpoint: srv.PubSubAddr(), Plaintext: true},
			org: orgID,
		},
		{scenario: "client_credentials: the token's org id", cfg: oauthForm("cs"), org: orgID},
		{scenario: "client_credentials refused", cfg: oauthForm("wrong"), err: "salesforce login at " + srv.URL() + ": "},
		{scenario: "invalid oauth config", cfg: Config{OAuth: &oauth.Config{Grant: oauth.GrantClientCredentials}}, err: "salesforce oauth: "},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			ss, err := Open(ctx, tc.cfg, Options{})
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("got %v, want %s…", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ss.OrgID != tc.org {
				t.Errorf("org id %q, want %q", ss.OrgID, tc.org)
			}
			if _, err := ss.REST.Versions(ctx); err != nil {
				t.Errorf("rest: %v", err)
			}
			ps, err := ss.DialPubSub(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = ps.Close() }()
			if _, err := ps.GetTopic(ctx, "/event/Territory_Change__e"); err != nil {
				t.Errorf("pubsub: %v", err)
			}
		})
	}
}
