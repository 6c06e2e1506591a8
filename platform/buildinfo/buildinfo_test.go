package buildinfo

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	t.Parallel()
	stamped := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/sfsync/sfsync/producer", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef"},
			{Key: "vcs.time", Value: "2026-12-03T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	unstamped := &debug.BuildInfo{Main: debug.Module{Path: "github.com/sfsync/sfsync/producer", Version: "(devel)"}}
	platform := " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	for _, tc := range []struct {
		scenario          string
		version, revision string // the -X values
		bi                *debug.BuildInfo
		want              string
	}{
		{"build information", "", "", stamped, "p (devel) (revision 0123456789abcdef, 2026-12-03T10:00:00Z, modified)"},
		{"linker flags without stamping", "v1.2.3", "abc123", unstamped, "p v1.2.3 (revision abc123)"},
		{"linker flags win over stamping", "v1.2.3", "abc123", stamped, "p v1.2.3 (revision abc123)"},
		{"linker revision matches stamping", "v1.2.3", "0123456789abcdef", stamped, "p v1.2.3 (revision 0123456789abcdef, 2026-12-03T10:00:00Z, modified)"},
		{"linker version only", "v1.2.3", "", stamped, "p v1.2.3 (revision 0123456789abcdef, 2026-12-03T10:00:00Z, modified)"},
		{"no stamping", "", "", unstamped, "p (devel) (revision unknown)"},
		{"no build information", "", "", nil, "p unknown (revision unknown)"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			if got := format("p", tc.version, tc.revision, tc.bi); got != tc.want+platform {
				t.Errorf("got  %q\nwant %q", got, tc.want+platform)
			}
		})
	}
}

// TestString sets the package's -X variables, as the linker would.
func TestString(t *testing.T) {
	version, revision = "v9.9.9", "abc123"
	t.Cleanup(func() { version, revision = "", "" })
	got := String("sfsync-test")
	if want := "sfsync-test v9.9.9 (revision abc123)"; !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want it to start with %q", got, want)
	}
}

// TestLinkerFlags builds a binary with the -X flags the Makefile passes
// and checks that it prints both values.
func TestLinkerFlags(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "stamped")
	const pkg = "github.com/sfsync/sfsync/platform/buildinfo"
	build := exec.Command("go", "build", "-o", bin,
		"-ldflags", "-X "+pkg+".version=v9.9.9 -X "+pkg+".revision=abc123", "./testdata/stamped")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	if want := "stamped v9.9.9 (revision abc123)"; !strings.HasPrefix(string(out), want) {
		t.Errorf("got %q, want it to start with %q", out, want)
	}
}
