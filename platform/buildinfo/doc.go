// Package buildinfo tells which build of an sfsync binary is running, for
// the --version flag of every binary: [String] returns one line such as
//
//	sfsync-producer v1.2.3 (revision 0123456789abcdef0123456789abcdef01234567, 2026-12-03T10:00:00Z, modified) go1.26.8 linux/amd64
//
// The version and revision come from the Go toolchain's build information
// ([runtime/debug.ReadBuildInfo]): the main module's version, "(devel)"
// for a build in the workspace, and the vcs.revision, vcs.time and
// vcs.modified settings, stamped only when the build ran in a git
// checkout with VCS stamping on. Builds without them (a Docker build has
// no .git; GOFLAGS=-buildvcs=false turns stamping off) set the version
// and the revision at link time through two variables:
//
//	go build -ldflags "-X github.com/sfsync/sfsync/platform/buildinfo.version=v1.2.3 -X github.com/sfsync/sfsync/platform/buildinfo.revision=$(git rev-parse HEAD)" ./cmd/...
//
// A value set this way takes precedence over the build information;
// `make build` sets both (its LDFLAGS). A part known from neither prints
// as "unknown".
package buildinfo
