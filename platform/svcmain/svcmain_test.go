package svcmain

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig"
)

func TestFlags(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		scenario   string
		args       []string
		code       int
		done       bool
		out, err   string
		configFlag string
	}{
		{scenario: "none", args: []string{"--config", "x.yaml"}, configFlag: "x.yaml"},
		{scenario: "help", args: []string{"-h"}, done: true, err: "-probe URL"},
		{scenario: "bad flag", args: []string{"--nope"}, code: 2, done: true, err: "flag provided but not defined: -nope"},
		{scenario: "version", args: []string{"--version"}, done: true, out: "sfsync-test "},
		{scenario: "probe answers", args: []string{"--probe", srv.URL}, done: true},
		{scenario: "probe fails", args: []string{"--probe", srv.URL + "/\x7f"}, code: 1, done: true, err: "probe"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			fs, flags := NewFlagSet("sfsync-test", &stderr)
			config := fs.String("config", "", "the configuration file")
			code, done := flags.Parse(context.Background(), fs, tc.args, &stdout, &stderr)
			if code != tc.code || done != tc.done || *config != tc.configFlag {
				t.Errorf("code %d, done %v, config %q; want %d, %v, %q (%s)", code, done, *config, tc.code, tc.done, tc.configFlag, stderr.String())
			}
			if !strings.HasPrefix(stdout.String(), tc.out) || !strings.Contains(stderr.String(), tc.err) {
				t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
			}
		})
	}
}

// config is a service configuration with its warnings.
type config struct {
	svcconfig.Runtime
	warnings []string
}

func (c *config) Warnings() []string { return c.warnings }

func TestService(t *testing.T) {
	t.Parallel()
	var stdout, stderr, logs bytes.Buffer
	s := Service[*config]{
		Name: "sfsync-test",
		Load: func(path string) (*config, error) {
			if path == "bad.yaml" {
				return nil, errors.New("bad")
			}
			return &config{Runtime: svcconfig.Runtime{LogLevel: "info", LogFormat: "text"}, warnings: []string{"careful"}}, nil
		},
		Check: func(_ context.Context, _ *config, list *Checklist) error { list.Report(true, "fine"); return nil },
		Run:   func(ctx context.Context, _ *config, log *slog.Logger) error { log.Info("running"); return nil },
	}
	if code := s.Main(context.Background(), "bad.yaml", false, &stdout, &stderr); code != 2 || stderr.String() != "sfsync-test: bad\n" {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	if code := s.Main(context.Background(), "good.yaml", true, &stdout, &logs); code != 0 || stdout.String() != "ok   fine\n" || !strings.Contains(logs.String(), "msg=careful") {
		t.Errorf("check: exit %d, stdout %q, logs %q", code, stdout.String(), logs.String())
	}
	logs.Reset()
	if code := s.Main(context.Background(), "good.yaml", false, &stdout, &logs); code != 0 || !strings.Contains(logs.String(), `msg="sfsync-test starting" config=good.yaml`) {
		t.Errorf("run: exit %d, logs %q", code, logs.String())
	}
}

func TestStartServe(t *testing.T) {
	t.Parallel()
	cfg := &config{Runtime: svcconfig.Runtime{LogLevel: "warn", LogFormat: "text"}, warnings: []string{"metrics_addr: public"}}
	var logs bytes.Buffer
	ctx, log, stop := Start(context.Background(), cfg, &logs)
	defer stop()
	log.Debug("hidden")
	if ctx.Err() != nil || !strings.Contains(logs.String(), `level=WARN msg="metrics_addr: public"`) || strings.Contains(logs.String(), "hidden") {
		t.Errorf("logs %q", logs.String())
	}
	log = Logger(&config{Runtime: svcconfig.Runtime{LogLevel: "info", LogFormat: "json"}}, &logs)
	logs.Reset()
	code := Serve(ctx, log, Run{Name: "sfsync-test", Config: "t.yaml", Values: "v"}, func(context.Context) error { return nil })
	if code != 0 || !strings.Contains(logs.String(), `"msg":"sfsync-test starting","config":"t.yaml","config_values":"v"`) ||
		!strings.Contains(logs.String(), `"msg":"sfsync-test stopped"}`) {
		t.Errorf("code %d, logs %s", code, logs.String())
	}
	logs.Reset()
	r := Run{Name: "sfsync-test load", Failed: "failed", Stopped: "sfsync-test stopped"}
	code = Serve(ctx, log, r, func(context.Context) error { return errors.New("boom") })
	if code != 1 || !strings.Contains(logs.String(), `"msg":"sfsync-test load failed","err":"boom"`) {
		t.Errorf("code %d, logs %s", code, logs.String())
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	var out, stderr bytes.Buffer
	check := func(ctx context.Context, list *Checklist) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("no deadline")
		}
		list.Report(true, "kafka: %d brokers", 3)
		list.Report(false, "topic %s: missing", "a")
		list.Report(false, "redis: down")
		return nil
	}
	if code := Check(context.Background(), "sfsync-test", &out, &stderr, check); code != 1 {
		t.Errorf("exit %d", code)
	}
	if want := "ok   kafka: 3 brokers\nFAIL topic a: missing\nFAIL redis: down\n"; out.String() != want {
		t.Errorf("out %q, want %q", out.String(), want)
	}
	if want := "sfsync-test: check failed:\n\ttopic a: missing\n\tredis: down\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
	stderr.Reset()
	fail := func(context.Context, *Checklist) error { return errors.New("no transport") }
	if code := Check(context.Background(), "sfsync-test", io.Discard, &stderr, fail); code != 1 || stderr.String() != "sfsync-test: no transport\n" {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	pass := func(_ context.Context, list *Checklist) error { list.Report(true, "fine"); return nil }
	if code := Check(context.Background(), "sfsync-test", io.Discard, io.Discard, pass); code != 0 {
		t.Errorf("exit %d", code)
	}
}
