package config

import (
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig/conformance"
)

// suite describes the producer's configuration to the checks every
// service's configuration passes.
var suite = conformance.Service[*Config]{
	Name: "producer", EnvPrefix: EnvPrefix, Base: base, Load: Load, Parse: Parse, Example: example, Secrets: &secrets,
	Seeds: []string{base + "  sasl: {mechanism: SCRAM}\n  topic_partitions_expected: {a: 1, a: 2}\n", "salesforce:\n  client_secret: |\n    multi\n    line\n"},
}

func TestConformance(t *testing.T) { t.Parallel(); conformance.Suite(t, suite) }

// FuzzLoad fuzzes Parse with the shared checks and the producer's own
// corner cases.
func FuzzLoad(f *testing.F) { conformance.Fuzz(f, suite) }
