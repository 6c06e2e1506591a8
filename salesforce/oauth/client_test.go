package oauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sfsync/sfsync/salesforce/oauth"
)

// formKeys returns the sorted keys of a form.
func formKeys(f url.Values) []string {
	var ks []string
	for k := range f {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestFetchGrants(t *testing.T) {
	t.Parallel()
	key := testKey()
	tests := []struct {
		scenario string
		cfg      oauth.Config
		check    func(t *testing.T, srvURL string, r *http.Request, form url.Values)
	}{
		{
			scenario: "jwt bearer with PKCS#1 key",
			cfg:      oauth.Config{Grant: oauth.GrantJWTBearer, ClientID: "3MVG9consumerkey", Username: "integration@example.com", PrivateKey: pkcs1PEM(key)},
			check: func(t *testing.T, srvURL string, r *http.Request, form url.Values) {
				checkAssertion(t, form, srvURL)
			},
		},
		{
			scenario: "jwt bearer with PKCS#8 key and explicit audience",
			cfg: oauth.Config{Grant: oauth.GrantJWTBearer, ClientID: "3MVG9consumerkey", Username: "integration@example.com",
				PrivateKey: pkcs8PEM(t, key), Audience: "https://login.salesforce.com"},
			check: func(t *testing.T, _ string, r *http.Request, form url.Values) {
				checkAssertion(t, form, "https://login.salesforce.com")
			},
		},
		{
			scenario: "client credentials in the body",
			cfg:      oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "3MVG9consumerkey", ClientSecret: testClientSecret},
			check: func(t *testing.T, _ string, r *http.Request, form url.Values) {
				wantForm(t, form, url.Values{"grant_type": {"client_credentials"}, "client_id": {"3MVG9consumerkey"}, "client_secret": {testClientSecret}})
				if r.Header.Get("Authorization") != "" {
					t.Errorf("unexpected Authorization header")
				}
			},
		},
		{
			scenario: "client credentials with basic auth",
			cfg:      oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "3MVG9consumerkey", ClientSecret: testClientSecret, BasicAuth: true},
			check: func(t *testing.T, _ string, r *http.Request, form url.Values) {
				wantForm(t, form, url.Values{"grant_type": {"client_credentials"}})
				want := "Basic " + base64.StdEncoding.EncodeToString([]byte("3MVG9consumerkey:"+testClientSecret))
				if got := r.Header.Get("Authorization"); got != want {
					t.Errorf("Authorization = %q, want %q", got, want)
				}
			},
		},
		{
			scenario: "password",
			cfg: oauth.Config{Grant: oauth.GrantPassword, ClientID: "3MVG9consumerkey", ClientSecret: testClientSecret,
				Username: "demo@example.com", Password: testPassword},
			check: func(t *testing.T, _ string, r *http.Request, form url.Values) {
				wantForm(t, form, url.Values{"grant_type": {"password"}, "client_id": {"3MVG9consumerkey"},
					"client_secret": {testClientSecret}, "username": {"demo@example.com"}, "password": {testPassword}})
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			var srv *tokenServer
			srv = newTokenServer(t, func(r *http.Request, form url.Values) (int, any) {
				tt.check(t, srv.URL, r, form)
				return 0, nil
			})
			cfg := tt.cfg
			cfg.LoginURL = srv.URL + "/" // a trailing slash is tolerated
			cfg.Now = func() time.Time { return time.Now() }
			c, err := oauth.NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := c.Fetch(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			want := oauth.Token{
				AccessToken: testAccessToken, InstanceURL: srv.URL,
				ID:    "https://login.salesforce.com/id/" + testOrgID + "/" + testUserID,
				OrgID: testOrgID, UserID: testUserID, TokenType: "Bearer",
				IssuedAt:  time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC),
				Signature: "c2lnbmF0dXJl", Scope: "api refresh_token",
			}
			if tok != want {
				t.Errorf("token\n got %+v\nwant %+v", tok, want)
			}
			if string(tok.AccessToken) != testAccessToken {
				t.Errorf("access token not usable as a string")
			}
			if n := srv.requests.Load(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func wantForm(t *testing.T, got, want url.Values) {
	t.Helper()
	if !slices.Equal(formKeys(got), formKeys(want)) {
		t.Errorf("form fields %v, want %v", formKeys(got), formKeys(want))
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("form %s = %q, want %q", k, got[k], v)
		}
	}
}

// checkAssertion verifies the JWT bearer form independently of the
// package: the signature with the public key, the header and every claim.
func checkAssertion(t *testing.T, form url.Values, wantAud string) {
	t.Helper()
	if !slices.Equal(formKeys(form), []string{"assertion", "grant_type"}) ||
		form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		t.Errorf("form = %v", formKeys(form))
		return
	}
	a := form.Get("assertion")
	tok, err := jwt.Parse(a, func(*jwt.Token) (any, error) { return &testKey().PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired())
	if err != nil {
		t.Errorf("assertion does not verify: %v", err)
		return
	}
	if tok.Header["alg"] != "RS256" {
		t.Errorf("alg = %v", tok.Header["alg"])
	}
	c := tok.Claims.(jwt.MapClaims)
	if c["iss"] != "3MVG9consumerkey" || c["sub"] != "integration@example.com" {
		t.Errorf("iss/sub = %v/%v", c["iss"], c["sub"])
	}
	if aud, ok := c["aud"].(string); !ok || aud != wantAud {
		t.Errorf("aud = %#v, want the string %q", c["aud"], wantAud)
	}
	exp, _ := c.GetExpirationTime()
	if d := time.Until(exp.Time); d <= 2*time.Minute || d > 3*time.Minute {
		t.Errorf("exp is %v ahead, want about 3 minutes", d)
	}
	if len(c) != 4 {
		t.Errorf("claims %v, want exactly iss, sub, aud, exp", c)
	}
}

func TestFetchErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario  string
		status    int
		body      string
		ctype     string
		wantCode  string
		wantDesc  string
		wantErr   string // Error() for *oauth.Error, or a substring otherwise
		malformed bool
		retryable bool
	}{
		{scenario: "bad credentials", status: 400, body: `{"error":"invalid_grant","error_description":"authentication failure"}`,
			wantCode: "invalid_grant", wantDesc: "authentication failure",
			wantErr: "oauth token request: http 400: invalid_grant: authentication failure"},
		{scenario: "wrong audience", status: 400, body: `{"error":"invalid_grant","error_description":"audience is invalid"}`,
			wantCode: "invalid_grant", wantDesc: "audience is invalid", wantErr: "oauth token request: http 400: invalid_grant: audience is invalid"},
		{scenario: "user not approved", status: 400, body: `{"error":"invalid_grant","error_description":"user hasn't approved this consumer"}`,
			wantCode: "invalid_grant", wantDesc: "user hasn't approved this consumer",
			wantErr: "oauth token request: http 400: invalid_grant: user hasn't approved this consumer"},
		{scenario: "client credentials on the login host", status: 400, body: `{"error":"invalid_grant","error_description":"request not supported on this domain"}`,
			wantCode: "invalid_grant", wantDesc: "request not supported on this domain",
			wantErr: "oauth token request: http 400: invalid_grant: request not supported on this domain"},
		{scenario: "unknown client", status: 400, body: `{"error":"invalid_client_id","error_description":"client identifier invalid"}`,
			wantCode: "invalid_client_id", wantDesc: "client identifier invalid",
			wantErr: "oauth token request: http 400: invalid_client_id: client identifier invalid"},
		{scenario: "bad client secret 401", status: 401, body: `{"error":"invalid_client","error_description":"invalid client credentials"}`,
			wantCode: "invalid_client", wantDesc: "invalid client credentials",
			wantErr: "oauth token request: http 401: invalid_client: invalid client credentials"},
		{scenario: "unsupported grant", status: 400, body: `{"error":"unsupported_grant_type","error_description":"grant type not supported"}`,
			wantCode: "unsupported_grant_type", wantDesc: "grant type not supported",
			wantErr: "oauth token request: http 400: unsupported_grant_type: grant type not supported"},
		{scenario: "inactive user", status: 400, body: `{"error":"inactive_user","error_description":"user is inactive"}`,
			wantCode: "inactive_user", wantDesc: "user is inactive", wantErr: "oauth token request: http 400: inactive_user: user is inactive"},
		{scenario: "code without description", status: 400, body: `{"error":"invalid_request"}`,
			wantCode: "invalid_request", wantErr: "oauth token request: http 400: invalid_request"},
		{scenario: "rate limited", status: 400, body: `{"error":"rate_limit_exceeded","error_description":"too many requests"}`,
			wantCode: "rate_limit_exceeded", wantDesc: "too many requests",
			wantErr: "oauth token request: http 400: rate_limit_exceeded: too many requests", retryable: true},
		{scenario: "429 without body", status: 429, body: ``, ctype: "text/plain",
			wantErr: "oauth token request: http 429 Too Many Requests", retryable: true},
		{scenario: "server error json", status: 500, body: `{"error":"server_error","error_description":"internal"}`,
			wantCode: "server_error", wantDesc: "internal", wantErr: "oauth token request: http 500: server_error: internal", retryable: true},
		{scenario: "maintenance page", status: 503, body: `<html>Down for maintenance</html>`, ctype: "text/html",
			wantErr: "oauth token request: http 503 Service Unavailable", retryable: true},
		{scenario: "error body echoing the request is not copied", status: 400, ctype: "text/plain",
			body:    "bad request: client_secret=" + testClientSecret,
			wantErr: "oauth token request: http 400 Bad Request"},
		{scenario: "success that is not JSON", status: 200, body: `<html>login</html>`, ctype: "text/html",
			wantErr: "malformed token response: invalid JSON at offset 1", malformed: true},
		{scenario: "success without instance_url", status: 200, body: `{"access_token":"` + testAccessToken + `"}`,
			wantErr: "malformed token response: access_token or instance_url missing", malformed: true},
		{scenario: "success with bad issued_at", status: 200,
			body:    `{"access_token":"` + testAccessToken + `","instance_url":"https://x","issued_at":"yesterday"}`,
			wantErr: `malformed token response: issued_at "yesterday" is not epoch milliseconds`, malformed: true},
		{scenario: "success with wrong types", status: 200, body: `{"access_token":42}`,
			wantErr: "malformed token response: field access_token has the wrong type", malformed: true},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			srv := newRawServer(t, tt.status, tt.ctype, tt.body)
			c, err := oauth.NewClient(oauth.Config{Grant: oauth.GrantClientCredentials, LoginURL: srv.URL,
				ClientID: "3MVG9consumerkey", ClientSecret: testClientSecret})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Fetch(t.Context())
			if err == nil {
				t.Fatal("Fetch succeeded")
			}
			if got := oauth.IsRetryable(err); got != tt.retryable {
				t.Errorf("IsRetryable(%v) = %v, want %v", err, got, tt.retryable)
			}
			if strings.Contains(err.Error(), testClientSecret) {
				t.Errorf("error reveals the secret: %v", err)
			}
			if tt.malformed {
				if !errors.Is(err, oauth.ErrMalformedResponse) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q, want ErrMalformedResponse containing %q", err, tt.wantErr)
				}
				return
			}
			var oe *oauth.Error
			if !errors.As(err, &oe) {
				t.Fatalf("error %v (%T) is not *oauth.Error", err, err)
			}
			if oe.StatusCode != tt.status || oe.Code != tt.wantCode || oe.Description != tt.wantDesc || err.Error() != tt.wantErr {
				t.Errorf("error %+v %q, want %d %q %q %q", *oe, err, tt.status, tt.wantCode, tt.wantDesc, tt.wantErr)
			}
		})
	}
}

