package oauth_test

// End-to-end tests of the OAuth flows against sffake's real token
// endpoint, with the tokens used on its Pub/Sub API through
// pubsub.OAuthCredentials: expiry and revocation on the server's clock,
// the refresh that follows, and no secret in errors or logs.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/sffaketest"
)

const (
	e2eConsumerKey    = "3MVG9e2e.CONSUMER-KEY"
	e2eConsumerSecret = "E2E-CONSUMER-SECRET-8c1f0a"
	e2eUsername       = "integration@sfsync.example"
	e2eTopic          = "/data/AccountChangeEvent"
	e2eTTL            = time.Hour
	// e2eCallers is how many goroutines call with a rejected token at
	// once; they must share one refresh.
	e2eCallers = 8
)

// selfSigned returns a certificate for key in PEM form, as one uploads
// to a connected app.
func selfSigned(t *testing.T, key *rsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sfsync e2e"},
		NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// tokenHits counts the requests that reach the token endpoint.
type tokenHits struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (c *tokenHits) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/services/oauth2/token" {
		c.n.Add(1)
	}
	return c.base.RoundTrip(r)
}

// logBuffer is an io.Writer for a slog handler, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// e2eEnv is one emulated org with an OAuth-backed Pub/Sub client.
type e2eEnv struct {
	t     *testing.T
	ctx   context.Context
	s     *sffake.Server
	clock *sffake.ManualClock
	hits  *tokenHits
	ts    *oauth.TokenSource
	c     *pubsub.Client
	logs  *logBuffer
	// secrets are the values that must never appear in errors or logs;
	// every access token issued is added.
	secrets []string
	errs    []error
}

