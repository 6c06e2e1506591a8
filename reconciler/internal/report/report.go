package report

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/sfsync/sfsync/reconciler/internal/diff"
)

// The exit statuses of a verify, for cron and CI.
const (
	// ExitInSync: every object verified and none had drift.
	ExitInSync = 0
	// ExitDrift: drift was found, whether or not it was repaired, so
	// that a scheduler notices that something had gone out of step.
	ExitDrift = 1
	// ExitError: an object could not be verified.
	ExitError = 2
)

// ExitCode returns the exit status for results: ExitError when any
// object failed, else ExitDrift when any had drift (repaired or not),
// else ExitInSync.
func ExitCode(results []*diff.Result) int {
	code := ExitInSync
	for _, r := range results {
		switch {
		case r.Error != "":
			return ExitError
		case r.Drift() > 0:
			code = ExitDrift
		}
	}
	return code
}

// Status returns the word for an exit status: "in_sync", "drift" or
// "error".
func Status(code int) string {
	switch code {
	case ExitInSync:
		return "in_sync"
	case ExitDrift:
		return "drift"
	}
	return "error"
}

// MaxListed is the number of differences Table lists per object; the
// JSON lists them all.
const MaxListed = 20

// Table writes results as a table, one line per object, followed by the
// differences of each object (at most MaxListed) with their differing
// fields.
func Table(w io.Writer, results []*diff.Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OBJECT\tMODE\tCOMPARED\tMISSING\tEXTRA\tDIFFERENT\tREPAIRED\tTIME\t")
	for _, r := range results {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\terror: %s\t\t\t\t\t\t\n", r.Object, r.Mode, r.Error)
			continue
		}
		repaired := fmt.Sprint(r.Repaired)
		if r.DryRun {
			repaired = "dry run"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%.1fs\t\n", r.Object, r.Mode, r.Compared, r.Missing, r.Extra, r.Different, repaired, r.Duration.Seconds())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if len(r.Differences) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s: %d differences\n", r.Object, len(r.Differences))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  ID\tKIND\tFIELD\tPOSTGRESQL\tSALESFORCE\t")
		for i, d := range r.Differences {
			if i == MaxListed {
				fmt.Fprintf(tw, "  ... and %d more (--format json lists them all)\t\t\t\t\t\n", len(r.Differences)-MaxListed)
				break
			}
			if len(d.Fields) == 0 {
				fmt.Fprintf(tw, "  %s\t%s\t\t\t\t\n", d.ID, d.Kind)
				continue
			}
			for j, f := range d.Fields {
				id, kind := d.ID, string(d.Kind)
				if j > 0 {
					id, kind = "", ""
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t\n", id, kind, f.Field, clip(f.Postgres), clip(f.Salesforce))
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	code := ExitCode(results)
	_, err := fmt.Fprintf(w, "\n%s (exit status %d)\n", map[int]string{ExitInSync: "in sync", ExitDrift: "drift found", ExitError: "verify failed"}[code], code)
	return err
}

// clip shortens a value for a table cell, on a rune boundary.
func clip(s string) string {
	const max = 40
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-1]) + "…"
}

// Document is the JSON form of a verify's results.
type Document struct {
	// Status is "in_sync", "drift" or "error", as ExitCode decides.
	Status   string   `json:"status"`
	ExitCode int      `json:"exit_code"`
	Objects  []Object `json:"objects"`
}

// Object is one object's result in a Document.
type Object struct {
	*diff.Result
	// DurationSeconds is how long the verify of the object took.
	DurationSeconds float64 `json:"duration_seconds"`
}

// JSON writes results as an indented [Document]. Field names are stable:
// scripts may rely on them.
func JSON(w io.Writer, results []*diff.Result) error {
	code := ExitCode(results)
	doc := Document{Status: Status(code), ExitCode: code, Objects: make([]Object, 0, len(results))}
	for _, r := range results {
		doc.Objects = append(doc.Objects, Object{Result: r, DurationSeconds: r.Duration.Seconds()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
