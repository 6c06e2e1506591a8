package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testTimeout bounds every wait; reaching it is a failure.
const testTimeout = 60 * time.Second

const token = "sfemu-test-token-0123"

func noEnv(string) string { return "" }

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sfemu.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommandLine(t *testing.T) {
	t.Parallel()
	good := writeConfig(t, "access_tokens: ["+token+"]\nchurn:\n  rate: 7\n")
	bad := writeConfig(t, "access_tokens: ["+token+"]\nchurn:\n  rate: 0\n")
	for _, tc := range []struct {
		scenario   string
		args       []string
		code       int
		wantOut    []string
		wantErr    []string
		notContain string
	}{
		{scenario: "help", args: []string{"--help"}, code: 0, wantErr: []string{"sfemu tail [flags]", "-config file", "churn:", "access_tokens", "users:", "password_env", "tls_cert_file", "-tls-cert-file", "objects:", "external_id"}},
		{scenario: "tail help", args: []string{"tail", "--help"}, code: 0, wantErr: []string{"-replay", "/event/Territory_Change__e"}},
		{scenario: "invalid file", args: []string{"--config", bad}, code: 2, wantErr: []string{bad + ":3: churn.rate: must be > 0"}},
		{scenario: "invalid flag value", args: []string{"--config", good, "--rate", "-1"}, code: 2, wantErr: []string{"flag --rate: churn.rate: must be > 0"}},
		{scenario: "no token", args: []string{"--print-config"}, code: 2, wantErr: []string{"access_tokens: at least one token is required"}},
		{
			scenario: "print effective config", args: []string{"--config", good, "--seed", "42", "--accounts", "12"}, code: 0,
			wantOut:    []string{"seed: 42", "accounts: 12", "rate: 7", "sfem… (redacted)", "pubsub: 127.0.0.1:7011"},
			notContain: token,
		},
		{
			scenario: "the example configuration is valid", args: []string{"--config", "sfemu.example.yaml", "--print-config"}, code: 0,
			wantOut:    []string{"consumer_key: sfemu-local-dev-app", "consumer_secret: sfem… (redacted)", "token_ttl: 2h0m0s"},
			notContain: "sfemu-local-dev-secret",
		},
		{scenario: "version", args: []string{"--version"}, code: 0, wantOut: []string{"sfemu "}},
		{scenario: "tail needs a token", args: []string{"tail"}, code: 2, wantErr: []string{"--token or SFEMU_ACCESS_TOKEN is required"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			args := tc.args
			if tc.scenario == "print effective config" {
				args = append(args, "--print-config")
			}
			var out, errOut bytes.Buffer
			if code := run(t.Context(), args, noEnv, &out, &errOut, nil); code != tc.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tc.code, errOut.String())
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut.String())
				}
			}
			if tc.notContain != "" && strings.Contains(out.String()+errOut.String(), tc.notContain) {
				t.Errorf("output shows %q", tc.notContain)
			}
		})
	}
}

func TestRunAndTail(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, `listen:
  pubsub: 127.0.0.1:0
  http: 127.0.0.1:0
access_tokens: [`+token+`]
keepalive: 2s
dataset:
  accounts: 10
  users: 5
churn:
  rate: 200
  overflow_after: 5
shutdown_timeout: 10s
log_level: debug
`)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	ep, stop := startEmu(t, ctx, []string{"--config", cfg, "--seed", "42"}, noEnv)

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ep.InstanceURL+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %s", resp.Status)
	}

	tail := func(topic string, n int) []string {
		t.Helper()
		var out, errOut bytes.Buffer
		args := []string{"--addr", ep.PubSub, "--token", token, "--instance-url", ep.InstanceURL, "--org-id", ep.OrgID,
			"--topic", topic, "--replay", "earliest", "--count", strconv.Itoa(n)}
		if code := runTail(ctx, args, noEnv, &out, &errOut); code != 0 {
			t.Fatalf("tail %s: exit %d: %s", topic, code, errOut.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != n {
			t.Fatalf("tail %s printed %d lines, want %d:\n%s", topic, len(lines), n, out.String())
		}
		return lines
	}
	lines := tail("/data/AccountChangeEvent", 40)
	joined := strings.Join(lines, "\n")
	for _, want := range []string{" CREATE Account 001", " UPDATE Account 001", "changed=", "LastModifiedDate", `Name="`, "GAP_OVERFLOW Account 000000000000000AAA"} {
		if !strings.Contains(joined, want) {
			t.Errorf("account events lack %q:\n%s", want, joined)
		}
	}
	terr := strings.Join(tail("/event/Territory_Change__e", 5), "\n")
	if !strings.Contains(terr, "event Territory_Change__e") || !strings.Contains(terr, "ObjectName__c=") {
		t.Errorf("territory events:\n%s", terr)
	}
	ota := strings.Join(tail("/data/ObjectTerritory2AssociationChangeEvent", 5), "\n")
	if !strings.Contains(ota, "CREATE ObjectTerritory2Association 0R1") {
		t.Errorf("association events:\n%s", ota)
	}

	log := stop()
	for _, want := range []string{"sfemu listening", "access_tokens=[sfem…]", "SF_PUBSUB_ADDR=" + ep.PubSub, "dataset seeded", "churn stopped", "msg=stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, token) {
		t.Errorf("log shows the access token:\n%s", log)
	}
	if c, err := net.Dial("tcp", ep.PubSub); err == nil {
		c.Close()
		t.Error("Pub/Sub listener still accepts connections after shutdown")
	}
}
