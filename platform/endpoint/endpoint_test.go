package endpoint

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServe(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "sfsync_test_total", Help: "a test counter"})
	reg.MustRegister(c)
	c.Inc()
	var ready atomic.Bool
	var logs bytes.Buffer
	srv, err := Serve(addr, reg, func(context.Context) error {
		if !ready.Load() {
			return errors.New("starting")
		}
		return nil
	}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	// The log names the address bound, which tells a port-0 address.
	if !strings.Contains(logs.String(), "addr="+addr) {
		t.Errorf("log %q does not name the address %s", logs.String(), addr)
	}
	defer srv.Shutdown(context.Background())
	base := "http://" + addr
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "sfsync_test_total 1") {
		t.Errorf("/metrics: %d %q", code, body)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "starting") {
		t.Errorf("/readyz before ready: %d %q", code, body)
	}
	var stderr bytes.Buffer
	if code := RunProbe(context.Background(), base+"/readyz", &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "503") || !strings.Contains(stderr.String(), "starting") {
		t.Errorf("--probe /readyz before ready: exit %d, %q", code, stderr.String())
	}
	ready.Store(true)
	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz when ready: %d", code)
	}
	if code := RunProbe(context.Background(), base+"/readyz", io.Discard); code != 0 {
		t.Errorf("--probe /readyz when ready: exit %d", code)
	}
	if _, err := Serve(addr, reg, nil, nil); err == nil || !strings.Contains(err.Error(), "metrics_addr "+addr) {
		t.Errorf("a taken address: %v", err)
	}
	srv.Close()
	stderr.Reset()
	if code := RunProbe(context.Background(), base+"/healthz", &stderr); code != 1 || !strings.Contains(stderr.String(), addr) {
		t.Errorf("--probe of a closed port: exit %d, %q", code, stderr.String())
	}
}

func TestLogger(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	Logger("warn", "json", &b).Info("hidden")
	Logger("warn", "json", &b).Warn("shown")
	if out := b.String(); strings.Contains(out, "hidden") || !strings.Contains(out, `"msg":"shown"`) {
		t.Fatalf("json logger at warn wrote %q", out)
	}
	b.Reset()
	Logger("", "", &b).Info("text")
	if !strings.Contains(b.String(), "msg=text") {
		t.Fatalf("default logger wrote %q", b.String())
	}
}
