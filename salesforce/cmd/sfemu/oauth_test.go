package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
)

const (
	appKey    = "sfemu-test-app"
	appSecret = "sfemu-test-consumer-secret-9f2c"
	appUser   = "integration@sfemu.test"
)

// TestRunWithConnectedApps runs sfemu in-process with connected apps from
// its configuration, obtains tokens from its token endpoint with the
// oauth client (client credentials, and JWT bearer signed by the key of a
// certificate file named relative to the configuration) and uses them on
// the Pub/Sub API.
func TestRunWithConnectedApps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "sfemu.yaml")
	if err := os.WriteFile(cfgPath, []byte(`listen:
  pubsub: 127.0.0.1:0
  http: 127.0.0.1:0
access_tokens: [`+token+`]
token_ttl: 1h
connected_apps:
  - consumer_key: `+appKey+`
    consumer_secret: `+appSecret+`
    username: `+appUser+`
  - consumer_key: sfemu-test-jwt-app
    certificate_file: app.crt
    username: `+appUser+`
dataset:
  accounts: 5
  users: 3
churn:
  enabled: false
log_level: debug
`), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	ep, stop := startEmu(t, ctx, []string{"--config", cfgPath}, noEnv)

	// The grants run in parallel; the group ends when they all have.
	t.Run("grants", func(t *testing.T) {
		for _, tc := range []struct {
			scenario string
			cfg      oauth.Config
		}{
			{scenario: "client credentials with HTTP Basic", cfg: oauth.Config{
				Grant: oauth.GrantClientCredentials, ClientID: appKey, ClientSecret: appSecret, BasicAuth: true}},
			{scenario: "client credentials in the body", cfg: oauth.Config{
				Grant: oauth.GrantClientCredentials, ClientID: appKey, ClientSecret: appSecret}},
			{scenario: "jwt bearer with the certificate file", cfg: oauth.Config{
				Grant: oauth.GrantJWTBearer, ClientID: "sfemu-test-jwt-app", Username: appUser,
				PrivateKey: oauth.Secret(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))}},
		} {
			t.Run(tc.scenario, func(t *testing.T) {
				t.Parallel()
				cfg := tc.cfg
				cfg.LoginURL = ep.InstanceURL
				oc, err := oauth.NewClient(cfg)
				if err != nil {
					t.Fatal(err)
				}
				ts := oauth.NewTokenSource(oc)
				tok, err := ts.Token(ctx)
				if err != nil {
					t.Fatalf("token: %v", err)
				}
				if tok.OrgID != ep.OrgID || tok.InstanceURL != ep.InstanceURL {
					t.Fatalf("token for org %s at %s, want %s at %s", tok.OrgID, tok.InstanceURL, ep.OrgID, ep.InstanceURL)
				}
				c, err := pubsub.Dial(ctx, pubsub.Config{Endpoint: ep.PubSub, Plaintext: true, Credentials: pubsub.OAuthCredentials(ts)})
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = c.Close() }()
				if _, err := c.GetTopic(ctx, "/data/AccountChangeEvent"); err != nil {
					t.Fatalf("GetTopic: %v", err)
				}
				sub, err := c.Subscribe(ctx, pubsub.SubscribeRequest{Topic: "/data/AccountChangeEvent", Preset: pubsub.Earliest})
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = sub.Close() }()
				for {
					ev, err := sub.Next(ctx)
					if err != nil {
						t.Fatalf("Next: %v", err)
					}
					if ev.Header != nil && ev.Header.ChangeType == pubsub.Create && ev.Header.EntityName == "Account" {
						break
					}
				}
			})
		}
	})

	log := stop()
	for _, want := range []string{`connected_apps="[` + appKey + ` sfemu-test-jwt-app]"`, "token_ttl=1h0m0s", "/services/oauth2/token"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, appSecret) {
		t.Errorf("log shows the consumer secret:\n%s", log)
	}

	// --print-config redacts the consumer secret too.
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"--config", cfgPath, "--print-config"}, noEnv, &out, &errOut, nil); code != 0 {
		t.Fatalf("print-config: exit %d: %s", code, errOut.String())
	}
	if strings.Contains(out.String(), appSecret) || !strings.Contains(out.String(), "consumer_secret: sfem… (redacted)") ||
		!slices.ContainsFunc(strings.Split(out.String(), "\n"), func(l string) bool { return strings.HasSuffix(l, filepath.Join(dir, "app.crt")) }) {
		t.Errorf("print-config:\n%s", out.String())
	}
}
