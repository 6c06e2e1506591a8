package svcmain

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sfsync/sfsync/platform/endpoint"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// Load returns the configuration that load reads, or, when it fails,
// nil and exit status 2, having written the error after the program's
// name to stderr.
func Load[C any](program string, stderr io.Writer, load func() (*C, error)) (*C, int) {
	c, err := load()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", program, err)
		return nil, 2
	}
	return c, 0
}

// Config is what main needs of a service's configuration: its process
// settings (those of an inlined [svcconfig.Runtime]) and the settings
// that work but are unsafe outside development.
type Config interface {
	Process() *svcconfig.Runtime
	Warnings() []string
}

// Logger returns the logger that cfg's log_level and log_format ask for
// (see [endpoint.Logger]), writing to w, having logged cfg's warnings.
func Logger(cfg Config, w io.Writer) *slog.Logger {
	rt := cfg.Process()
	log := endpoint.Logger(rt.LogLevel, rt.LogFormat, w)
	for _, msg := range cfg.Warnings() {
		log.Warn(msg)
	}
	return log
}

// Start is what a service does once its configuration is loaded: it
// returns ctx ended also by SIGINT and SIGTERM, the [Logger] of cfg
// writing to w, and the function that stops listening for the signals.
func Start(ctx context.Context, cfg Config, w io.Writer) (context.Context, *slog.Logger, context.CancelFunc) {
	log := Logger(cfg, w)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	return ctx, log, stop
}

// Run says how [Serve] logs one run of a service.
type Run struct {
	// Name starts the "starting" line, e.g. sfsync-consumer.
	Name string
	// Config is the configuration file and Values the configuration,
	// logged at start as config and config_values.
	Config string
	Values any
	// Failed ends the message logged with the error when the run fails:
	// "<Name> <Failed>"; the default is "stopped".
	Failed string
	// Stopped is the message logged when the run ends well; the default
	// is "<Name> stopped".
	Stopped string
}

// Serve logs that r starts, runs run, and logs how it ended; it returns
// exit status 1 when run failed, else 0.
func Serve(ctx context.Context, log *slog.Logger, r Run, run func(context.Context) error) int {
	if r.Failed == "" {
		r.Failed = "stopped"
	}
	if r.Stopped == "" {
		r.Stopped = r.Name + " stopped"
	}
	log.Info(r.Name+" starting", "config", r.Config, "config_values", r.Values)
	if err := run(ctx); err != nil {
		log.Error(r.Name+" "+r.Failed, "err", err)
		return 1
	}
	log.Info(r.Stopped)
	return 0
}
