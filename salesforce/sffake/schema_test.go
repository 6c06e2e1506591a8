package sffake

import (
	"strings"
	"testing"

	"github.com/sfsync/sfsync/schemas/avroframe"
)

func TestAccountSchemaIsStable(t *testing.T) {
	t.Parallel()
	a, err := compileObject(AccountObject())
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		b, err := compileObject(AccountObject())
		if err != nil {
			t.Fatal(err)
		}
		if a.schema.id != b.schema.id || len(a.schema.id) != 22 {
			t.Fatalf("schema ids %q and %q differ", a.schema.id, b.schema.id)
		}
	}
	pcf, _, err := avroframe.CanonicalForm(a.schema.json)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(pcf, `"name":"com.sforce.eventbus.Address","type":"record"`) != 1 || !strings.Contains(pcf, `"type":["null","com.sforce.eventbus.Address"]`) {
		t.Fatalf("Address not defined once and referenced once: %s", pcf)
	}
}

func TestIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		id       string
		valid    bool
	}{
		{scenario: "default org", id: DefaultOrgID, valid: true},
		{scenario: "generated account", id: ID(PrefixAccount, 12345), valid: true},
		{scenario: "bad suffix", id: "00D000000000001AAA", valid: false},
		{scenario: "short", id: "001000000000001", valid: false},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			if got := ValidID(tt.id, ""); got != tt.valid {
				t.Fatalf("ValidID(%q) = %v, want %v", tt.id, got, tt.valid)
			}
		})
	}
}
