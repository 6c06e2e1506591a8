package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sfsync/sfsync/platform/buildinfo"
	"github.com/sfsync/sfsync/platform/dlqcmd"
	"github.com/sfsync/sfsync/platform/endpoint"
	"github.com/sfsync/sfsync/producer/internal/app"
	"github.com/sfsync/sfsync/producer/internal/config"
	"github.com/sfsync/sfsync/producer/internal/dlq"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

// run is main with its dependencies passed in: exit status 0 on success,
// 1 on a runtime failure, 2 on bad flags or configuration.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	fs := flag.NewFlagSet("sfsync-producer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "the configuration file (YAML; see producer.example.yaml); required")
	check := fs.Bool("check", false, "validate the configuration, connect to Salesforce and Kafka, check the topics, and exit")
	createTopics := fs.Int("create-topics", 0, "create the mapping's missing Kafka topics with this many partitions (local runs)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	probe := fs.String("probe", "", endpoint.ProbeUsage)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sfsync-producer --config FILE [--check] [--create-topics N]\n"+
			"       sfsync-producer --version | --probe URL\n"+
			"%s\n"+
			"Streams Salesforce change events (Pub/Sub API) into Kafka as sfsync envelopes.\n"+
			"Every configuration key can be overridden by %s<KEY PATH>, e.g. %s.\n\n", dlqSpec.Usage("       "), config.EnvPrefix, config.EnvName("kafka.brokers"))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, buildinfo.String("sfsync-producer"))
		return 0
	}
	if *probe != "" {
		return endpoint.RunProbe(ctx, *probe, stderr)
	}
	if rest := fs.Args(); len(rest) > 0 {
		if rest[0] != "dlq" {
			fmt.Fprintf(stderr, "sfsync-producer: unknown command %q\n", rest[0])
			fs.Usage()
			return 2
		}
		if *check || *createTopics != 0 {
			fmt.Fprintln(stderr, "sfsync-producer: --check and --create-topics do not go with dlq")
			return 2
		}
		return dlqCommand(ctx, rest[1:], *path, stdout, stderr, lookup)
	}
	if *path == "" {
		fmt.Fprintln(stderr, "sfsync-producer: --config is required")
		fs.Usage()
		return 2
	}
	cfg, code := load(*path, stderr, lookup)
	if cfg == nil {
		return code
	}
	log := endpoint.Logger(cfg.LogLevel, cfg.LogFormat, stderr)
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *check {
		if err := app.Check(ctx, cfg, stdout); err != nil {
			fmt.Fprintf(stderr, "sfsync-producer: %v\n", err)
			return 1
		}
		return 0
	}
	log.Info("sfsync-producer starting", "config", *path, "config_values", cfg)
	if err := app.Run(ctx, cfg, app.Options{CreateTopics: *createTopics}, log); err != nil {
		log.Error("sfsync-producer stopped", "err", err)
		return 1
	}
	log.Info("sfsync-producer stopped")
	return 0
}

// load reads the configuration and refuses unknown SFSYNC_PRODUCER_
// variables; on failure it returns nil and the exit status.
func load(path string, stderr io.Writer, lookup func(string) (string, bool)) (*config.Config, int) {
	cfg, err := config.Load(path, lookup)
	if err == nil {
		err = svcconfig.UnknownEnv("producer", config.EnvPrefix, cfg, os.Environ())
	}
	if err != nil {
		fmt.Fprintf(stderr, "sfsync-producer: %v\n", err)
		return nil, 2
	}
	return cfg, 0
}

// dlqSpec is the command line of "dlq list" and "dlq replay".
var dlqSpec = dlqcmd.Spec{
	Program: "sfsync-producer", ConfigHelp: "the configuration file (YAML; see producer.example.yaml); required", ConfigRequired: true,
	DryRunHelp: "convert and print what would be written, and write nothing",
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
	return c.Run(ctx, "sfsync-producer", stderr,
		func(ctx context.Context) error {
			return app.ListDeadLetters(ctx, cfg, dlq.ListOptions{Limit: c.Limit, Format: c.Format}, stdout, stderr)
		},
		func(ctx context.Context) error {
			return app.ReplayDeadLetters(ctx, cfg, dlq.ReplayOptions{All: c.All, Origins: c.Origins, DryRun: c.DryRun}, stdout)
		})
}
