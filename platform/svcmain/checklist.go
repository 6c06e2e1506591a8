package svcmain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// CheckTimeout bounds a whole --check.
const CheckTimeout = time.Minute

// Checklist is the output of a service's --check: a line a check, "ok  "
// or "FAIL" then what was checked, and the failures gathered for [Checklist.Err].
// It is not safe for concurrent use.
type Checklist struct {
	out    io.Writer
	failed []string
}

// NewChecklist returns a Checklist writing to out, and ctx bounded by
// [CheckTimeout] with its cancel function.
func NewChecklist(ctx context.Context, out io.Writer) (*Checklist, context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	return &Checklist{out: out}, ctx, cancel
}

// Report writes one check's line: ok, or failed, and what the format
// and args say.
func (l *Checklist) Report(ok bool, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	mark := "ok  "
	if !ok {
		mark = "FAIL"
		l.failed = append(l.failed, msg)
	}
	fmt.Fprintf(l.out, "%s %s\n", mark, msg)
}

// Err returns an error listing every failed check, or nil.
func (l *Checklist) Err() error {
	if len(l.failed) == 0 {
		return nil
	}
	return errors.New("check failed:\n\t" + strings.Join(l.failed, "\n\t"))
}
