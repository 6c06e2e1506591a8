package harness

import (
	"os"
	"testing"
)

// WriteFile writes text to path, readable by the test's user only, and
// fails the test when it cannot.
func WriteFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
