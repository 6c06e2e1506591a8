package config

import (
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig/conformance"
)

func TestConformance(t *testing.T) { t.Parallel(); conformance.Suite(t, suite) }

// FuzzLoad fuzzes Parse with the shared checks and the reconciler's own
// corner cases.
func FuzzLoad(f *testing.F) { conformance.Fuzz(f, suite) }
