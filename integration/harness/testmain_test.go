package harness

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if os.Getenv("HARNESS_CHILD_WITHOUT_RUN") == "1" {
		// TestContainersNeedRun's child: a TestMain that forgets Run.
		os.Exit(m.Run())
	}
	os.Exit(Run(m))
}
