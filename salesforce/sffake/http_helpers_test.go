package sffake_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sfsync/sfsync/salesforce/sffake"
)

const (
	testKey      = "3MVG9sffake.consumer.key"
	testSecret   = "consumer-secret-123"
	testUser     = "integration@example.com"
	testPassword = "pa55word+TOKEN"
)

// rsaKey generates an RSA key and a self-signed certificate for it.
func rsaKey(t *testing.T) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sffake test app"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// testApp returns a connected app using cert.
func testApp(cert *x509.Certificate) sffake.App {
	return sffake.App{
		ConsumerKey: testKey, ConsumerSecret: testSecret, Certificate: cert,
		Username: testUser, Password: testPassword,
	}
}

// signJWT signs a JWT bearer assertion with key.
func signJWT(t *testing.T, key *rsa.PrivateKey, iss, sub, aud string, exp time.Time) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": iss, "sub": sub, "aud": aud, "exp": exp.Unix(),
	}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// httpDo sends a request and returns the status, the body and the
// response headers.
func httpDo(t *testing.T, req *http.Request) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body, resp.Header
}

// postToken posts form to the token endpoint, with HTTP Basic
// authentication when basic is not nil.
func postToken(t *testing.T, s *sffake.Server, form url.Values, basic []string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/services/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != nil {
		req.SetBasicAuth(basic[0], basic[1])
	}
	status, body, _ := httpDo(t, req)
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("token response %s: %v", body, err)
	}
	return status, out
}

// clientCredentialsToken gets a token with the client credentials grant.
func clientCredentialsToken(t *testing.T, s *sffake.Server) string {
	t.Helper()
	status, out := postToken(t, s, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {testKey}, "client_secret": {testSecret},
	}, nil)
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, out)
	}
	return out["access_token"].(string)
}

// restCall sends a REST request with the bearer token (none when empty)
// and extra headers given as name, value pairs.
func restCall(t *testing.T, s *sffake.Server, method, token, path, body string, headers ...string) (int, []byte, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return httpDo(t, req)
}

// restGet sends a GET and decodes the JSON answer into out, checking the
// status.
func restGet(t *testing.T, s *sffake.Server, token, path string, wantStatus int, out any, headers ...string) {
	t.Helper()
	status, body, _ := restCall(t, s, http.MethodGet, token, path, "", headers...)
	if status != wantStatus {
		t.Fatalf("GET %s: status %d, want %d: %s", path, status, wantStatus, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, body)
		}
	}
}

// restErr is one element of a REST error answer.
type restErr struct {
	Message   string `json:"message"`
	ErrorCode string `json:"errorCode"`
}

// wantRESTError checks a REST error answer's status and errorCode.
func wantRESTError(t *testing.T, status int, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	var errs []restErr
	if err := json.Unmarshal(body, &errs); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if status != wantStatus || len(errs) != 1 || errs[0].ErrorCode != wantCode || errs[0].Message == "" {
		t.Fatalf("got %d %s, want %d %s", status, body, wantStatus, wantCode)
	}
}

// queryPath returns the path of a query for q.
func queryPath(resource, q string) string {
	return "/services/data/v62.0/" + resource + "?q=" + url.QueryEscape(q)
}
