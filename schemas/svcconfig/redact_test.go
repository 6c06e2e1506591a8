package svcconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

func TestURLRedacted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"postgres://sfsync@h:5432/db?sslmode=disable", "postgres://sfsync@h:5432/db?sslmode=disable"},
		{"postgres://sfsync:S3CRET@h:5432/db", "postgres://sfsync:xxxxx@h:5432/db"},
		{"postgres://sfsync@h/db?password=S3CRET&sslmode=disable", "postgres://sfsync@h/db?password=xxxxx&sslmode=disable"},
		{"redis://:S3CRET@h:6379/0", "redis://:xxxxx@h:6379/0"},
		{"postgres://u:S3%zz@h/db", "[REDACTED]"},
		{"host=h user=u password=S3CRET dbname=d", "host=h user=u password=xxxxx dbname=d"},
		{"host=h password='S3 CRET' sslpassword=S3CRET", "host=h password=xxxxx sslpassword=xxxxx"},
	} {
		u := URL(tc.in)
		for _, got := range []string{u.Redacted(), u.String(), fmt.Sprint(u), fmt.Sprintf("%s", u), fmt.Sprintf("%q", u)} {
			if got != tc.want {
				t.Errorf("%q printed as %q, want %q", tc.in, got, tc.want)
			}
		}
	}
}

// TestSecretsNeverShow looks for a marker secret in every way a
// configuration can be printed, logged or encoded.
func TestSecretsNeverShow(t *testing.T) {
	t.Parallel()
	const marker = "S3CRET-MARKER"
	c := &testConfig{}
	c.Salesforce.ClientSecret = marker
	c.Salesforce.AccessToken = marker
	c.Postgres.URL = "postgres://u:" + marker + "@h/db"
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "config", LogValue(c), "sf", c.Salesforce, "secret", c.Salesforce.AccessToken, "url", c.Postgres.URL)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "config", LogValue(c), "sf", c.Salesforce, "secret", c.Salesforce.AccessToken, "url", c.Postgres.URL)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{logs.String(), string(js), Format(c), Format(*c)}
	for _, v := range []any{c.Salesforce, c.Salesforce.Salesforce, c.Postgres, c.Salesforce.AccessToken, c.Postgres.URL} {
		texts = append(texts, fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), fmt.Sprintf("%s", v), fmt.Sprintf("%q", v), fmt.Sprint(v))
	}
	for _, s := range texts {
		if strings.Contains(s, marker) {
			t.Errorf("secret shown in %s", s)
		}
	}
	f := Format(c)
	if !strings.Contains(f, "salesforce.client_secret=[REDACTED]") || !strings.Contains(f, `salesforce.grant=""`) ||
		!strings.Contains(f, `postgres.url="postgres://u:xxxxx@h/db"`) || !strings.Contains(f, "tuning.repair=null") {
		t.Errorf("format %s", f)
	}
	if got := fmt.Sprintf("%#v", Secret("x")); got != `svcconfig.Secret("[REDACTED]")` {
		t.Errorf("GoString %s", got)
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	c := &testConfig{Topics: []string{"a"}}
	c.setDefaults()
	want := `mapping="" salesforce.login_url="https://login.salesforce.com" salesforce.pubsub_endpoint="api.pubsub.salesforce.com:7443" ` +
		`salesforce.plaintext=false salesforce.ca_file="" salesforce.grant="" salesforce.client_id="" salesforce.client_secret="" ` +
		`salesforce.username="" salesforce.private_key_file="" salesforce.access_token="" salesforce.instance_url="" salesforce.org_id="" ` +
		`salesforce.poll_every=0s postgres.url="" topics=["a"] partitions=map[] tuning.size=100 tuning.wait=0s tuning.repair=true ` +
		`tuning.every=1h0m0s tuning.verbose=false log_level="info" log_format="text"`
	if got := Format(c); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("m", "c", LogValue(c))
	if !strings.Contains(logs.String(), `c.salesforce.login_url="\"https://login.salesforce.com\""`) || !strings.Contains(logs.String(), "c.tuning.every=1h0m0s") {
		t.Errorf("log %s", logs.String())
	}
}

func TestURLProblem(t *testing.T) {
	t.Parallel()
	u := URL("postgres://u:S3CRET@h/db")
	_, uerr := url.Parse("postgres://u:S3CRET@h:x/db") //nolint:staticcheck // a URL that does not parse, on purpose
	for _, tc := range []struct {
		err  error
		want string
	}{
		{uerr, "must be a URL; it does not parse as a URL"},
		{fmt.Errorf("cannot parse %s: %w", u, errors.New("bad port")), "must be a URL, got postgres://u:xxxxx@h/db: bad port"},
		{errors.New("invalid URL scheme: http"), "must be a URL, got postgres://u:xxxxx@h/db: invalid URL scheme: http"},
	} {
		if got := URLProblem("a URL", u, tc.err); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
}

func TestLoopback(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{"127.0.0.1:1": true, "[::1]:1": true, "localhost:1": true, "0.0.0.0:1": false, ":1": false, "x": false} {
		if Loopback(addr) != want {
			t.Errorf("Loopback(%q) = %v", addr, !want)
		}
	}
}
