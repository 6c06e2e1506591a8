package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/sfsync/sfsync/consumer/internal/app"
	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/consumer/internal/dlq"
	"github.com/sfsync/sfsync/platform/dlqcmd"
	"github.com/sfsync/sfsync/platform/svcmain"
	"github.com/sfsync/sfsync/schemas/latest"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// defaultConfig is the configuration file read without --config.
const defaultConfig = "consumer.yaml"

// program is the binary's name, starting its messages.
const program = "sfsync-consumer"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

// run is main with its dependencies passed in: exit status 0 on success,
// 1 on a runtime failure, 2 on bad usage or configuration.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup svcconfig.Lookup) int {
	fs, flags := svcmain.NewFlagSet(program, stderr)
	path := fs.String("config", defaultConfig, "the configuration file (YAML; see consumer.example.yaml)")
	check := fs.Bool("check", false, "validate the configuration, connect to Kafka, PostgreSQL and Redis, check the topics and the schema, and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sfsync-consumer [--config FILE] [--check]\n"+
			"       sfsync-consumer --version | --probe URL\n"+
			"%s\n"+
			"       %s\n"+
			"Applies sfsync envelopes from Kafka to PostgreSQL.\n"+
			"Every configuration key can be overridden by %s<KEY PATH>, e.g. %s.\n\n", dlqSpec.Usage("       "), bootstrapUsage, config.EnvPrefix, config.EnvName("postgres.url"))
		fs.PrintDefaults()
	}
	if code, done := flags.Parse(ctx, fs, args, stdout, stderr); done {
		return code
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
		return dlqSpec.Main(ctx, rest[1:], *path, stderr, dlqRunner(service(lookup), stdout, stderr))
	}
	return service(lookup).Main(ctx, *path, *check, stdout, stderr)
}

// service is the consumer as svcmain runs it, reading the environment
// with lookup.
func service(lookup svcconfig.Lookup) svcmain.Service[*config.Config] {
	return svcmain.Service[*config.Config]{
		Name:  program,
		Load:  func(path string) (*config.Config, error) { return config.LoadEnv(path, lookup, os.Environ()) },
		Check: app.Check,
		Run: func(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
			return app.Run(ctx, cfg, log, nil)
		},
	}
}

// dlqSpec is the command line of "dlq list" and "dlq replay".
var dlqSpec = dlqcmd.Spec{
	Program: program, ConfigHelp: "the configuration file (YAML; see consumer.example.yaml)",
	DryRunHelp: "print what would be replayed and change nothing",
}

// dlqRunner returns the consumer's "dlq list" and "dlq replay" over the
// configuration file a command names.
func dlqRunner(svc svcmain.Service[*config.Config], stdout, stderr io.Writer) func(string) (dlqcmd.Runner, int) {
	return func(path string) (dlqcmd.Runner, int) {
		cfg, code, ok := svc.Config(path, stderr)
		if !ok {
			return dlqcmd.Runner{}, code
		}
		return dlqcmd.Runner{
			List: func(ctx context.Context, c dlqcmd.Command) error {
				return dlq.List(ctx, cfg, dlq.ListOptions{Limit: c.Limit, Format: c.Format}, stdout, stderr)
			},
			Replay: func(ctx context.Context, c dlqcmd.Command) error {
				return dlq.Replay(ctx, cfg, dlq.ReplayOptions{All: c.All, Origins: c.Origins, DryRun: c.DryRun}, stdout)
			},
		}, 0
	}
}

const bootstrapUsage = "sfsync-consumer bootstrap [--config FILE] [--no-follow] [--suffix S] [--position-group G]"

// bootstrap runs "bootstrap": fill an empty database from the
// latest-state topics, then follow the envelope topics unless
// --no-follow.
func bootstrap(ctx context.Context, args []string, path string, stderr io.Writer, lookup svcconfig.Lookup) int {
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
	if code, done := svcmain.ParseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sfsync-consumer bootstrap: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg, code, ok := service(lookup).Config(*cfgPath, stderr)
	if !ok {
		return code
	}
	ctx, log, stop := svcmain.Start(ctx, cfg, stderr)
	defer stop()
	r := svcmain.Run{Name: program + " bootstrap", Config: *cfgPath, Values: cfg, Failed: "failed", Stopped: program + " stopped"}
	return svcmain.Serve(ctx, log, r, func(ctx context.Context) error {
		return app.Bootstrap(ctx, cfg, app.BootstrapOptions{Suffix: *suffix, PositionGroup: *group, Follow: !*noFollow}, log, nil)
	})
}
