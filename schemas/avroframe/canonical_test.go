package avroframe

import (
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
			got, fp, err := CanonicalForm(tt.schema)
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
			if fp != c.Rabin {
				t.Errorf("fingerprint %016x, goavro's %016x", fp, c.Rabin)
			}
		})
	}
}

// TestCanonicalFormIsStable checks the form of a schema with a field
// named as a record type, which goavro's own form sometimes writes as the
// type's full name (goavro issue #307).
func TestCanonicalFormIsStable(t *testing.T) {
	t.Parallel()
	const schema = `{"type":"record","name":"E","namespace":"n","fields":[{"name":"H","type":{"type":"record","name":"H","fields":[{"name":"a","type":"long"}]}}]}`
	const want = `{"name":"n.E","type":"record","fields":[{"name":"H","type":{"name":"n.H","type":"record","fields":[{"name":"a","type":"long"}]}}]}`
	for range 50 {
		got, fp, err := CanonicalForm(schema)
		if err != nil {
			t.Fatal(err)
		}
		if got != want || fp != Fingerprint(want) {
			t.Fatalf("CanonicalForm = %s, %016x; want %s", got, fp, want)
		}
	}
}

func FuzzCanonicalForm(f *testing.F) {
	f.Add(`{"type":"record","name":"R","fields":[{"name":"a","type":["null","string"]}]}`)
	f.Add(`["null",{"type":"map","values":{"type":"fixed","name":"F","size":4}}]`)
	f.Add(`{"type":{"type":"int"}}`)
	f.Fuzz(func(t *testing.T, s string) {
		pcf, _, err := CanonicalForm(s)
		if err != nil {
			return
		}
		again, _, err := CanonicalForm(pcf)
		if err != nil || again != pcf {
			t.Fatalf("canonical form of %q is not a fixed point: %q -> %q, %v", s, pcf, again, err)
		}
	})
}
