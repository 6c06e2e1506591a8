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
	"syscall"

	"github.com/sfsync/sfsync/consumer/internal/app"
	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/consumer/internal/dlq"
	"github.com/sfsync/sfsync/platform/buildinfo"
	"github.com/sfsync/sfsync/platform/dlqcmd"
	"github.com/sfsync/sfsync/platform/endpoint"
	"github.com/sfsync/sfsync/schemas/latest"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// defaultConfig is the configuration file read without --config.
const defaultConfig = "consumer.yaml"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

// run is main with its dependencies passed in: exit status 0 on success,
// 1 on a runtime failure, 2 on bad usage or configuration.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	fs := flag.NewFlagSet("sfsync-consumer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", defaultConfig, "the configuration file (YAML; see consumer.example.yaml)")
	check := fs.Bool("check", false, "validate the configuration, connect to Kafka, PostgreSQL and Redis, check the topics and the schema, and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	probe := fs.String("probe", "", endpoint.ProbeUsage)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sfsync-consumer [--config FILE] [--check]\n"+
			"       sfsync-consumer --version | --probe URL\n"+
			"%s\n"+
			"       %s\n"+
			"Applies sfsync envelopes from Kafka to PostgreSQL.\n"+
			"Every configuration key can be overridden by %s<KEY PATH>, e.g. %s.\n\n", dlqSpec.Usage("       "), bootstrapUsage, config.EnvPrefix, config.EnvName("postgres.url"))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, buildinfo.String("sfsync-consumer"))
		return 0
	}
	if *probe != "" {
		return endpoint.RunProbe(ctx, *probe, stderr)
	}
	if rest := fs.Args(); len(rest) > 0 {
		if rest[0] != "dlq" && rest[0] != "bootstrap" {
			fmt.Fprintf(stderr, "sfsync-consumer: unknown command %q\n", rest[0])
			fs.Usage()
			return 2
		}
		if *check {
			fmt.Fprintf(stderr, "sfsync-consumer: --check does not go with %s\n", rest[0])
			return 2
		}
		if rest[0] == "bootstrap" {
			return bootstrap(ctx, rest[1:], *path, stderr, lookup)
		}
		return dlqCommand(ctx, rest[1:], *path, stdout, stderr, lookup)
	}
	cfg, code := load(*path, stderr, lookup)
	if cfg == nil {
		return code
	}
	log := logger(cfg, stderr)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *check {
		if err := app.Check(ctx, cfg, stdout); err != nil {
			fmt.Fprintf(stderr, "sfsync-consumer: %v\n", err)
			return 1
		}
		return 0
	}
	log.Info("sfsync-consumer starting", "config", *path, "config_values", cfg)
	if err := app.Run(ctx, cfg, log, nil); err != nil {
		log.Error("sfsync-consumer stopped", "err", err)
		return 1
	}
	log.Info("sfsync-consumer stopped")
	return 0
}

// load reads the configuration; on failure it returns nil and the exit
// status.
func load(path string, stderr io.Writer, lookup func(string) (string, bool)) (*config.Config, int) {
	cfg, err := config.Load(path, lookup)
	if err == nil {
		err = svcconfig.UnknownEnv("consumer", config.EnvPrefix, cfg, os.Environ())
	}
	if err != nil {
		fmt.Fprintf(stderr, "sfsync-consumer: %v\n", err)
		return nil, 2
	}
	return cfg, 0
}

// logger returns the logger cfg asks for, having logged cfg's warnings.
func logger(cfg *config.Config, stderr io.Writer) *slog.Logger {
	log := endpoint.Logger(cfg.LogLevel, cfg.LogFormat, stderr)
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	return log
}

// dlqSpec is the command line of "dlq list" and "dlq replay".
var dlqSpec = dlqcmd.Spec{
	Program: "sfsync-consumer", ConfigHelp: "the configuration file (YAML; see consumer.example.yaml)",
	DryRunHelp: "print what would be replayed and change nothing",
}

// dlqCommand runs "dlq list" and "dlq replay".
func dlqCommand(ctx context.Context, args []string, path string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	c, status, ok := dlqSpec.Parse(args, path, stderr)
	if !ok {
		return status
	}
	cfg, code := load(c.Config, stderr, lookup)
	if cfg == nil {
		return code
	}
	return c.Run(ctx, "sfsync-consumer", stderr,
		func(ctx context.Context) error {
			return dlq.List(ctx, cfg, dlq.ListOptions{Limit: c.Limit, Format: c.Format}, stdout, stderr)
		},
		func(ctx context.Context) error {
			return dlq.Replay(ctx, cfg, dlq.ReplayOptions{All: c.All, Origins: c.Origins, DryRun: c.DryRun}, stdout)
		})
}

const bootstrapUsage = "sfsync-consumer bootstrap [--config FILE] [--no-follow] [--suffix S] [--position-group G]"

// bootstrap runs "bootstrap": fill an empty database from the
// latest-state topics, then follow the envelope topics unless
// --no-follow.
func bootstrap(ctx context.Context, args []string, path string, stderr io.Writer, lookup func(string) (string, bool)) int {
	fs := flag.NewFlagSet("sfsync-consumer bootstrap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", path, "the configuration file (YAML; see consumer.example.yaml)")
	noFollow := fs.Bool("no-follow", false, "exit once the database is filled, instead of going on as the consumer")
	suffix := fs.String("suffix", latest.Suffix, "the suffix of the latest-state topics (the reconciler's kafka.compacted_suffix)")
	group := fs.String("position-group", latest.PositionGroup, "the Kafka group under which the reconciler commits the latest-state topics' position")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n"+
			"Fills an empty database from the reconciler's latest-state topics, then follows the\n"+
			"envelope topics from the position the reconciler recorded with them (no Salesforce\n"+
			"call). A bootstrap killed part-way resumes when run again.\n\n", bootstrapUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sfsync-consumer bootstrap: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg, code := load(*cfgPath, stderr, lookup)
	if cfg == nil {
		return code
	}
	log := logger(cfg, stderr)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("sfsync-consumer bootstrap starting", "config", *cfgPath, "config_values", cfg)
	err := app.Bootstrap(ctx, cfg, app.BootstrapOptions{Suffix: *suffix, PositionGroup: *group, Follow: !*noFollow}, log, nil)
	if err != nil {
		log.Error("sfsync-consumer bootstrap failed", "err", err)
		return 1
	}
	log.Info("sfsync-consumer stopped")
	return 0
}
