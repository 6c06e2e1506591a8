package dlqcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
)

// Print writes dlq list's output to out: with format "json", items as one
// indented JSON array (an empty one for none); otherwise a table of the
// header's columns and a row per item, aligned with two spaces between
// columns, then the line summary.
func Print[T any](out io.Writer, format string, items []T, header []string, row func(*T) []string, summary string) error {
	if format == "json" {
		if items == nil {
			items = []T{}
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(items)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i := range items {
		fmt.Fprintln(tw, strings.Join(row(&items[i]), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(out, summary)
	return err
}

// Cell returns s for a table cell: "-" when empty.
func Cell(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Reason returns a dead letter's reason for a table cell: on one line,
// cut to 120 characters.
func Reason(s string) string { return OneLine(s, 120) }

// OneLine returns s on one line, cut to n characters.
func OneLine(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}

// Run runs the command until it returns or SIGINT or SIGTERM cancels
// ctx: list for "dlq list", replay for "dlq replay". It returns the exit
// status: 0, or 1 after printing the error to stderr.
func (c Command) Run(ctx context.Context, program string, stderr io.Writer, list, replay func(context.Context) error) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	run := replay
	if c.Name == "list" {
		run = list
	}
	if err := run(ctx); err != nil {
		fmt.Fprintf(stderr, "%s dlq %s: %v\n", program, c.Name, err)
		return 1
	}
	return 0
}

// Runner runs a program's parsed dlq commands, over the configuration
// the command named.
type Runner struct {
	List, Replay func(ctx context.Context, c Command) error
}

// Main is a program's "dlq" command: it parses args, the words after
// "dlq", with config as the configuration file given before them (see
// [Spec.Parse]), has open read the configuration file the command names
// (on failure open says why on stderr and returns a Runner without List
// and the exit status), and runs the command (see [Command.Run]). It
// returns the exit status.
func (s Spec) Main(ctx context.Context, args []string, config string, stderr io.Writer, open func(config string) (Runner, int)) int {
	c, status, ok := s.Parse(args, config, stderr)
	if !ok {
		return status
	}
	r, status := open(c.Config)
	if r.List == nil {
		return status
	}
	return c.Run(ctx, s.Program, stderr,
		func(ctx context.Context) error { return r.List(ctx, c) },
		func(ctx context.Context) error { return r.Replay(ctx, c) })
}
