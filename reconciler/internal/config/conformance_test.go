package config

import (
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig/conformance"
)

// suite describes the reconciler's configuration to the checks every
// service's configuration passes.
var suite = conformance.Service[*Config]{
	Name: "reconciler", EnvPrefix: EnvPrefix, Base: base, Load: Load, Parse: Parse, Example: example, Secrets: &secrets,
	Seeds: []string{base + "  sasl: {mechanism: SCRAM}\nverify: {full_every: 0s, repair: false}\n", "postgres:\n  url: |\n    postgres://u:pw@h/db\n    line\n"},
}

func TestConformance(t *testing.T) { t.Parallel(); conformance.Suite(t, suite) }

// FuzzLoad fuzzes Parse with the shared checks and the reconciler's own
// corner cases.
func FuzzLoad(f *testing.F) { conformance.Fuzz(f, suite) }
