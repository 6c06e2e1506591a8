package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// version and revision, when not empty, are the build's version and VCS
// revision, set with the linker's -X flag (see the package doc); they take
// precedence over the build information.
var version, revision string

// String returns the one-line version of program: its name, version,
// VCS revision, commit time and whether the work tree was modified, the
// Go version and the platform. It is safe for concurrent use.
func String(program string) string {
	bi, _ := debug.ReadBuildInfo()
	return format(program, version, revision, bi)
}

// format is [String] with the -X values and the build information (nil
// when there is none) passed in.
func format(program, version, revision string, bi *debug.BuildInfo) string {
	vcs := map[string]string{}
	if bi != nil {
		if version == "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			vcs[s.Key] = s.Value
		}
	}
	if version == "" {
		version = "unknown"
	}
	if revision == "" {
		revision = vcs["vcs.revision"]
	}
	var b strings.Builder
	b.WriteString(program + " " + version + " (revision ")
	switch {
	case revision == "":
		b.WriteString("unknown")
	case revision != vcs["vcs.revision"] || vcs["vcs.time"] == "":
		// A revision set with -X: the build stamped no commit time for it.
		b.WriteString(revision)
	default:
		b.WriteString(revision + ", " + vcs["vcs.time"])
		if vcs["vcs.modified"] == "true" {
			b.WriteString(", modified")
		}
	}
	b.WriteString(") " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH)
	return b.String()
}
