package endpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Serve listens on addr and serves reg's metrics, /healthz, and /readyz,
// which answers 503 with ready's error until ready returns nil. It
// returns once listening; [Server.Stop] stops it. A listen error names
// addr as the metrics_addr setting.
func Serve(addr string, reg *prometheus.Registry, ready func(context.Context) error, log *slog.Logger) (*Server, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := ready(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics_addr %s: %w", addr, err)
	}
	log.Info("serving metrics and health checks", "addr", ln.Addr().String())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "err", err)
		}
	}()
	return &Server{srv}, nil
}

// StopTimeout bounds how long [Server.Stop] waits for requests in
// progress.
const StopTimeout = 5 * time.Second

// Server is the HTTP server [Serve] started.
type Server struct{ *http.Server }

// Stop shuts the server down, letting requests in progress finish for up
// to [StopTimeout].
func (s *Server) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), StopTimeout)
	defer cancel()
	_ = s.Shutdown(ctx)
}

// Logger returns the slog logger of the log_level (debug, info, warn,
// error; anything else is info) and log_format (json, else text)
// settings, writing to w.
func Logger(level, format string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// ProbeUsage documents the --probe flag of every sfsync binary.
const ProbeUsage = "GET this `URL` (e.g. http://127.0.0.1:9464/readyz) and exit 0 when it answers 2xx, else 1: a container health check for images with no shell or curl"

// Probe gets url and returns nil when it answers 2xx within timeout; the
// error names the URL and what it answered.
func Probe(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("probe %s: %s: %s", url, resp.Status, bytes.TrimSpace(body))
	}
	return nil
}

// RunProbe is the --probe flag: [Probe] with a 5 s timeout, its error on
// stderr, and the exit status, 0 or 1.
func RunProbe(ctx context.Context, url string, stderr io.Writer) int {
	if err := Probe(ctx, url, 5*time.Second); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
