package bitmap_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/salesforce/bitmap"
)

func TestSchemaFromAvroAccount(t *testing.T) {
	t.Parallel()
	got, err := bitmap.SchemaFromAvro(readTestdata(t, "AccountChangeEvent.avsc"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Fields) != len(accountSchema.Fields) {
		t.Fatalf("%d fields, want %d", len(got.Fields), len(accountSchema.Fields))
	}
	for i, want := range accountSchema.Fields {
		f := got.Fields[i]
		if f.Name != want.Name || !slices.Equal(f.Components, want.Components) {
			t.Errorf("field %d = %s %q, want %s %q", i, f.Name, f.Components, want.Name, want.Components)
		}
	}
	names, err := bitmap.Decode(got, []string{"0x400000", "4-0x06", "5-0x01"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"BillingAddress.City", "BillingAddress.State", "ShippingAddress.Street", "LastModifiedDate"}; !slices.Equal(names, want) {
		t.Errorf("Decode = %q, want %q", names, want)
	}
}

func TestSchemaFromAvro(t *testing.T) {
	t.Parallel()
	// header is a ChangeEventHeader field with a nested enum, so that later
	// fields can refer to the enum by name.
	const header = `{"name": "ChangeEventHeader", "type": {"type": "record", "name": "ChangeEventHeader", "fields": [
		{"name": "changeType", "type": {"type": "enum", "name": "ChangeType", "symbols": ["CREATE", "UPDATE"]}},
		{"name": "changedFields", "type": {"type": "array", "items": "string"}}]}}`
	for _, tc := range []struct {
		scenario string
		fields   string // the top-level fields after the header
		want     []bitmap.Field
	}{
		{
			scenario: "plain nullable fields",
			fields:   `{"name": "Phone", "type": ["null", "string"], "default": null}, {"name": "Amount", "type": ["null", "double"]}`,
			want:     []bitmap.Field{{Name: "Phone"}, {Name: "Amount"}},
		},
		{
			scenario: "nullable record",
			fields:   `{"name": "Loc__c", "type": ["null", {"type": "record", "name": "Location", "fields": [{"name": "Latitude", "type": ["null", "double"]}, {"name": "Longitude", "type": ["null", "double"]}]}]}`,
			want:     []bitmap.Field{{Name: "Loc__c", Components: []string{"Latitude", "Longitude"}}},
		},
		{
			scenario: "bare record",
			fields:   `{"name": "Loc__c", "type": {"type": "record", "name": "Location", "fields": [{"name": "Latitude", "type": "double"}]}}`,
			want:     []bitmap.Field{{Name: "Loc__c", Components: []string{"Latitude"}}},
		},
		{
			scenario: "union of null, string and record",
			fields:   `{"name": "Name", "type": ["null", "string", {"type": "record", "name": "Switchable_PersonName", "fields": [{"name": "FirstName", "type": ["null", "string"]}, {"name": "LastName", "type": ["null", "string"]}]}]}`,
			want:     []bitmap.Field{{Name: "Name", Components: []string{"FirstName", "LastName"}}},
		},
		{
			scenario: "union of string and record",
			fields:   `{"name": "Name", "type": ["string", {"type": "record", "name": "PersonName", "fields": [{"name": "LastName", "type": "string"}]}]}`,
			want:     []bitmap.Field{{Name: "Name", Components: []string{"LastName"}}},
		},
		{
			scenario: "record referred to by short, full and object-form names",
			fields: `{"name": "BillingAddress", "type": ["null", {"type": "record", "name": "Address", "fields": [{"name": "Street", "type": ["null", "string"]}, {"name": "City", "type": ["null", "string"]}]}]},
				{"name": "ShippingAddress", "type": ["null", "Address"]},
				{"name": "OtherAddress", "type": ["null", "com.sforce.eventbus.Address"]},
				{"name": "MailingAddress", "type": {"type": "Address"}}`,
			want: []bitmap.Field{
				{Name: "BillingAddress", Components: []string{"Street", "City"}},
				{Name: "ShippingAddress", Components: []string{"Street", "City"}},
				{Name: "OtherAddress", Components: []string{"Street", "City"}},
				{Name: "MailingAddress", Components: []string{"Street", "City"}},
			},
		},
		{
			scenario: "record in its own namespace",
			fields: `{"name": "A", "type": ["null", {"type": "record", "name": "Addr", "namespace": "other.ns", "fields": [{"name": "Street", "type": "string"}]}]},
				{"name": "B", "type": ["null", "other.ns.Addr"]}`,
			want: []bitmap.Field{{Name: "A", Components: []string{"Street"}}, {Name: "B", Components: []string{"Street"}}},
		},
		{
			scenario: "record with a dotted name",
			fields: `{"name": "A", "type": {"type": "record", "name": "x.y.Addr", "fields": [{"name": "Street", "type": "string"}, {"name": "Next", "type": ["null", "Addr"]}]}},
				{"name": "B", "type": "x.y.Addr"}`,
			want: []bitmap.Field{{Name: "A", Components: []string{"Street", "Next"}}, {Name: "B", Components: []string{"Street", "Next"}}},
		},
		{
			scenario: "enums, arrays, maps and logical types are not compound",
			fields: `{"name": "Stage", "type": ["null", "ChangeType"]},
				{"name": "Tags", "type": {"type": "array", "items": {"type": "record", "name": "Tag", "fields": [{"name": "V", "type": "string"}]}}},
				{"name": "Attrs", "type": {"type": "map", "values": "string"}},
				{"name": "Hash", "type": {"type": "fixed", "name": "MD5", "size": 16}},
				{"name": "Day", "type": ["null", {"type": "int", "logicalType": "date"}]}`,
			want: []bitmap.Field{{Name: "Stage"}, {Name: "Tags"}, {Name: "Attrs"}, {Name: "Hash"}, {Name: "Day"}},
		},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			js := `{"type": "record", "name": "XChangeEvent", "namespace": "com.sforce.eventbus", "fields": [` + header + `, ` + tc.fields + `]}`
			got, err := bitmap.SchemaFromAvro(js)
			if err != nil {
				t.Fatal(err)
			}
			want := append([]bitmap.Field{{Name: "ChangeEventHeader"}}, tc.want...)
			if len(got.Fields) != len(want) {
				t.Fatalf("fields = %+v, want %+v", got.Fields, want)
			}
			for i := range want {
				if got.Fields[i].Name != want[i].Name || !slices.Equal(got.Fields[i].Components, want[i].Components) {
					t.Errorf("field %d = %+v, want %+v", i, got.Fields[i], want[i])
				}
			}
		})
	}
}

func TestSchemaFromAvroErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		json     string
		msg      string
	}{
		{"not JSON", `{"type": "record"`, "parse avro schema"},
		{"top level not a record", `["null", "string"]`, "top-level type is not a record"},
		{"top-level enum", `{"type": "enum", "name": "E", "symbols": ["A"]}`, "top-level type is not a record"},
		{"record without fields", `{"type": "record", "name": "R"}`, "fields is not an array"},
		{"record without a name", `{"type": "record", "fields": []}`, "without a name"},
		{"field without a name", `{"type": "record", "name": "R", "fields": [{"type": "string"}]}`, "field 0 has no name"},
		{"duplicate field", `{"type": "record", "name": "R", "fields": [{"name": "A", "type": "string"}, {"name": "A", "type": "int"}]}`, "duplicate field A"},
		{"unknown type name", `{"type": "record", "name": "R", "fields": [{"name": "A", "type": ["null", "Address"]}]}`, `field A: unknown type name "Address"`},
		{"type defined twice", `{"type": "record", "name": "R", "fields": [{"name": "A", "type": {"type": "enum", "name": "E", "symbols": []}}, {"name": "B", "type": {"type": "enum", "name": "E", "symbols": []}}]}`, "type E defined twice"},
		{"union of two records", `{"type": "record", "name": "R", "fields": [{"name": "A", "type": ["null", {"type": "record", "name": "X", "fields": []}, {"type": "record", "name": "Y", "fields": []}]}]}`, "more than one record branch"},
		{"nested union", `{"type": "record", "name": "R", "fields": [{"name": "A", "type": ["null", ["string"]]}]}`, "union directly inside a union"},
		{"type of a wrong JSON kind", `{"type": "record", "name": "R", "fields": [{"name": "A", "type": 7}]}`, "invalid type"},
		{"type object without a type", `{"type": "record", "name": "R", "fields": [{"name": "A", "type": {"items": "string"}}]}`, "without a type"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			s, err := bitmap.SchemaFromAvro(tc.json)
			if err == nil {
				t.Fatalf("SchemaFromAvro = %+v, want an error", s)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
		})
	}
}

// FuzzSchemaFromAvro checks that SchemaFromAvro never panics or loops on
// schema text, and that every schema it accepts works with Encode and
// Decode.
func FuzzSchemaFromAvro(f *testing.F) {
	// Small seeds keep the fuzzer fast; testdata/AccountChangeEvent.avsc
	// has the same shapes, only more fields.
	for _, seed := range []string{
		`{"type": "record", "name": "AccountChangeEvent", "namespace": "com.sforce.eventbus", "fields": [
			{"name": "ChangeEventHeader", "type": {"type": "record", "name": "ChangeEventHeader", "fields": [
				{"name": "changeType", "type": {"type": "enum", "name": "ChangeType", "symbols": ["CREATE", "UPDATE"]}},
				{"name": "changedFields", "type": {"type": "array", "items": "string"}}]}},
			{"name": "Name", "type": ["null", "string", {"type": "record", "name": "Switchable_PersonName", "fields": [
				{"name": "FirstName", "type": ["null", "string"], "default": null}]}], "default": null},
			{"name": "BillingAddress", "type": ["null", {"type": "record", "name": "Address", "fields": [
				{"name": "Street", "type": ["null", "string"]}, {"name": "City", "type": ["null", "string"]}]}], "default": null},
			{"name": "ShippingAddress", "type": ["null", "Address"], "default": null},
			{"name": "Phone", "type": ["null", "string"], "doc": "Data:Text", "default": null},
			{"name": "Day", "type": ["null", {"type": "int", "logicalType": "date"}]}]}`,
		`{"type": "record", "name": "R", "fields": [{"name": "A", "type": ["null", {"type": "record", "name": "X", "fields": [{"name": "B", "type": ["null", "X"]}]}]}, {"name": "C", "type": "X"}]}`,
		`{"type": "record", "name": "R", "fields": [{"name": "A", "type": {"type": {"type": {"type": "string"}}}}]}`,
		`{"type": "record", "name": "a.b.R", "fields": [{"name": "A", "type": ["null", "R"]}]}`,
		`{"type": "record", "name": "R", "fields": []}`,
		`[[[[[]]]]]`,
		`null`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, js string) {
		s, err := bitmap.SchemaFromAvro(js)
		if err != nil {
			return
		}
		names := allNames(s)
		enc, err := bitmap.Encode(s, names)
		if err != nil {
			// Field and component names come from the schema, but a field
			// name with a dot can shadow a component: only check decoding.
			return
		}
		if _, err := bitmap.Decode(s, enc); err != nil {
			t.Fatalf("Decode(Encode(all names) = %q): %v", enc, err)
		}
	})
}
