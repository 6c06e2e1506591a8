package oauth_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/salesforce/oauth"
)

// secretNeedles are substrings of the test secrets that must never appear
// in output: each secret and a recognisable slice of the PEM key body.
func secretNeedles() []string {
	key := string(pkcs1PEM(testKey()))
	body := strings.Split(key, "\n")[2] // a line of base64 key material
	return []string{testClientSecret, testPassword, testAccessToken, body, "PRIVATE KEY"}
}

func assertNoSecrets(t *testing.T, what string, v any) {
	t.Helper()
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case error:
		if v == nil {
			return
		}
		s = v.Error() + fmt.Sprintf(" %v %+v %#v", v, v, v)
	default:
		s = fmt.Sprint(v)
	}
	for _, n := range secretNeedles() {
		if strings.Contains(s, n) {
			t.Errorf("%s reveals a secret (%.12q…): %s", what, n, s)
		}
	}
}

func TestRedaction(t *testing.T) {
	t.Parallel()
	srv := newTokenServer(t, nil)
	cfg := oauth.Config{Grant: oauth.GrantPassword, LoginURL: srv.URL, ClientID: "id", Username: "u",
		ClientSecret: testClientSecret, Password: testPassword, PrivateKey: pkcs1PEM(testKey())}
	client, err := oauth.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	src := oauth.NewTokenSource(client)
	tok, err := src.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if string(tok.AccessToken) != testAccessToken {
		t.Fatal("wrong token")
	}
	jwtClient, err := oauth.NewClient(oauth.Config{Grant: oauth.GrantJWTBearer, LoginURL: srv.URL, ClientID: "id",
		Username: "u", PrivateKey: pkcs1PEM(testKey())})
	if err != nil {
		t.Fatal(err)
	}

	values := map[string]any{
		"config": cfg, "config pointer": &cfg, "token": tok, "token pointer": &tok,
		"client": client, "jwt client": jwtClient, "jwt client value": *jwtClient,
		"token source": src, "token source value": *src,
		"secret": oauth.Secret(testClientSecret), "struct of secrets": struct {
			A oauth.Secret
			B []oauth.Secret
			C map[string]oauth.Secret
		}{testClientSecret, []oauth.Secret{testPassword}, map[string]oauth.Secret{"k": testAccessToken}},
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
			assertNoSecrets(t, name+" "+verb, fmt.Sprintf(verb, v))
		}
		assertNoSecrets(t, name+" Sprint", fmt.Sprint(v))
		assertNoSecrets(t, name+" Sprintln", fmt.Sprintln(v))

		var buf bytes.Buffer
		jl := slog.New(slog.NewJSONHandler(&buf, nil))
		jl.Info("value", "v", v)
		jl.Info("group", slog.Group("g", slog.Any("v", v)))
		tl := slog.New(slog.NewTextHandler(&buf, nil))
		tl.Info("value", "v", v)
		assertNoSecrets(t, name+" slog", buf.String())

		if b, err := json.Marshal(v); err == nil {
			assertNoSecrets(t, name+" json", string(b))
		}
	}

	// What the redacted forms look like.
	if got := fmt.Sprintf("%v|%#v|%x", oauth.Secret("x"), oauth.Secret("x"), oauth.Secret("x")); got != `[REDACTED]|oauth.Secret("[REDACTED]")|[REDACTED]` {
		t.Errorf("Secret formats as %s", got)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("token", "token", tok, "config", cfg)
	for _, want := range []string{`"org_id":"` + testOrgID + `"`, `"access_token":"[REDACTED]"`, `"client_secret_set":true`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("slog output %s lacks %s", buf.String(), want)
		}
	}
	if b, _ := json.Marshal(tok); !strings.Contains(string(b), `"access_token":"[REDACTED]"`) {
		t.Errorf("json token %s", b)
	}
}

func TestRedactionInErrors(t *testing.T) {
	t.Parallel()
	// A server that echoes the whole request back in its error, in JSON
	// and otherwise.
	for _, ctype := range []string{"application/json", "text/plain"} {
		srv := newTokenServer(t, func(r *http.Request, form url.Values) (int, any) {
			if ctype == "text/plain" {
				return http.StatusBadRequest, form.Encode() // JSON-encoded string, still echoes
			}
			return http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "authentication failure"}
		})
		for _, cfg := range []oauth.Config{
			{Grant: oauth.GrantPassword, LoginURL: srv.URL, ClientID: "id", ClientSecret: testClientSecret, Username: "u", Password: testPassword},
			{Grant: oauth.GrantClientCredentials, LoginURL: srv.URL, ClientID: "id", ClientSecret: testClientSecret, BasicAuth: true},
			{Grant: oauth.GrantJWTBearer, LoginURL: srv.URL, ClientID: "id", Username: "u", PrivateKey: pkcs8PEM(t, testKey())},
		} {
			c, err := oauth.NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Fetch(t.Context())
			if err == nil {
				t.Fatalf("%s: Fetch succeeded", cfg.Grant)
			}
			assertNoSecrets(t, string(cfg.Grant)+" error", err)
			_, err = oauth.NewTokenSource(c).Token(t.Context())
			assertNoSecrets(t, string(cfg.Grant)+" token source error", err)
		}
	}
}