// newRawServer answers every request with status, content type and body.
func newRawServer(t *testing.T, status int, ctype, body string) *tokenServer {
	t.Helper()
	ts := &tokenServer{}
	ts.Server = newHTTPTestServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.requests.Add(1)
		if ctype == "" {
			ctype = "application/json"
		}
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestFetchTransportErrors(t *testing.T) {
	t.Parallel()
	// A listener that is closed at once: connection refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := oauth.NewClient(oauth.Config{Grant: oauth.GrantPassword, LoginURL: "http://" + addr,
		ClientID: "id", ClientSecret: testClientSecret, Username: "u", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Fetch(t.Context())
	if err == nil || !oauth.IsRetryable(err) {
		t.Errorf("refused connection: %v, retryable %v; want a retryable error", err, oauth.IsRetryable(err))
	}
	assertNoSecrets(t, "refused connection error", err)

	// A server that hangs up mid-answer.
	srv := newHTTPTestServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj, ok := w.(http.Hijacker)
		if !ok {
			t.Error("no hijacker")
			return
		}
		conn, _, _ := hj.Hijack()
		_, _ = conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"access"))
		conn.Close()
	}))
	defer srv.Close()
	c, err = oauth.NewClient(oauth.Config{Grant: oauth.GrantPassword, LoginURL: srv.URL,
		ClientID: "id", ClientSecret: testClientSecret, Username: "u", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Fetch(t.Context())
	if err == nil || !oauth.IsRetryable(err) {
		t.Errorf("truncated answer: %v, retryable %v; want a retryable error", err, oauth.IsRetryable(err))
	}
	assertNoSecrets(t, "truncated answer error", err)

	// The caller's own cancellation is not retryable.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = c.Fetch(ctx)
	if !errors.Is(err, context.Canceled) || oauth.IsRetryable(err) {
		t.Errorf("cancelled: %v, retryable %v", err, oauth.IsRetryable(err))
	}
}

func TestIsRetryable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		err      error
		want     bool
	}{
		{"nil", nil, false},
		{"invalid grant", &oauth.Error{StatusCode: 400, Code: "invalid_grant"}, false},
		{"wrapped invalid client", errors.Join(errors.New("x"), &oauth.Error{StatusCode: 401, Code: "invalid_client"}), false},
		{"rate limit", &oauth.Error{StatusCode: 400, Code: "rate_limit_exceeded"}, true},
		{"temporarily unavailable", &oauth.Error{StatusCode: 400, Code: "temporarily_unavailable"}, true},
		{"bad gateway", &oauth.Error{StatusCode: 502}, true},
		{"net error", &net.OpError{Op: "dial", Err: errors.New("refused")}, true},
		{"cancelled", context.Canceled, false},
		{"invalid config", oauth.ErrInvalidConfig, false},
		{"malformed", oauth.ErrMalformedResponse, false},
		{"unknown", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			if got := oauth.IsRetryable(tt.err); got != tt.want {
				t.Errorf("IsRetryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestNewClientErrors(t *testing.T) {
	t.Parallel()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwtCfg := func(mod func(*oauth.Config)) oauth.Config {
		c := oauth.Config{Grant: oauth.GrantJWTBearer, ClientID: "id", Username: "u", PrivateKey: pkcs1PEM(testKey())}
		mod(&c)
		return c
	}
	tests := []struct {
		scenario string
		cfg      oauth.Config
		want     string
	}{
		{"no grant", oauth.Config{ClientID: "id"}, `invalid oauth config: unknown grant ""`},
		{"no client id", jwtCfg(func(c *oauth.Config) { c.ClientID = "" }), "invalid oauth config: client id is required"},
		{"bad login url", jwtCfg(func(c *oauth.Config) { c.LoginURL = "login.salesforce.com" }), `invalid oauth config: login url "login.salesforce.com" is not an http(s) URL`},
		{"jwt without username", jwtCfg(func(c *oauth.Config) { c.Username = "" }), "invalid oauth config: username is required for the jwt bearer flow"},
		{"jwt without key", jwtCfg(func(c *oauth.Config) { c.PrivateKey = "" }), "invalid oauth config: private key is required for the jwt bearer flow"},
		{"key not PEM", jwtCfg(func(c *oauth.Config) { c.PrivateKey = "MIIEsecretkeymaterial" }), "invalid oauth config: private key: invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key"},
		{"key not RSA", jwtCfg(func(c *oauth.Config) { c.PrivateKey = pkcs8PEM(t, ec) }), "invalid oauth config: private key: key is not a valid RSA private key"},
		{"client credentials without secret", oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "id"}, "invalid oauth config: client secret is required for client credentials"},
		{"password without password", oauth.Config{Grant: oauth.GrantPassword, ClientID: "id", ClientSecret: "s", Username: "u"},
			"invalid oauth config: client secret, username and password are required for the password flow"},
		{"negative lifetime", jwtCfg(func(c *oauth.Config) { c.AssertionLifetime = -time.Second }), "invalid oauth config: negative assertion lifetime"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			_, err := oauth.NewClient(tt.cfg)
			if !errors.Is(err, oauth.ErrInvalidConfig) || err.Error() != tt.want {
				t.Errorf("NewClient error %v, want %q wrapping ErrInvalidConfig", err, tt.want)
			}
			if oauth.IsRetryable(err) {
				t.Errorf("config error is retryable")
			}
			if strings.Contains(err.Error(), "MIIE") || strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Errorf("error reveals key material: %v", err)
			}
		})
	}
}
