package oauth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/oauth"
)

// Secrets used throughout; redaction tests assert none of them is printed.
const (
	testClientSecret = "s3cr3t-CONSUMER-SECRET-4711"
	testPassword     = "hunter2-PASSWORD-TOKENxyz"
	testAccessToken  = "00D5g000004ABCD!AQ0AQSECRET-ACCESS-TOKEN-abcdef"
	testOrgID        = "00D5g000004ABCDEAA"
	testUserID       = "0055g00000XYZabAAB"
)

// testKey is one RSA key shared by the tests (generating one is slow).
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func pkcs1PEM(k *rsa.PrivateKey) oauth.Secret {
	return oauth.Secret(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func pkcs8PEM(t *testing.T, k any) oauth.Secret {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return oauth.Secret(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// tokenServer stands in for Salesforce's token endpoint. check inspects
// each request and returns the status and JSON body to answer with; a nil
// check answers with a token whose access token is accessToken(n), n
// counting requests from 1.
type tokenServer struct {
	*httptest.Server
	requests atomic.Int64
}

func accessToken(n int64) string {
	if n == 1 {
		return testAccessToken
	}
	return testAccessToken + "-" + string(rune('A'+n))
}

func successBody(srvURL string, n int64) map[string]any {
	return map[string]any{
		"access_token": accessToken(n),
		"instance_url": srvURL,
		"id":           "https://login.salesforce.com/id/" + testOrgID + "/" + testUserID,
		"token_type":   "Bearer",
		"issued_at":    "1705314600000",
		"signature":    "c2lnbmF0dXJl",
		"scope":        "api refresh_token",
	}
}

func newTokenServer(t *testing.T, check func(r *http.Request, form url.Values) (int, any)) *tokenServer {
	t.Helper()
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ts.requests.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/services/oauth2/token" {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			http.Error(w, "bad content type "+ct, http.StatusBadRequest)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		status, body := http.StatusOK, any(successBody(ts.URL, n))
		if check != nil {
			if s, b := check(r, r.PostForm); s != 0 {
				status, body = s, b
			}
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// fixedNow is the tests' clock for JWT expiry.
var fixedNow = time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)

func newHTTPTestServer(h http.Handler) *httptest.Server { return httptest.NewServer(h) }
