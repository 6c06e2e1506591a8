package registry

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sfsync/sfsync/schemas/avroframe"
)

const secret = "s3cr3t-registry-password"

// server is the registry side of the documented API, enough for the
// client: it checks basic authentication, keeps one schema, and fails
// with 503 when told to.
func server(t *testing.T, failing *atomic.Bool, gets *atomic.Int32) http.Handler {
	t.Helper()
	var raced atomic.Bool
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != "team" || pass != secret {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error_code":401,"message":"Unauthorized"}`))
			return
		}
		if failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		switch {
		case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/config/"):
			var body map[string]string
			_ = json.NewDecoder(r.Body).Decode(&body)
			if body["compatibility"] != "BACKWARD" {
				t.Errorf("compatibility %q, want BACKWARD", body["compatibility"])
			}
			_ = json.NewEncoder(w).Encode(body)
		case r.Method == http.MethodPost && r.URL.Path == "/subjects/t-value/versions":
			if ct := r.Header.Get("Content-Type"); ct != "application/vnd.schemaregistry.v1+json" {
				t.Errorf("Content-Type %q", ct)
			}
			_, _ = w.Write([]byte(`{"id":7}`))
		case r.Method == http.MethodPost && r.URL.Path == "/subjects/race-value/versions":
			// Another service created the subject meanwhile, once.
			if raced.CompareAndSwap(false, true) {
				w.WriteHeader(http.StatusConflict)
				_, _ = w.Write([]byte(`{"error_code":409,"message":"An artifact with ID 'race-value' in group 'null' already exists."}`))
				return
			}
			_, _ = w.Write([]byte(`{"id":5}`))
		case r.Method == http.MethodPost && r.URL.Path == "/subjects/bad-value/versions":
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"error_code":409,"message":"Schema being registered is incompatible with an earlier schema"}`))
		case r.Method == http.MethodGet && r.URL.Path == "/schemas/ids/8":
			gets.Add(1)
			_, _ = w.Write([]byte(`{"schema":"\"string\""}`))
		case r.Method == http.MethodGet && r.URL.Path == "/schemas/ids/9":
			_, _ = w.Write([]byte(`{"schema":"syntax = \"proto3\";","schemaType":"PROTOBUF"}`))
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/schemas/ids/"):
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error_code":40403,"message":"Schema not found"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func TestClient(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	var gets atomic.Int32
	srv := httptest.NewTLSServer(server(t, &failing, &gets))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	s := Settings{URL: srv.URL + "/", Username: "team", Password: secret, CAFile: ca}
	if ps := s.Problems(); len(ps) > 0 {
		t.Fatalf("Problems = %v", ps)
	}
	c, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if id, err := c.Register(ctx, "t-value", `"string"`); err != nil || id != 7 {
		t.Fatalf("Register = %d, %v", id, err)
	}
	if id, err := c.Register(ctx, "race-value", `"string"`); err != nil || id != 5 {
		t.Errorf("Register after a 409 of a concurrent creation = %d, %v; want 5", id, err)
	}
	if _, err := c.Register(ctx, "bad-value", `"string"`); err == nil || !strings.Contains(err.Error(), "incompatible") || errors.Is(err, ErrUnavailable) {
		t.Errorf("Register of an incompatible schema = %v, want the registry's refusal", err)
	}
	if text, err := c.Schema(ctx, 8); err != nil || text != `"string"` || gets.Load() != 1 {
		t.Fatalf("Schema(8) = %q, %v after %d requests", text, err, gets.Load())
	}
	var errs []error
	if _, err := c.Schema(ctx, 404); !errors.Is(err, avroframe.ErrUnknownSchema) || !strings.Contains(err.Error(), "Schema not found") {
		t.Errorf("unknown id: %v, want ErrUnknownSchema with the registry's message", err)
	} else {
		errs = append(errs, err)
	}
	if _, err := c.Schema(ctx, 9); !errors.Is(err, avroframe.ErrUnknownSchema) || !strings.Contains(err.Error(), "PROTOBUF") {
		t.Errorf("protobuf schema: %v, want ErrUnknownSchema naming PROTOBUF", err)
	}
	failing.Store(true)
	if _, err := c.Schema(ctx, 10); !errors.Is(err, ErrUnavailable) {
		t.Errorf("503: %v, want ErrUnavailable", err)
	} else {
		errs = append(errs, err)
	}
	wrong, err := New(Settings{URL: srv.URL, Username: "team", Password: "wrong-" + secret, CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	if err := wrong.Ping(ctx); err == nil || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong password: %v, want a 401 that is not retried", err)
	} else {
		errs = append(errs, err)
	}
	untrusted, err := New(Settings{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := untrusted.Ping(ctx); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the CA: %v, want a certificate error", err)
	}
	for _, err := range errs {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestSettingsProblems(t *testing.T) {
	t.Parallel()
	for _, scenario := range []struct {
		name string
		s    Settings
		want []string // "path: message" fragments, in order
	}{
		{"none", Settings{}, nil},
		{"plain", Settings{URL: "http://127.0.0.1:8081"}, nil},
		{"without url", Settings{Username: "u", Password: "p", CAFile: "x"}, []string{
			"schema_registry.username: needs schema_registry.url",
			"schema_registry.password: needs schema_registry.url",
			"schema_registry.ca_file: needs schema_registry.url"}},
		{"not a URL", Settings{URL: "127.0.0.1:8081"}, []string{`schema_registry.url: must be an http or https URL such as http://127.0.0.1:8081, got "127.0.0.1:8081"`}},
		{"opaque with a password", Settings{URL: "u:" + secret + "@127.0.0.1:8081"}, []string{"got \"(a URL not shown: it may hold a password)\""}},
		{"unparseable with a password", Settings{URL: "http://u:" + secret + "@[::1"}, []string{"got \"(a URL not shown: it may hold a password)\""}},
		{"credentials in URL", Settings{URL: "https://u:" + secret + "@reg.example:8081"}, []string{"schema_registry.url: must not hold credentials"}},
		{"user without password", Settings{URL: "https://reg.example", Username: "u"}, []string{"schema_registry.password: is required with schema_registry.username"}},
		{"password without user", Settings{URL: "https://reg.example", Password: "p"}, []string{"schema_registry.username: is required with schema_registry.password"}},
		{"CA over http", Settings{URL: "http://reg.example", CAFile: "ca.pem"}, []string{"schema_registry.ca_file: needs an https schema_registry.url"}},
		{"missing CA", Settings{URL: "https://reg.example", CAFile: "/nonexistent/ca.pem"}, []string{"schema_registry.ca_file:"}},
	} {
		t.Run(scenario.name, func(t *testing.T) {
			t.Parallel()
			ps := scenario.s.Problems()
			if len(ps) != len(scenario.want) {
				t.Fatalf("Problems = %v, want %d", ps, len(scenario.want))
			}
			for i, p := range ps {
				got := p.Path + ": " + p.Message
				if !strings.Contains(got, scenario.want[i]) {
					t.Errorf("problem %d = %q, want %q", i, got, scenario.want[i])
				}
				if strings.Contains(got, secret) {
					t.Errorf("problem %d shows the password: %q", i, got)
				}
			}
		})
	}
}

func TestSettingsWarnings(t *testing.T) {
	t.Parallel()
	for _, scenario := range []struct {
		s    Settings
		warn bool
	}{
		{Settings{URL: "http://reg.example:8081", Username: "u", Password: "p"}, true},
		{Settings{URL: "http://127.0.0.1:8081", Username: "u", Password: "p"}, false},
		{Settings{URL: "https://reg.example", Username: "u", Password: "p"}, false},
		{Settings{URL: "http://reg.example"}, false},
	} {
		if got := len(scenario.s.Warnings()) > 0; got != scenario.warn {
			t.Errorf("Warnings(%s, user %q) = %v, want a warning: %v", scenario.s.URL, scenario.s.Username, scenario.s.Warnings(), scenario.warn)
		}
	}
}
