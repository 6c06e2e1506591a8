package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sfsync/sfsync/platform/endpoint"
	"github.com/sfsync/sfsync/platform/svcmain"
	"github.com/sfsync/sfsync/reconciler/internal/app"
	"github.com/sfsync/sfsync/reconciler/internal/config"
	"github.com/sfsync/sfsync/reconciler/internal/diff"
	"github.com/sfsync/sfsync/reconciler/internal/report"
)

// DefaultConfig is the configuration file read when --config is not
// given.
const DefaultConfig = "reconciler.yaml"

const usage = `usage: sfsync-reconciler [--config FILE]
       sfsync-reconciler verify [--config FILE] [--full] [--window D] [--objects A,B] [--dry-run] [--max-deletes N] [--against postgres|compacted] [--format table|json]
       sfsync-reconciler backfill [--config FILE] [--objects A,B] [--run NAME]
       sfsync-reconciler --version | --probe URL

Proves that PostgreSQL equals Salesforce and repairs it through Kafka.
Every configuration key can be overridden by SFSYNC_RECONCILER_<KEY PATH>.
`

// program is the binary's name, starting its messages.
const program = "sfsync-reconciler"

// invocation is a parsed command line.
type invocation struct {
	cmd     string // "", "verify" or "backfill"
	path    string
	objects string
	vo      app.VerifyOptions
	format  string
	against string
	runName string
}

// Run runs the command line args with environ as the environment and
// returns the exit status: 0 on success, 1 on a runtime failure (or, for
// verify, drift found), 2 on bad usage, configuration or a failed verify.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) int {
	inv, code, done := parse(ctx, args, stdout, stderr)
	if done {
		return code
	}
	svc := svcmain.Service[*config.Config]{Name: program, Load: func(string) (*config.Config, error) { return loadConfig(inv, environ) }}
	cfg, code, ok := svc.Config(inv.path, stderr)
	if !ok {
		return code
	}
	ctx, log, stop := svcmain.Start(ctx, cfg, stderr)
	defer stop()
	switch inv.cmd {
	case "verify":
		return verify(ctx, cfg, inv.vo, inv.against, inv.format, stdout, stderr, log)
	case "backfill":
		return runBackfill(ctx, cfg, inv.vo.Objects, inv.runName, stdout, log)
	}
	return svcmain.Serve(ctx, log, svcmain.Run{Name: program, Config: inv.path, Values: cfg}, func(ctx context.Context) error {
		return serve(ctx, cfg, log)
	})
}

// parse parses args, answering --help, --version and --probe. When done,
// the command ends with code: after those, or with bad usage, which it
// reports on stderr.
func parse(ctx context.Context, args []string, stdout, stderr io.Writer) (inv invocation, code int, done bool) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		inv.cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("sfsync-reconciler "+inv.cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage, "\n"); fs.PrintDefaults() }
	fs.StringVar(&inv.path, "config", DefaultConfig, "the configuration file (YAML; see reconciler.example.yaml)")
	flags := svcmain.NewFlags(program, fs)
	switch inv.cmd {
	case "":
	case "verify":
		fs.BoolVar(&inv.vo.Full, "full", false, "compare every record (default: those changed within --window)")
		fs.DurationVar(&inv.vo.Window, "window", 0, "how far back an incremental verify looks (default: verify.window)")
		fs.StringVar(&inv.objects, "objects", "", "comma-separated objects to verify (default: every mapped object)")
		fs.BoolVar(&inv.vo.DryRun, "dry-run", false, "report only; publish no repair")
		fs.IntVar(&inv.vo.MaxDeletes, "max-deletes", 0, "the most extra rows one object's repair deletes; more deletes none (default: max_deletes_per_pass; negative: no cap)")
		fs.StringVar(&inv.against, "against", "postgres", "what to compare with Salesforce: postgres or compacted (the latest-state topics)")
		fs.StringVar(&inv.format, "format", "table", "table or json")
	case "backfill":
		fs.StringVar(&inv.objects, "objects", "", "comma-separated objects to load (default: every streamed and polled object)")
		fs.StringVar(&inv.runName, "run", "initial", "the name of the backfill run; a run of the same name resumes where it stopped")
	default:
		fmt.Fprintf(stderr, "sfsync-reconciler: unknown command %q\n%s", inv.cmd, usage)
		return inv, 2, true
	}
	if code, done := flags.Parse(ctx, fs, args, stdout, stderr); done {
		return inv, code, true
	}
	var problem string
	switch {
	case fs.NArg() > 0:
		problem = fmt.Sprintf("sfsync-reconciler %s: unexpected argument %q", inv.cmd, fs.Arg(0))
	case inv.format != "" && inv.format != "table" && inv.format != "json":
		problem = fmt.Sprintf("sfsync-reconciler verify: --format must be table or json, got %q", inv.format)
	case inv.against != "" && inv.against != "postgres" && inv.against != "compacted":
		problem = fmt.Sprintf("sfsync-reconciler verify: --against must be postgres or compacted, got %q", inv.against)
	}
	if problem != "" {
		fmt.Fprintln(stderr, problem)
		return inv, 2, true
	}
	if inv.objects != "" {
		inv.vo.Objects = strings.Split(inv.objects, ",")
	}
	return inv, 0, false
}

