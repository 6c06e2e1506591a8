package config

import (
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig/svcconfigtest"
)

// The shared fixtures of the services' configuration tests.
var (
	territoryMapping = svcconfigtest.MappingFile
	env              = svcconfigtest.Env
)

// fixture writes the YAML text, with {{mapping}} replaced by the bundled
// mapping, as producer.yaml beside the fixture files, and returns its path
// and the directory.
func fixture(t testing.TB, text string) (path, dir string) {
	t.Helper()
	return svcconfigtest.Fixture(t, "producer.yaml", text)
}
