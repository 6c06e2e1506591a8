package sffake_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	key, cert := rsaKey(t)
	otherKey, _ := rsaKey(t)
	clock := sffake.NewManualClock(time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC))
	s := start(t, sffake.WithClock(clock), sffake.WithConnectedApp(testApp(cert)),
		sffake.WithConnectedApp(sffake.App{ConsumerKey: "no-run-as", ConsumerSecret: "x"}))
	now := clock.Now()
	jwtForm := func(assertion string) url.Values {
		return url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}
	}
	cc := func(id, secret string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	}
	pw := func(user, pass string) url.Values {
		return url.Values{"grant_type": {"password"}, "client_id": {testKey}, "client_secret": {testSecret}, "username": {user}, "password": {pass}}
	}
	tests := []struct {
		scenario string
		form     url.Values
		basic    []string
		status   int
		code     string // error; "" for success
		desc     string
	}{
		{scenario: "jwt with login.salesforce.com audience", form: jwtForm(signJWT(t, key, testKey, testUser, sffake.LoginURL, now.Add(5*time.Minute))), status: 200},
		{scenario: "jwt with test.salesforce.com audience", form: jwtForm(signJWT(t, key, testKey, testUser, sffake.SandboxURL, now.Add(5*time.Minute))), status: 200},
		{scenario: "jwt with the emulator's URL as audience", form: jwtForm(signJWT(t, key, testKey, testUser, s.URL(), now.Add(5*time.Minute))), status: 200},
		{scenario: "jwt wrong audience", form: jwtForm(signJWT(t, key, testKey, testUser, "https://example.com", now.Add(5*time.Minute))), status: 400, code: "invalid_grant", desc: "audience is invalid"},
		{scenario: "jwt expired", form: jwtForm(signJWT(t, key, testKey, testUser, sffake.LoginURL, now.Add(-10*time.Minute))), status: 400, code: "invalid_grant", desc: "expired authorization code"},
		{scenario: "jwt expired within skew is accepted", form: jwtForm(signJWT(t, key, testKey, testUser, sffake.LoginURL, now.Add(-time.Minute))), status: 200},
		{scenario: "jwt bad signature", form: jwtForm(signJWT(t, otherKey, testKey, testUser, sffake.LoginURL, now.Add(5*time.Minute))), status: 400, code: "invalid_grant", desc: "invalid assertion"},
		{scenario: "jwt unknown user", form: jwtForm(signJWT(t, key, testKey, "someone@example.com", sffake.LoginURL, now.Add(5*time.Minute))), status: 400, code: "invalid_grant", desc: "user hasn't approved this consumer"},
		{scenario: "jwt unknown consumer key", form: jwtForm(signJWT(t, key, "unknown", testUser, sffake.LoginURL, now.Add(5*time.Minute))), status: 400, code: "invalid_client_id", desc: "client identifier invalid"},
		{scenario: "jwt garbage", form: jwtForm("not.a.jwt"), status: 400, code: "invalid_grant", desc: "invalid assertion"},
		{scenario: "jwt missing assertion", form: jwtForm(""), status: 400, code: "invalid_request"},
		{scenario: "client credentials in body", form: cc(testKey, testSecret), status: 200},
		{scenario: "client credentials with basic auth", form: url.Values{"grant_type": {"client_credentials"}}, basic: []string{testKey, testSecret}, status: 200},
		{scenario: "client credentials bad secret", form: cc(testKey, "wrong"), status: 400, code: "invalid_client", desc: "invalid client credentials"},
		{scenario: "client credentials bad secret with basic auth", form: url.Values{"grant_type": {"client_credentials"}}, basic: []string{testKey, "wrong"}, status: 401, code: "invalid_client", desc: "invalid client credentials"},
		{scenario: "client credentials unknown client", form: cc("nobody", testSecret), status: 400, code: "invalid_client_id", desc: "client identifier invalid"},
		{scenario: "client credentials without run-as user", form: cc("no-run-as", "x"), status: 400, code: "invalid_grant", desc: "no client credentials user enabled"},
		{scenario: "password", form: pw(testUser, testPassword), status: 200},
		{scenario: "password wrong", form: pw(testUser, "nope"), status: 400, code: "invalid_grant", desc: "authentication failure"},
		{scenario: "password unknown user", form: pw("x@example.com", testPassword), status: 400, code: "invalid_grant", desc: "authentication failure"},
		{scenario: "unsupported grant", form: url.Values{"grant_type": {"authorization_code"}}, status: 400, code: "unsupported_grant_type", desc: "grant type not supported"},
		{scenario: "no grant", form: url.Values{}, status: 400, code: "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			status, out := postToken(t, s, tt.form, tt.basic)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, out)
			}
			if tt.code != "" {
				if out["error"] != tt.code || (tt.desc != "" && out["error_description"] != tt.desc) || len(out) != 2 {
					t.Fatalf("error %v, want %s / %q", out, tt.code, tt.desc)
				}
				return
			}
			checkTokenResponse(t, s, out, now)
		})
	}
}