// loadConfig reads the configuration inv names, with the overrides of
// environ, and checks the objects inv names against its mapping.
func loadConfig(inv invocation, environ []string) (*config.Config, error) {
	cfg, err := config.LoadEnv(inv.path, lookup(environ), environ)
	if err != nil {
		return nil, err
	}
	if len(inv.vo.Objects) > 0 {
		if _, err := app.Objects(cfg.Mapping, inv.vo.Objects); err != nil {
			return nil, fmt.Errorf("--objects: %w", err)
		}
	}
	return cfg, nil
}

// lookup returns the os.LookupEnv of environ, a list of KEY=VALUE.
func lookup(environ []string) func(string) (string, bool) {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if _, seen := env[k]; !seen { // the first one wins, as in os.Getenv
				env[k] = v
			}
		}
	}
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

// verify runs the verify command.
func verify(ctx context.Context, cfg *config.Config, o app.VerifyOptions, against, format string, stdout, stderr io.Writer, log *slog.Logger) int {
	o = o.WithDefaults(cfg)
	d, _, err := app.Connect(ctx, cfg, log, prometheus.NewRegistry(), false)
	if err != nil {
		fmt.Fprintf(stderr, "sfsync-reconciler verify: %v\n", err)
		return report.ExitError
	}
	defer d.Close()
	verifyFn := app.Verify
	if against == "compacted" {
		verifyFn = func(ctx context.Context, d *app.Deps, o app.VerifyOptions) ([]*diff.Result, error) {
			return app.VerifyCompacted(ctx, d, cfg, o)
		}
	}
	results, err := verifyFn(ctx, d, o)
	if err != nil {
		fmt.Fprintf(stderr, "sfsync-reconciler verify: %v\n", err)
		return report.ExitError
	}
	return render(results, format, stdout, stderr)
}

// serve runs the service until ctx ends, with its metrics and health
// endpoint.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d, _, err := app.Connect(ctx, cfg, log, reg, false)
	if err != nil {
		return err
	}
	defer d.Close()
	srv, err := endpoint.Serve(cfg.MetricsAddr, reg, func(ctx context.Context) error { return d.DB.Ping(ctx) }, log)
	if err != nil {
		return err
	}
	defer srv.Stop()
	log.Info("reconciler running", "metrics", cfg.MetricsAddr, "objects", len(cfg.Mapping.Objects))
	o := app.ServeOptionsFrom(cfg)
	o.Compact = app.Compactor(d, cfg)
	return app.Serve(ctx, d, o)
}