func newE2E(t *testing.T, grant oauth.Grant, basic bool) *e2eEnv {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	key := testKey()
	keyPEM := string(pkcs1PEM(key))
	logs := &logBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := sffake.NewManualClock(time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC))
	s := sffaketest.Start(t,
		sffake.WithClock(clock),
		sffake.WithTokenTTL(e2eTTL),
		sffake.WithLogger(logger),
		sffake.WithConnectedApp(sffake.App{
			ConsumerKey: e2eConsumerKey, ConsumerSecret: e2eConsumerSecret,
			CertificatePEM: selfSigned(t, key), Username: e2eUsername,
		}),
	)

	hits := &tokenHits{base: http.DefaultTransport}
	cfg := oauth.Config{
		Grant: grant, LoginURL: s.URL(), ClientID: e2eConsumerKey, Username: e2eUsername,
		HTTPClient: &http.Client{Transport: hits, Timeout: 30 * time.Second},
		// The assertion's exp is checked on the server's clock.
		Now: clock.Now,
	}
	switch grant {
	case oauth.GrantJWTBearer:
		cfg.PrivateKey = oauth.Secret(keyPEM)
	case oauth.GrantClientCredentials:
		cfg.ClientSecret, cfg.BasicAuth = e2eConsumerSecret, basic
	}
	oc, err := oauth.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := oauth.NewTokenSource(oc)
	c, err := pubsub.Dial(ctx, pubsub.Config{
		Endpoint: s.PubSubAddr(), Plaintext: true, Logger: logger,
		Credentials: pubsub.OAuthCredentials(ts),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	e := &e2eEnv{t: t, ctx: ctx, s: s, clock: clock, hits: hits, ts: ts, c: c, logs: logs,
		secrets: []string{e2eConsumerSecret, keyPEM}}
	// A line of the key's base64 body catches a partly printed key.
	e.secrets = append(e.secrets, strings.Split(keyPEM, "\n")[1])
	return e
}

// token returns the cached access token, remembering it as a secret.
func (e *e2eEnv) token() oauth.Token {
	e.t.Helper()
	tok, err := e.ts.Token(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if !slices.Contains(e.secrets, string(tok.AccessToken)) {
		e.secrets = append(e.secrets, string(tok.AccessToken))
	}
	return tok
}

func (e *e2eEnv) wantHits(n int64, when string) {
	e.t.Helper()
	if got := e.hits.n.Load(); got != n {
		e.t.Fatalf("%s: %d token endpoint requests, want %d", when, got, n)
	}
}

// concurrentGetTopic calls GetTopic from many goroutines at once, all
// starting with the token cached now, and fails on any error.
func (e *e2eEnv) concurrentGetTopic() {
	e.t.Helper()
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make(chan error, e2eCallers)
	)
	for range e2eCallers {
		wg.Go(func() {
			<-start
			if _, err := e.c.GetTopic(e.ctx, e2eTopic); err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		e.t.Errorf("GetTopic: %v", err)
	}
}

// changeEvent creates an Account and subscribes from EARLIEST until its
// change event arrives.
func (e *e2eEnv) changeEvent() {
	e.t.Helper()
	id, err := e.s.Create("Account", map[string]any{"Name": "Acme " + e.t.Name()})
	if err != nil {
		e.t.Fatal(err)
	}
	sub := e.subscribe()
	defer func() { _ = sub.Close() }()
	for {
		ev, err := sub.Next(e.ctx)
		if err != nil {
			e.t.Fatalf("Next: %v", err)
		}
		if ev.Header != nil && slices.Contains(ev.Header.RecordIDs, id) {
			return
		}
	}
}

func (e *e2eEnv) subscribe() *pubsub.Subscription {
	e.t.Helper()
	sub, err := e.c.Subscribe(e.ctx, pubsub.SubscribeRequest{Topic: e2eTopic, Preset: pubsub.Earliest})
	if err != nil {
		e.t.Fatal(err)
	}
	return sub
}

// noSecrets fails if any secret appears in the collected errors or logs.
func (e *e2eEnv) noSecrets() {
	e.t.Helper()
	logs := e.logs.String()
	if logs == "" {
		e.t.Fatal("no logs captured")
	}
	for _, sec := range e.secrets {
		if strings.Contains(logs, sec) {
			e.t.Errorf("a secret (%d bytes) appears in the logs", len(sec))
		}
		for _, err := range e.errs {
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
				if strings.Contains(s, sec) {
					e.t.Errorf("a secret (%d bytes) appears in the error %q", len(sec), err.Error())
				}
			}
		}
	}
}

// TestEndToEnd obtains tokens from sffake's token endpoint with each
// grant, uses them on the Pub/Sub API, and lets them expire and be
// revoked on the server: every rejection leads to exactly one refresh,
// however many callers saw it.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scenario string
		grant    oauth.Grant
		basic    bool
	}{
		{scenario: "jwt bearer signed with the app certificate's key", grant: oauth.GrantJWTBearer},
		{scenario: "client credentials in the body", grant: oauth.GrantClientCredentials},
		{scenario: "client credentials with HTTP Basic", grant: oauth.GrantClientCredentials, basic: true},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			e := newE2E(t, tt.grant, tt.basic)

			// The token works on GetTopic and Subscribe.
			first := e.token()
			if first.OrgID != e.s.OrgID() || first.InstanceURL != e.s.URL() || first.UserID != e.s.UserID() {
				t.Fatalf("token org %s instance %s user %s, want %s %s %s",
					first.OrgID, first.InstanceURL, first.UserID, e.s.OrgID(), e.s.URL(), e.s.UserID())
			}
			top, err := e.c.GetTopic(e.ctx, e2eTopic)
			if err != nil || top.SchemaID == "" {
				t.Fatalf("GetTopic = %+v, %v", top, err)
			}
			e.changeEvent()
			e.wantHits(1, "first use")

			// Expiry: past the inactivity TTL the server refuses the
			// token; concurrent callers see service.auth.error, the
			// client invalidates, one new token is fetched and every
			// call succeeds.
			e.clock.Advance(e2eTTL + time.Second)
			e.concurrentGetTopic()
			e.wantHits(2, "after expiry")
			if second := e.token(); second.AccessToken == first.AccessToken {
				t.Fatal("the expired token is still cached")
			}
			e.changeEvent()
			e.wantHits(2, "subscribing with the refreshed token")

			// Revocation: the same for unary calls.
			e.s.RevokeToken(string(e.token().AccessToken))
			e.concurrentGetTopic()
			e.wantHits(3, "after revocation")

			// A Subscribe refused for its token fails with ErrAuth,
			// which is retryable once the client has invalidated the
			// token; resubscribing fetches a new one.
			e.s.RevokeToken(string(e.token().AccessToken))
			sub := e.subscribe()
			_, err = sub.Next(e.ctx)
			_ = sub.Close()
			if !errors.Is(err, pubsub.ErrAuth) || !pubsub.IsRetryable(err) {
				t.Fatalf("subscribe with a revoked token: %v, want a retryable ErrAuth", err)
			}
			e.errs = append(e.errs, err)
			e.changeEvent()
			e.wantHits(4, "resubscribing after revocation")
			e.token()

			if !strings.Contains(e.logs.String(), "pubsub token rejected") {
				t.Error("the client did not log the rejected token")
			}
			e.noSecrets()
		})
	}
}

