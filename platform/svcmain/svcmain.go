package svcmain

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sfsync/sfsync/platform/buildinfo"
	"github.com/sfsync/sfsync/platform/endpoint"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// Flags are the flags every sfsync binary takes besides its own:
// --version and --probe.
type Flags struct {
	program string
	version bool
	probe   string
}

// NewFlags registers --version and --probe of the program (e.g.
// sfsync-consumer, as --version prints it) on fs.
func NewFlags(program string, fs *flag.FlagSet) *Flags {
	f := &Flags{program: program}
	fs.BoolVar(&f.version, "version", false, "print the version and exit")
	fs.StringVar(&f.probe, "probe", "", endpoint.ProbeUsage)
	return f
}

// Parse parses args with fs, then answers --version on stdout and
// --probe. When done, the program ends with code: 0 after -h or
// --version, 2 on bad flags (fs said why on its output), the probe's
// status after --probe.
func (f *Flags) Parse(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, done bool) {
	if code, done := ParseFlags(fs, args); done {
		return code, true
	}
	return f.Answer(ctx, stdout, stderr)
}

// ParseFlags parses args with fs, a flag.ContinueOnError set. When done,
// the program ends with code: 0 after -h, 2 on bad flags (fs said why on
// its output).
func ParseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	return 0, false
}

// Answer answers --version on stdout and --probe, for a program that
// parses its flags itself; done is false when neither was given.
func (f *Flags) Answer(ctx context.Context, stdout, stderr io.Writer) (code int, done bool) {
	switch {
	case f.version:
		fmt.Fprintln(stdout, buildinfo.String(f.program))
		return 0, true
	case f.probe != "":
		return endpoint.RunProbe(ctx, f.probe, stderr), true
	}
	return 0, false
}

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

// Check runs a service's --check: check, then exit status 0, or 1 with
// its error after the program's name on stderr.
func Check(ctx context.Context, program string, stderr io.Writer, check func(context.Context) error) int {
	if err := check(ctx); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", program, err)
		return 1
	}
	return 0
}
