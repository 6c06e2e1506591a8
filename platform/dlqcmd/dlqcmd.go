package dlqcmd

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Spec describes one program's dlq command line.
type Spec struct {
	// Program is the binary's name, e.g. sfsync-consumer.
	Program string
	// ConfigHelp is the --config flag's help.
	ConfigHelp string
	// ConfigRequired says that --config has no default.
	ConfigRequired bool
	// DryRunHelp is the --dry-run flag's help.
	DryRunHelp string
}

// Usage returns the usage lines of the two commands, each starting with
// indent.
func (s Spec) Usage(indent string) string {
	config := "[--config FILE]"
	if s.ConfigRequired {
		config = "--config FILE"
	}
	return fmt.Sprintf("%s%s dlq list %s [--limit N] [--format table|json]\n"+
		"%s%s dlq replay %s [--dry-run] (--origin-offset TOPIC:PARTITION:OFFSET ... | --all)\n",
		indent, s.Program, config, indent, s.Program, config)
}

// Command is a parsed dlq command line.
type Command struct {
	// Name is "list" or "replay".
	Name string
	// Config is the configuration file.
	Config string
	// Limit (default 100; 0: all) and Format ("table", the default, or
	// "json") are list's.
	Limit  int
	Format string
	// DryRun, All and Origins (TOPIC:PARTITION:OFFSET, as list prints
	// them) are replay's; exactly one of All and Origins is given.
	DryRun  bool
	All     bool
	Origins []string
}

// Parse parses args, the words after "dlq", with config as the
// configuration file given before them. On -h it prints the flags and
// returns exit status 0; on bad usage it says why on stderr and returns
// 2; ok is true when the command is to run.
func (s Spec) Parse(args []string, config string, stderr io.Writer) (cmd Command, status int, ok bool) {
	if len(args) == 0 || (args[0] != "list" && args[0] != "replay") {
		fmt.Fprintf(stderr, "usage: %s dlq list|replay [flags]; %s dlq list -h for the flags\n", s.Program, s.Program)
		return Command{}, 2, false
	}
	cmd.Name = args[0]
	fs := flag.NewFlagSet(s.Program+" dlq "+cmd.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cmd.Config, "config", config, s.ConfigHelp)
	if cmd.Name == "list" {
		fs.IntVar(&cmd.Limit, "limit", 100, "print at most N dead letters, oldest first; 0 prints all")
		fs.StringVar(&cmd.Format, "format", "table", "table or json")
	} else {
		fs.BoolVar(&cmd.DryRun, "dry-run", false, s.DryRunHelp)
		fs.BoolVar(&cmd.All, "all", false, "replay every dead letter not replayed yet")
		fs.Func("origin-offset", "replay the dead letter of this origin, TOPIC:PARTITION:OFFSET as dlq list prints it; repeatable", func(o string) error {
			cmd.Origins = append(cmd.Origins, o)
			return nil
		})
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Command{}, 0, false
		}
		return Command{}, 2, false
	}
	bad := func(format string, args ...any) (Command, int, bool) {
		fmt.Fprintf(stderr, "%s dlq %s: %s\n", s.Program, cmd.Name, fmt.Sprintf(format, args...))
		return Command{}, 2, false
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case cmd.Config == "":
		return bad("--config is required")
	case cmd.Name == "list" && cmd.Format != "table" && cmd.Format != "json":
		return bad("--format must be table or json, got %q", cmd.Format)
	case cmd.Name == "list" && cmd.Limit < 0:
		return bad("--limit must be >= 0, got %d", cmd.Limit)
	case cmd.Name == "replay" && cmd.All == (len(cmd.Origins) > 0):
		return bad("give --all or --origin-offset TOPIC:PARTITION:OFFSET (not both)")
	}
	return cmd, 0, true
}
