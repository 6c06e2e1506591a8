// Command sfsync-reconciler proves that PostgreSQL equals Salesforce and
// repairs it when it does not, by publishing corrective envelopes that the
// consumer applies.
//
//	sfsync-reconciler [--config FILE]            the service: GAP re-fetch, reconcile requests, poll-only objects, compacted topics, verify loop
//	sfsync-reconciler verify [--config FILE] [--full] [--window D] [--objects A,B] [--dry-run] [--max-deletes N] [--against postgres|compacted] [--format table|json]
//	sfsync-reconciler backfill [--config FILE] [--objects A,B] [--run NAME]
//	sfsync-reconciler --version
//
// verify exits 0 when in sync, 1 when drift was found, 2 on error. See the
// README and reconciler.example.yaml.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sfsync/sfsync/reconciler/internal/app"
	"github.com/sfsync/sfsync/reconciler/internal/config"
	"github.com/sfsync/sfsync/reconciler/internal/report"
	"github.com/sfsync/sfsync/schemas/svcconfig"
	"github.com/sfsync/sfsync/schemas/svcconfig/buildinfo"
	"github.com/sfsync/sfsync/schemas/svcconfig/endpoint"
)

const defaultConfig = "reconciler.yaml"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

const usage = `usage: sfsync-reconciler [--config FILE]
       sfsync-reconciler verify [--config FILE] [--full] [--window D] [--objects A,B] [--dry-run] [--max-deletes N] [--against postgres|compacted] [--format table|json]
       sfsync-reconciler backfill [--config FILE] [--objects A,B] [--run NAME]
       sfsync-reconciler --version | --probe URL

Proves that PostgreSQL equals Salesforce and repairs it through Kafka.
Every configuration key can be overridden by SFSYNC_RECONCILER_<KEY PATH>.
`

// run is main with its dependencies passed in: exit status 0 on success,
// 1 on a runtime failure (or, for verify, drift found), 2 on bad usage,
// configuration or a failed verify.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	cmd := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("sfsync-reconciler "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage, "\n"); fs.PrintDefaults() }
	path := fs.String("config", defaultConfig, "the configuration file (YAML; see reconciler.example.yaml)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	probe := fs.String("probe", "", endpoint.ProbeUsage)
	var objects string
	var vo app.VerifyOptions
	var format, against, runName string
	switch cmd {
	case "":
	case "verify":
		fs.BoolVar(&vo.Full, "full", false, "compare every record (default: those changed within --window)")
		fs.DurationVar(&vo.Window, "window", 0, "how far back an incremental verify looks (default: verify.window)")
		fs.StringVar(&objects, "objects", "", "comma-separated objects to verify (default: every mapped object)")
		fs.BoolVar(&vo.DryRun, "dry-run", false, "report only; publish no repair")
		fs.IntVar(&vo.MaxDeletes, "max-deletes", 0, "the most extra rows one object's repair deletes; more deletes none (default: max_deletes_per_pass; negative: no cap)")
		fs.StringVar(&against, "against", "postgres", "what to compare with Salesforce: postgres or compacted (the latest-state topics)")
		fs.StringVar(&format, "format", "table", "table or json")
	case "backfill":
		fs.StringVar(&objects, "objects", "", "comma-separated objects to load (default: every streamed and polled object)")
		fs.StringVar(&runName, "run", "initial", "the name of the backfill run; a run of the same name resumes where it stopped")
	default:
		fmt.Fprintf(stderr, "sfsync-reconciler: unknown command %q\n%s", cmd, usage)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, buildinfo.String("sfsync-reconciler"))
		return 0
	}
	if *probe != "" {
		return endpoint.RunProbe(ctx, *probe, stderr)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sfsync-reconciler %s: unexpected argument %q\n", cmd, fs.Arg(0))
		return 2
	}
	if format != "" && format != "table" && format != "json" {
		fmt.Fprintf(stderr, "sfsync-reconciler verify: --format must be table or json, got %q\n", format)
		return 2
	}
	if against != "" && against != "postgres" && against != "compacted" {
		fmt.Fprintf(stderr, "sfsync-reconciler verify: --against must be postgres or compacted, got %q\n", against)
		return 2
	}
	cfg, err := config.Load(*path, lookup)
	if err == nil {
		err = svcconfig.UnknownEnv("reconciler", config.EnvPrefix, cfg, os.Environ())
	}
	if err != nil {
		fmt.Fprintf(stderr, "sfsync-reconciler: %v\n", err)
		return 2
	}
	if objects != "" {
		vo.Objects = strings.Split(objects, ",")
		if _, err := app.Objects(cfg.Mapping, vo.Objects); err != nil {
			fmt.Fprintf(stderr, "sfsync-reconciler: --objects: %v\n", err)
			return 2
		}
	}
	log := endpoint.Logger(cfg.LogLevel, cfg.LogFormat, stderr)
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "verify":
		return verify(ctx, cfg, vo, against, format, stdout, stderr, log)
	case "backfill":
		return runBackfill(ctx, cfg, vo.Objects, runName, stdout, log)
	}
	log.Info("sfsync-reconciler starting", "config", *path, "config_values", cfg)
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("sfsync-reconciler stopped", "err", err)
		return 1
	}
	log.Info("sfsync-reconciler stopped")
	return 0
}

func verify(ctx context.Context, cfg *config.Config, o app.VerifyOptions, against, format string, stdout, stderr io.Writer, log *slog.Logger) int {
	if o.Window == 0 {
		o.Window = cfg.Verify.Window
	}
	o.Grace = cfg.Verify.Grace
	if o.MaxDeletes == 0 {
		o.MaxDeletes = cfg.MaxDeletesPerPass
	}
	d, _, err := app.Connect(ctx, cfg, log, prometheus.NewRegistry(), false)
	if err != nil {
		fmt.Fprintf(stderr, "sfsync-reconciler verify: %v\n", err)
		return report.ExitError
	}
	defer d.Close()
	if against == "compacted" {
		results, err := app.VerifyCompacted(ctx, d, cfg, o)
		if err != nil {
			fmt.Fprintf(stderr, "sfsync-reconciler verify: %v\n", err)
			return report.ExitError
		}
		return render(results, format, stdout, stderr)
	}
	results, err := app.Verify(ctx, d, o)
	if err != nil {
		fmt.Fprintf(stderr, "sfsync-reconciler verify: %v\n", err)
		return report.ExitError
	}
	return render(results, format, stdout, stderr)
}

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
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Info("reconciler running", "metrics", cfg.MetricsAddr, "objects", len(cfg.Mapping.Objects))
	return app.Serve(ctx, d, app.ServeOptions{
		VerifyInterval: cfg.Verify.Interval, VerifyWindow: cfg.Verify.Window, FullEvery: *cfg.Verify.FullEvery,
		Grace: cfg.Verify.Grace, Repair: *cfg.Verify.Repair, MaxDeletes: cfg.MaxDeletesPerPass,
		RefetchTopic: cfg.Kafka.RefetchTopic, ReconcileTopic: cfg.Kafka.ReconcileTopic, GroupID: cfg.Kafka.Group,
		PollInterval: cfg.Poll.Interval, HardDeleteEvery: cfg.Poll.DeleteCheckEvery,
		Compact: app.Compactor(d, cfg),
	})
}