// TestEndToEndRefused checks the token endpoint's refusals as the client
// reports them: the error names Salesforce's code, and neither it nor a
// Pub/Sub call failing for want of a token carries the secret sent.
func TestEndToEndRefused(t *testing.T) {
	t.Parallel()
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		scenario string
		cfg      func(c *oauth.Config)
		status   int
		code     string
	}{
		{scenario: "wrong client secret in the body", status: http.StatusBadRequest, code: "invalid_client",
			cfg: func(c *oauth.Config) {
				c.Grant, c.ClientSecret = oauth.GrantClientCredentials, "WRONG-SECRET-in-body-1234"
			}},
		{scenario: "wrong client secret with HTTP Basic", status: http.StatusUnauthorized, code: "invalid_client",
			cfg: func(c *oauth.Config) {
				c.Grant, c.ClientSecret, c.BasicAuth = oauth.GrantClientCredentials, "WRONG-SECRET-basic-5678", true
			}},
		{scenario: "assertion signed with another key", status: http.StatusBadRequest, code: "invalid_grant",
			cfg: func(c *oauth.Config) { c.Grant, c.PrivateKey = oauth.GrantJWTBearer, pkcs1PEM(otherKey) }},
		{scenario: "assertion for another user", status: http.StatusBadRequest, code: "invalid_grant",
			cfg: func(c *oauth.Config) {
				c.Grant, c.PrivateKey, c.Username = oauth.GrantJWTBearer, pkcs1PEM(testKey()), "someone@else.example"
			}},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			e := newE2E(t, oauth.GrantClientCredentials, false)
			cfg := oauth.Config{ClientID: e2eConsumerKey, LoginURL: e.s.URL(), Username: e2eUsername, Now: e.clock.Now}
			tt.cfg(&cfg)
			for _, s := range []oauth.Secret{cfg.ClientSecret, cfg.PrivateKey} {
				if s != "" {
					e.secrets = append(e.secrets, string(s))
				}
			}
			oc, err := oauth.NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = oc.Fetch(e.ctx)
			var oe *oauth.Error
			if !errors.As(err, &oe) || oe.StatusCode != tt.status || oe.Code != tt.code {
				t.Fatalf("Fetch: %v, want %d %s", err, tt.status, tt.code)
			}
			e.errs = append(e.errs, err)

			c, err := pubsub.Dial(e.ctx, pubsub.Config{
				Endpoint: e.s.PubSubAddr(), Plaintext: true,
				Credentials: pubsub.OAuthCredentials(oauth.NewTokenSource(oc)),
			})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = c.Close() }()
			_, err = c.GetTopic(e.ctx, e2eTopic)
			if !errors.As(err, &oe) || oe.Code != tt.code {
				t.Fatalf("GetTopic without a token: %v, want the token endpoint's %s", err, tt.code)
			}
			e.errs = append(e.errs, err)
			e.noSecrets()
		})
	}
}
