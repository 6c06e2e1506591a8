package config

import (
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig/conformance"
)

// suite describes the consumer's configuration to the checks every
// service's configuration passes.
var suite = conformance.Service[*Config]{
	Name: "consumer", EnvPrefix: EnvPrefix, Base: base, Load: Load, Parse: Parse, Example: example, Secrets: &secrets,
	Seeds: []string{
		base + "  sasl: {mechanism: SCRAM}\n  topics: [a, a]\n",
		"postgres:\n  url: |\n    postgres://u:pw@h/db\n    line\n",
		"redis: {url: \"redis://:p%zz@h:1/0\"}\npostgres: {url: \"host=h password='x y'\"}\n",
	},
}

func TestConformance(t *testing.T) { t.Parallel(); conformance.Suite(t, suite) }

// FuzzLoad fuzzes Parse with the shared checks and the consumer's own
// corner cases.
func FuzzLoad(f *testing.F) { conformance.Fuzz(f, suite) }
