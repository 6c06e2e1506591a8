package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/sfsync/sfsync/platform/dlqcmd"
	"github.com/sfsync/sfsync/platform/svcmain"
	"github.com/sfsync/sfsync/producer/internal/app"
	"github.com/sfsync/sfsync/producer/internal/config"
	"github.com/sfsync/sfsync/producer/internal/dlq"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// program is the binary's name, starting its messages.
const program = "sfsync-producer"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

// run is main with its dependencies passed in: exit status 0 on success,
// 1 on a runtime failure, 2 on bad flags or configuration.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup svcconfig.Lookup) int {
	fs, flags := svcmain.NewFlagSet(program, stderr)
	path := fs.String("config", "", "the configuration file (YAML; see producer.example.yaml); required")
	check := fs.Bool("check", false, "validate the configuration, connect to Salesforce and Kafka, check the topics, and exit")
	createTopics := fs.Int("create-topics", 0, "create the mapping's missing Kafka topics with this many partitions (local runs)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sfsync-producer --config FILE [--check] [--create-topics N]\n"+
			"       sfsync-producer --version | --probe URL\n"+
			"%s\n"+
			"Streams Salesforce change events (Pub/Sub API) into Kafka as sfsync envelopes.\n"+
			"Every configuration key can be overridden by %s<KEY PATH>, e.g. %s.\n\n", dlqSpec.Usage("       "), config.EnvPrefix, config.EnvName("kafka.brokers"))
		fs.PrintDefaults()
	}
	if code, done := flags.Parse(ctx, fs, args, stdout, stderr); done {
		return code
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
		return dlqSpec.Main(ctx, rest[1:], *path, stderr, dlqRunner(service(lookup), stdout, stderr))
	}
	if *path == "" {
		fmt.Fprintln(stderr, "sfsync-producer: --config is required")
		fs.Usage()
		return 2
	}
	svc := service(lookup)
	svc.Run = func(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
		return app.Run(ctx, cfg, app.Options{CreateTopics: *createTopics}, log)
	}
	return svc.Main(ctx, *path, *check, stdout, stderr)
}

// service is the producer as svcmain reads its configuration, with
// lookup, and checks it; its Run is main's.
func service(lookup svcconfig.Lookup) svcmain.Service[*config.Config] {
	load := func(path string) (*config.Config, error) { return config.LoadEnv(path, lookup, os.Environ()) }
	return svcmain.Service[*config.Config]{Name: program, Load: load, Check: app.Check}
}

// dlqSpec is the command line of "dlq list" and "dlq replay".
var dlqSpec = dlqcmd.Spec{
	Program: program, ConfigHelp: "the configuration file (YAML; see producer.example.yaml); required", ConfigRequired: true,
	DryRunHelp: "convert and print what would be written, and write nothing",
}

// dlqRunner returns the producer's "dlq list" and "dlq replay" over the
// configuration file a command names.
func dlqRunner(svc svcmain.Service[*config.Config], stdout, stderr io.Writer) func(string) (dlqcmd.Runner, int) {
	return func(path string) (dlqcmd.Runner, int) {
		cfg, code, ok := svc.Config(path, stderr)
		if !ok {
			return dlqcmd.Runner{}, code
		}
		list := func(ctx context.Context, c dlqcmd.Command) error {
			return app.ListDeadLetters(ctx, cfg, dlq.ListOptions{Limit: c.Limit, Format: c.Format}, stdout, stderr)
		}
		replay := func(ctx context.Context, c dlqcmd.Command) error {
			return app.ReplayDeadLetters(ctx, cfg, dlq.ReplayOptions{All: c.All, Origins: c.Origins, DryRun: c.DryRun}, stdout)
		}
		return dlqcmd.Runner{List: list, Replay: replay}, 0
	}
}
