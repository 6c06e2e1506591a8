package cli

import (
	"fmt"
	"io"

	"github.com/sfsync/sfsync/reconciler/internal/diff"
	"github.com/sfsync/sfsync/reconciler/internal/report"
)

// render prints results as a table or JSON and returns verify's exit
// status.
func render(results []*diff.Result, format string, stdout, stderr io.Writer) int {
	var err error
	if format == "json" {
		err = report.JSON(stdout, results)
	} else {
		err = report.Table(stdout, results)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sfsync-reconciler verify: %v\n", err)
		return report.ExitError
	}
	return report.ExitCode(results)
}
