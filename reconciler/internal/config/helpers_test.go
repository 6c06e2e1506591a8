package config

import (
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig/svcconfigtest"
)

// env returns a lookup function over m.
var env = svcconfigtest.Env

// fixture writes the YAML text, with {{mapping}} replaced by the bundled
// mapping, as reconciler.yaml beside the fixture files, and returns its path
// and the directory.
func fixture(t testing.TB, text string) (path, dir string) {
	t.Helper()
	return svcconfigtest.Fixture(t, "reconciler.yaml", text)
}
