package harness

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Build is the commands a package of end-to-end tests builds once, from
// TestMain, with [Build.Run].
type Build struct {
	// Dir is the directory go build runs in; default the test's own.
	Dir string
	// Flags are go build flags, such as -race.
	Flags []string
	// Packages are the packages to build; default ".".
	Packages []string
}

// Run builds b into a new temporary directory, sets *dir to it, runs the
// tests as [Run] does, removes the directory and returns the exit code.
// Each binary in *dir is named after its package's directory. A failed
// build prints go build's output and returns 1 without running a test.
func (b Build) Run(m *testing.M, dir *string) int {
	out, err := os.MkdirTemp("", "sfsync-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(out)
	pkgs := b.Packages
	if len(pkgs) == 0 {
		pkgs = []string{"."}
	}
	args := append(append([]string{"build"}, b.Flags...), "-o", out+string(os.PathSeparator))
	cmd := exec.Command("go", append(args, pkgs...)...)
	cmd.Dir = b.Dir
	if text, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, text)
		return 1
	}
	*dir = out
	return Run(m)
}
