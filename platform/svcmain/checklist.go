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

// Checklist is the output of a service's --check (see [Check]): a line a
// check, "ok  " or "FAIL" then what was checked, the failures gathered
// for the error. It is not safe for concurrent use.
type Checklist struct {
	out    io.Writer
	failed []string
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

// err returns an error listing every failed check, or nil.
func (l *Checklist) err() error {
	if len(l.failed) == 0 {
		return nil
	}
	return errors.New("check failed:\n\t" + strings.Join(l.failed, "\n\t"))
}

// Check runs a service's --check: check reports each check on a
// Checklist writing to stdout, within [CheckTimeout]. The exit status is
// 0 when every check passed; else 1, with the error that check returned
// (it could not check) or the failed checks after the program's name on
// stderr.
func Check(ctx context.Context, program string, stdout, stderr io.Writer, check func(context.Context, *Checklist) error) int {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	list := &Checklist{out: stdout}
	err := check(ctx, list)
	if err == nil {
		err = list.err()
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", program, err)
		return 1
	}
	return 0
}
