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

// Service is one service binary as its main describes it: its name, how
// it reads its configuration, its --check and its run. It is a plain
// value, safe for concurrent use once set.
type Service[C Config] struct {
	// Name is the binary's name, e.g. sfsync-consumer: it starts the
	// messages.
	Name string
	// Load reads the configuration file at path, with the environment's
	// overrides.
	Load func(path string) (C, error)
	// Check reports the service's --check checks on list; its error says
	// what it could not check at all.
	Check func(ctx context.Context, cfg C, list *Checklist) error
	// Run runs the service until ctx ends.
	Run func(ctx context.Context, cfg C, log *slog.Logger) error
}

// Config reads the configuration file at path. When it cannot, it
// writes the error after Name on stderr and returns ok false and exit
// status 2.
func (s Service[C]) Config(path string, stderr io.Writer) (cfg C, code int, ok bool) {
	cfg, err := s.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", s.Name, err)
		return cfg, 2, false
	}
	return cfg, 0, true
}

// Main reads the configuration file at path and [Start]s, then runs
// --check when check is set, else the service between its "starting"
// and "stopped" lines (see [Serve]). It returns the exit status.
func (s Service[C]) Main(ctx context.Context, path string, check bool, stdout, stderr io.Writer) int {
	cfg, code, ok := s.Config(path, stderr)
	if !ok {
		return code
	}
	ctx, log, stop := Start(ctx, cfg, stderr)
	defer stop()
	if check {
		return Check(ctx, s.Name, stdout, stderr, func(ctx context.Context, list *Checklist) error { return s.Check(ctx, cfg, list) })
	}
	return Serve(ctx, log, Run{Name: s.Name, Config: path, Values: cfg}, func(ctx context.Context) error { return s.Run(ctx, cfg, log) })
}
