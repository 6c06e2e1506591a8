// Command sfsync-consumer applies sfsync envelopes from Kafka to
// PostgreSQL, and inspects and replays its dead letters.
//
//	sfsync-consumer [--config FILE] [--check]
//	sfsync-consumer --version | --probe URL
//	sfsync-consumer dlq list [--config FILE] [--limit N] [--format table|json]
//	sfsync-consumer dlq replay [--config FILE] [--dry-run] (--origin-offset TOPIC:PARTITION:OFFSET ... | --all)
//
// See the README and consumer.example.yaml.
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

	"github.com/sfsync/sfsync/consumer/internal/app"
	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/schemas/svcconfig"
	"github.com/sfsync/sfsync/schemas/svcconfig/buildinfo"
	"github.com/sfsync/sfsync/schemas/svcconfig/endpoint"
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
			"       sfsync-consumer dlq list [--config FILE] [--limit N] [--format table|json]\n"+
			"       sfsync-consumer dlq replay [--config FILE] [--dry-run] (--origin-offset TOPIC:PARTITION:OFFSET ... | --all)\n\n"+
			"Applies sfsync envelopes from Kafka to PostgreSQL.\n"+
			"Every configuration key can be overridden by %s<KEY PATH>, e.g. %s.\n\n", config.EnvPrefix, config.EnvName("postgres.url"))
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
		if rest[0] != "dlq" {
			fmt.Fprintf(stderr, "sfsync-consumer: unknown command %q\n", rest[0])
			fs.Usage()
			return 2
		}
		if *check {
			fmt.Fprintln(stderr, "sfsync-consumer: --check does not go with dlq")
			return 2
		}
		return dlq(ctx, rest[1:], *path, stdout, stderr, lookup)
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

// dlq runs "dlq list" and "dlq replay".
func dlq(ctx context.Context, args []string, path string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	if len(args) == 0 || (args[0] != "list" && args[0] != "replay") {
		fmt.Fprintln(stderr, "usage: sfsync-consumer dlq list|replay [flags]; sfsync-consumer dlq list -h for the flags")
		return 2
	}
	cmd := args[0]
	fs := flag.NewFlagSet("sfsync-consumer dlq "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&path, "config", path, "the configuration file (YAML; see consumer.example.yaml)")
	var list app.ListOptions
	var replay app.ReplayOptions
	if cmd == "list" {
		fs.IntVar(&list.Limit, "limit", 100, "print at most N dead letters, oldest first; 0 prints all")
		fs.StringVar(&list.Format, "format", "table", "table or json")
	} else {
		fs.BoolVar(&replay.DryRun, "dry-run", false, "print what would be replayed and change nothing")
		fs.BoolVar(&replay.All, "all", false, "replay every dead letter not replayed yet")
		fs.Func("origin-offset", "replay the dead letter of this origin record, TOPIC:PARTITION:OFFSET as dlq list prints it; repeatable", func(s string) error {
			replay.Origins = append(replay.Origins, s)
			return nil
		})
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "sfsync-consumer dlq %s: unexpected argument %q\n", cmd, fs.Arg(0))
		return 2
	case cmd == "list" && list.Format != "table" && list.Format != "json":
		fmt.Fprintf(stderr, "sfsync-consumer dlq list: --format must be table or json, got %q\n", list.Format)
		return 2
	case cmd == "list" && list.Limit < 0:
		fmt.Fprintf(stderr, "sfsync-consumer dlq list: --limit must be >= 0, got %d\n", list.Limit)
		return 2
	case cmd == "replay" && replay.All == (len(replay.Origins) > 0):
		fmt.Fprintln(stderr, "sfsync-consumer dlq replay: give --all or --origin-offset TOPIC:PARTITION:OFFSET (not both)")
		return 2
	}
	cfg, code := load(path, stderr, lookup)
	if cfg == nil {
		return code
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if cmd == "list" {
		err = app.ListDeadLetters(ctx, cfg, list, stdout, stderr)
	} else {
		err = app.ReplayDeadLetters(ctx, cfg, replay, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sfsync-consumer dlq %s: %v\n", cmd, err)
		return 1
	}
	return 0
}