// checkTokenResponse checks the fields of a successful token response
// (spec §4.5).
func checkTokenResponse(t *testing.T, s *sffake.Server, out map[string]any, now time.Time) {
	t.Helper()
	tok, _ := out["access_token"].(string)
	if !strings.HasPrefix(tok, s.OrgID()[:15]+"!") || len(tok) < 40 {
		t.Errorf("access_token %q", tok)
	}
	wantID := s.URL() + "/id/" + s.OrgID() + "/" + s.UserID()
	issued := strconv.FormatInt(now.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte(wantID + issued))
	want := map[string]any{
		"instance_url": s.URL(), "id": wantID, "token_type": "Bearer", "issued_at": issued,
		"signature": base64.StdEncoding.EncodeToString(mac.Sum(nil)), "scope": "api",
	}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("%s = %v, want %v", k, out[k], v)
		}
	}
	if _, ok := out["expires_in"]; ok {
		t.Error("expires_in present")
	}
}

func TestUserInfo(t *testing.T) {
	t.Parallel()
	_, cert := rsaKey(t)
	s := start(t, sffake.WithConnectedApp(testApp(cert)))
	tok := clientCredentialsToken(t, s)
	var info map[string]any
	restGet(t, s, tok, "/services/oauth2/userinfo", http.StatusOK, &info)
	if info["organization_id"] != s.OrgID() || info["user_id"] != s.UserID() || info["preferred_username"] != testUser {
		t.Fatalf("userinfo %v", info)
	}
	restGet(t, s, s.AccessToken(), "/services/oauth2/userinfo", http.StatusOK, &info)
	if info["preferred_username"] != sffake.DefaultUsername {
		t.Fatalf("userinfo of the static token %v", info)
	}
	status, body, _ := restCall(t, s, http.MethodGet, "bogus", "/services/oauth2/userinfo", "")
	if status != http.StatusForbidden || string(body) != "Bad_OAuth_Token" {
		t.Fatalf("bad token: %d %s", status, body)
	}
}

// TestIssuedTokenExpiry gets a token over HTTP, uses it on the Pub/Sub
// API and REST, and lets it expire on the manual clock.
func TestIssuedTokenExpiry(t *testing.T) {
	t.Parallel()
	key, cert := rsaKey(t)
	clock := sffake.NewManualClock(time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC))
	s := start(t, sffake.WithClock(clock), sffake.WithConnectedApp(testApp(cert)), sffake.WithTokenTTL(time.Hour))

	status, out := postToken(t, s, url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion":  {signJWT(t, key, testKey, testUser, sffake.LoginURL, clock.Now().Add(3*time.Minute))},
	}, nil)
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, out)
	}
	tok, inst := out["access_token"].(string), out["instance_url"].(string)
	idParts := strings.Split(out["id"].(string), "/")
	tenant := idParts[len(idParts)-2]

	conn, err := grpc.NewClient(s.PubSubAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := eventbus.NewPubSubClient(conn)
	ctx := metadata.AppendToOutgoingContext(t.Context(), "accesstoken", tok, "instanceurl", inst, "tenantid", tenant)
	getTopic := func() (metadata.MD, error) {
		var tr metadata.MD
		_, err := c.GetTopic(ctx, &eventbus.TopicRequest{TopicName: "/data/AccountChangeEvent"}, grpc.Trailer(&tr))
		return tr, err
	}
	query := func() (int, []byte) {
		status, body, _ := restCall(t, s, http.MethodGet, tok, queryPath("query", "SELECT Id FROM Account"), "")
		return status, body
	}

	if _, err := getTopic(); err != nil {
		t.Fatalf("GetTopic with an issued token: %v", err)
	}
	if status, body := query(); status != http.StatusOK {
		t.Fatalf("query with an issued token: %d %s", status, body)
	}
	// Use restarts the inactivity period.
	clock.Advance(50 * time.Minute)
	if _, err := getTopic(); err != nil {
		t.Fatalf("GetTopic after 50 minutes: %v", err)
	}
	clock.Advance(50 * time.Minute)
	if status, body := query(); status != http.StatusOK {
		t.Fatalf("query 50 minutes after the last use: %d %s", status, body)
	}
	clock.Advance(time.Hour)
	tr, err := getTopic()
	wantStatus(t, err, tr, codes.Unauthenticated, "service.auth.error")
	status, body := query()
	wantRESTError(t, status, body, http.StatusUnauthorized, "INVALID_SESSION_ID")
	if !strings.Contains(string(body), "Session expired or invalid") {
		t.Fatalf("message %s", body)
	}

	// A new token works again, and revoking it ends it at once.
	tok = clientCredentialsToken(t, s)
	if status, body := query(); status != http.StatusOK {
		t.Fatalf("query with a new token: %d %s", status, body)
	}
	s.RevokeToken(tok)
	status, body = query()
	wantRESTError(t, status, body, http.StatusUnauthorized, "INVALID_SESSION_ID")
}
