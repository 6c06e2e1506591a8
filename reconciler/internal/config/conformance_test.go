package config

import (
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig/conformance"
)

// service describes the reconciler's configuration to the suite every service's
// configuration passes.
var service = conformance.Service[*Config]{Name: "reconciler", EnvPrefix: EnvPrefix, Base: base, Load: Load, Parse: Parse}

func TestConformance(t *testing.T) {
	t.Parallel()
	conformance.Suite(t, service)
}

// FuzzLoad fuzzes Parse with the shared checks, seeded with the reconciler's
// own corner cases.
func FuzzLoad(f *testing.F) {
	conformance.Fuzz(f, service,
		base+"  sasl: {mechanism: SCRAM}\nverify: {full_every: 0s, repair: false}\n",
		"postgres:\n  url: |\n    postgres://u:pw@h/db\n    line\n")
}
