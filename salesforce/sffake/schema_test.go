package sffake

import (
	"strings"
	"testing"

	"github.com/linkedin/goavro/v2"
)

func TestCanonicalFormMatchesGoavro(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		schema   string
	}{
		{scenario: "platform event", schema: `{"type":"record","name":"E__e","namespace":"com.sforce.eventbus","uuid":"x","fields":[
			{"name":"CreatedDate","type":"long","doc":"CreatedDate:DateTime"},{"name":"A__c","type":["null","string"],"default":null}]}`},
		// goavro keeps {"type":"int"} for a logical type, against the
		// specification's [PRIMITIVES] rule, so no logical type here.
		{scenario: "nested enum and array", schema: `{"type":"record","name":"R","namespace":"n","fields":[
			{"name":"h","type":{"type":"record","name":"H","fields":[{"name":"t","type":{"type":"enum","name":"T","symbols":["A","B"]}},
			{"name":"ids","type":{"type":"array","items":"string"}}]}},{"name":"d","type":["null","double"]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			got, err := CanonicalForm(tt.schema)
			if err != nil {
				t.Fatal(err)
			}
			c, err := goavro.NewCodec(tt.schema)
			if err != nil {
				t.Fatal(err)
			}
			if want := c.CanonicalSchema(); got != want {
				t.Fatalf("CanonicalForm =\n%s\nwant (goavro)\n%s", got, want)
			}
		})
	}
}

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
	pcf, err := CanonicalForm(a.schema.json)
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

func FuzzCanonicalForm(f *testing.F) {
	f.Add(`{"type":"record","name":"R","fields":[{"name":"a","type":["null","string"]}]}`)
	f.Add(`["null",{"type":"map","values":{"type":"fixed","name":"F","size":4}}]`)
	f.Add(`{"type":{"type":"int"}}`)
	f.Fuzz(func(t *testing.T, s string) {
		pcf, err := CanonicalForm(s)
		if err != nil {
			return
		}
		again, err := CanonicalForm(pcf)
		if err != nil || again != pcf {
			t.Fatalf("canonical form of %q is not a fixed point: %q -> %q, %v", s, pcf, again, err)
		}
	})
}
