package oauth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sfsync/sfsync/salesforce/oauth"
)

const aud = "https://login.salesforce.com"

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyAssertion(t *testing.T) {
	t.Parallel()
	key := testKey()
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "3MVG9key", "sub": "user@example.com", "aud": aud, "exp": fixedNow.Add(3 * time.Minute).Unix()}
		if mod != nil {
			mod(c)
		}
		return c
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		scenario  string
		assertion string
		wantCode  string
		wantDesc  string
	}{
		{scenario: "valid", assertion: sign(t, jwt.SigningMethodRS256, key, claims(nil))},
		{scenario: "audience as array", assertion: sign(t, jwt.SigningMethodRS256, key, claims(func(c jwt.MapClaims) { c["aud"] = []string{aud} }))},
		{scenario: "expired within the skew", assertion: sign(t, jwt.SigningMethodRS256, key,
			claims(func(c jwt.MapClaims) { c["exp"] = fixedNow.Add(-2 * time.Minute).Unix() }))},
		{scenario: "expired beyond the skew", assertion: sign(t, jwt.SigningMethodRS256, key,
			claims(func(c jwt.MapClaims) { c["exp"] = fixedNow.Add(-4 * time.Minute).Unix() })),
			wantCode: "invalid_grant", wantDesc: "expired authorization code"},
		{scenario: "no exp", assertion: sign(t, jwt.SigningMethodRS256, key, claims(func(c jwt.MapClaims) { delete(c, "exp") })),
			wantCode: "invalid_grant", wantDesc: "expired authorization code"},
		{scenario: "wrong audience", assertion: sign(t, jwt.SigningMethodRS256, key, claims(func(c jwt.MapClaims) { c["aud"] = "https://test.salesforce.com" })),
			wantCode: "invalid_grant", wantDesc: "audience is invalid"},
		{scenario: "signed by another key", assertion: sign(t, jwt.SigningMethodRS256, other, claims(nil)),
			wantCode: "invalid_grant", wantDesc: "invalid assertion"},
		{scenario: "HS256 with the public key as secret", assertion: sign(t, jwt.SigningMethodHS256, pubDER, claims(nil)),
			wantCode: "invalid_grant", wantDesc: "invalid assertion"},
		{scenario: "alg none", assertion: sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil)),
			wantCode: "invalid_grant", wantDesc: "invalid assertion"},
		{scenario: "RS512", assertion: sign(t, jwt.SigningMethodRS512, key, claims(nil)),
			wantCode: "invalid_grant", wantDesc: "invalid assertion"},
		{scenario: "no issuer", assertion: sign(t, jwt.SigningMethodRS256, key, claims(func(c jwt.MapClaims) { delete(c, "iss") })),
			wantCode: "invalid_client_id", wantDesc: "client identifier invalid"},
		{scenario: "no subject", assertion: sign(t, jwt.SigningMethodRS256, key, claims(func(c jwt.MapClaims) { c["sub"] = "" })),
			wantCode: "invalid_grant", wantDesc: "invalid assertion"},
		{scenario: "exp of the wrong type", assertion: sign(t, jwt.SigningMethodRS256, key, claims(func(c jwt.MapClaims) { c["exp"] = "soon" })),
			wantCode: "invalid_grant", wantDesc: "invalid assertion"},
		{scenario: "garbage", assertion: "not.a.jwt", wantCode: "invalid_grant", wantDesc: "invalid assertion"},
		{scenario: "empty", assertion: "", wantCode: "invalid_grant", wantDesc: "invalid assertion"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			c, err := oauth.VerifyAssertion(tt.assertion, &key.PublicKey, aud, fixedNow)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Issuer != "3MVG9key" || c.Subject != "user@example.com" || c.Audience != aud || c.ExpiresAt.IsZero() {
					t.Errorf("claims = %+v", c)
				}
				return
			}
			var oe *oauth.Error
			if !errors.As(err, &oe) {
				t.Fatalf("error %v is not *oauth.Error", err)
			}
			if oe.StatusCode != http.StatusBadRequest || oe.Code != tt.wantCode || oe.Description != tt.wantDesc {
				t.Errorf("error %+v, want 400 %s %q", *oe, tt.wantCode, tt.wantDesc)
			}
		})
	}
}

// TestClientAssertionVerifies checks the two halves against each other:
// what Client sends, VerifyAssertion accepts.
func TestClientAssertionVerifies(t *testing.T) {
	t.Parallel()
	var got oauth.Claims
	var verr error
	srv := newTokenServer(t, func(r *http.Request, form url.Values) (int, any) {
		got, verr = oauth.VerifyAssertion(form.Get("assertion"), &testKey().PublicKey, "https://login.salesforce.com", fixedNow)
		if verr != nil {
			return http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": verr.Error()}
		}
		return 0, nil
	})
	c, err := oauth.NewClient(oauth.Config{Grant: oauth.GrantJWTBearer, LoginURL: srv.URL, Audience: "https://login.salesforce.com",
		ClientID: "3MVG9key", Username: "user@example.com", PrivateKey: pkcs1PEM(testKey()),
		Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Fetch(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := oauth.Claims{Issuer: "3MVG9key", Subject: "user@example.com", Audience: "https://login.salesforce.com",
		ExpiresAt: fixedNow.Add(oauth.DefaultAssertionLifetime)}
	if !got.ExpiresAt.Equal(want.ExpiresAt) || got.Issuer != want.Issuer || got.Subject != want.Subject || got.Audience != want.Audience {
		t.Errorf("claims %+v, want %+v", got, want)
	}
}
