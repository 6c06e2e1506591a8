package svcmain

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/sfsync/sfsync/platform/buildinfo"
	"github.com/sfsync/sfsync/platform/endpoint"
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

// NewFlagSet returns the program's flag set, writing its messages to
// stderr, with --version and --probe.
func NewFlagSet(program string, stderr io.Writer) (*flag.FlagSet, *Flags) {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs, NewFlags(program, fs)
}

// Parse parses args with fs, then answers --version on stdout and
// --probe. When done, the program ends with code: 0 after -h or
// --version, 2 on bad flags (fs said why on its output), the probe's
// status after --probe.
func (f *Flags) Parse(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, done bool) {
	if code, done := ParseFlags(fs, args); done {
		return code, true
	}
	return f.answer(ctx, stdout, stderr)
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

// answer answers --version on stdout and --probe, for a program that
// parses its flags itself; done is false when neither was given.
func (f *Flags) answer(ctx context.Context, stdout, stderr io.Writer) (code int, done bool) {
	switch {
	case f.version:
		fmt.Fprintln(stdout, buildinfo.String(f.program))
		return 0, true
	case f.probe != "":
		return endpoint.RunProbe(ctx, f.probe, stderr), true
	}
	return 0, false
}
