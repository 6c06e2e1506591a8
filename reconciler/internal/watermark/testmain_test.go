package watermark

import (
	"os"
	"testing"

	"github.com/sfsync/sfsync/integration/harness"
)

// TestMain removes the containers the harness started for these tests.
func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }
