package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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
		if code := Run(context.Background(), c.args, &out, &errs, nil); code != 2 {
			t.Errorf("%s: exit %d, want 2; stderr:\n%s", c.scenario, code, errs.String())
		}
		if !strings.Contains(errs.String(), c.want) {
			t.Errorf("%s: stderr lacks %q:\n%s", c.scenario, c.want, errs.String())
		}
	}
	var out, errs bytes.Buffer
	if code := Run(context.Background(), []string{"--help"}, &out, &errs, nil); code != 0 || !strings.Contains(errs.String(), "sfsync-reconciler verify") {
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
			if code := Run(context.Background(), c.args, &out, &errs, nil); code != 0 {
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, errs.String())
			}
			if !strings.HasPrefix(out.String(), "sfsync-reconciler ") {
				t.Errorf("stdout does not start with the program name:\n%s", out.String())
			}
		})
	}
}

// TestParse checks what the command line sets, for each command.
func TestParse(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		scenario string
		args     []string
		check    func(t *testing.T, inv invocation)
	}{
		{"service", nil, func(t *testing.T, inv invocation) {
			if inv.cmd != "" || inv.path != DefaultConfig {
				t.Errorf("%+v", inv)
			}
		}},
		{"verify", []string{"verify", "--config", "x.yaml", "--full", "--window", "1h", "--objects", "Account,Lead", "--dry-run", "--max-deletes", "-1", "--against", "compacted", "--format", "json"}, func(t *testing.T, inv invocation) {
			if inv.cmd != "verify" || inv.path != "x.yaml" || !inv.vo.Full || inv.vo.Window != time.Hour || !inv.vo.DryRun ||
				inv.vo.MaxDeletes != -1 || inv.against != "compacted" || inv.format != "json" || strings.Join(inv.vo.Objects, "|") != "Account|Lead" {
				t.Errorf("%+v", inv)
			}
		}},
		{"backfill", []string{"backfill", "--objects", "Account", "--run", "again"}, func(t *testing.T, inv invocation) {
			if inv.cmd != "backfill" || inv.runName != "again" || strings.Join(inv.vo.Objects, "|") != "Account" {
				t.Errorf("%+v", inv)
			}
		}},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			t.Parallel()
			var errs bytes.Buffer
			inv, code, done := parse(context.Background(), c.args, &errs, &errs)
			if done {
				t.Fatalf("parse ended with exit %d:\n%s", code, errs.String())
			}
			c.check(t, inv)
		})
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	get := lookup([]string{"A=1", "B=x=y", "A=2", "EMPTY=", "NOEQUALS"})
	for _, c := range []struct {
		key, want string
		ok        bool
	}{{"A", "1", true}, {"B", "x=y", true}, {"EMPTY", "", true}, {"NOEQUALS", "", false}, {"C", "", false}} {
		if v, ok := get(c.key); v != c.want || ok != c.ok {
			t.Errorf("lookup(%s) = %q, %v; want %q, %v", c.key, v, ok, c.want, c.ok)
		}
	}
}
