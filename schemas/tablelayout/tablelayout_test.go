package tablelayout_test

import (
	"strings"
	"testing"

	"github.com/sfsync/sfsync/schemas/tablelayout"
)

// TestBookkeeping checks that the bookkeeping columns are distinct and
// named apart from mapped columns, which never start with an underscore.
func TestBookkeeping(t *testing.T) {
	t.Parallel()
	want := []string{"_sf_deleted", "_sf_base_commit", "_sf_base_seq", "_sf_versions", "_sf_commit_timestamp", "_sf_synced_at"}
	if len(tablelayout.Bookkeeping) != len(want) {
		t.Fatalf("Bookkeeping = %v, want %v", tablelayout.Bookkeeping, want)
	}
	seen := map[string]bool{}
	for i, col := range tablelayout.Bookkeeping {
		c := col.Name
		if c != want[i] {
			t.Errorf("Bookkeeping[%d] = %q, want %q (the names are a contract)", i, c, want[i])
		}
		if !strings.HasPrefix(c, "_sf_") {
			t.Errorf("column %q does not start with _sf_", c)
		}
		if seen[c] {
			t.Errorf("column %q listed twice", c)
		}
		seen[c] = true
		if col.Definition == "" {
			t.Errorf("column %q has no definition", c)
		}
	}
	if tablelayout.OffsetsTable != "sfsync_consumer_offsets" {
		t.Errorf("OffsetsTable = %q, want sfsync_consumer_offsets", tablelayout.OffsetsTable)
	}
}
