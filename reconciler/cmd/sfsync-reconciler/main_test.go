package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func noEnv(string) (string, bool) { return "", false }

// TestUsageErrors checks that bad usage and bad configuration exit 2 with
// a message naming the problem, before anything connects.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("mapping: missing.yaml\nverfy:\n  interval: 1m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		scenario string
		args     []string
		want     string
	}{
		{"unknown command", []string{"repair"}, `unknown command "repair"`},
		{"bad format", []string{"verify", "--format", "xml", "--config", bad}, "--format must be table or json"},
		{"bad against", []string{"verify", "--against", "mysql", "--config", bad}, "--against must be postgres or compacted"},
		{"stray argument", []string{"verify", "extra"}, `unexpected argument "extra"`},
		{"missing config", []string{"--config", filepath.Join(dir, "none.yaml")}, "none.yaml"},
		{"bad config", []string{"verify", "--config", bad}, "verfy"},
	}
	for _, c := range cases {
		var out, errs bytes.Buffer
		if code := run(context.Background(), c.args, &out, &errs, noEnv); code != 2 {
			t.Errorf("%s: exit %d, want 2; stderr:\n%s", c.scenario, code, errs.String())
		}
		if !strings.Contains(errs.String(), c.want) {
			t.Errorf("%s: stderr lacks %q:\n%s", c.scenario, c.want, errs.String())
		}
	}
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &out, &errs, noEnv); code != 0 || !strings.Contains(errs.String(), "sfsync-reconciler verify") {
		t.Errorf("--help: exit %d:\n%s", code, errs.String())
	}
}

// TestVersion checks that --version prints the version and exits 0 with
// every command, without reading the configuration.
func TestVersion(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "none.yaml")
	for _, c := range []struct {
		scenario string
		args     []string
	}{
		{"service", []string{"--version"}},
		{"verify", []string{"verify", "--version"}},
		{"backfill", []string{"backfill", "--version"}},
		{"missing config", []string{"--config", missing, "--version"}},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			t.Parallel()
			var out, errs bytes.Buffer
			if code := run(context.Background(), c.args, &out, &errs, noEnv); code != 0 {
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, errs.String())
			}
			if !strings.HasPrefix(out.String(), "sfsync-reconciler ") {
				t.Errorf("stdout does not start with the program name:\n%s", out.String())
			}
		})
	}
}
