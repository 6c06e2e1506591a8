package pubsub

import (
	"os"
	"reflect"
	"testing"

	"github.com/linkedin/goavro/v2"

	"github.com/sfsync/sfsync/schemas/avroframe"
)

func accountSchema(tb testing.TB) *Schema {
	tb.Helper()
	js, err := os.ReadFile("../bitmap/testdata/AccountChangeEvent.avsc")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := ParseSchema("account", string(js))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// accountUpdate encodes an Account UPDATE event of schema s.
func accountUpdate(tb testing.TB, s *Schema) []byte {
	tb.Helper()
	native := map[string]any{
		"ChangeEventHeader": map[string]any{
			"entityName": "Account", "recordIds": []any{"001000000000001AAA"}, "changeType": "UPDATE",
			"changeOrigin": "com/salesforce/api/rest/60.0", "transactionKey": "tx-1", "sequenceNumber": int32(1),
			"commitTimestamp": int64(1767225600000), "commitNumber": int64(1) << 60, "commitUser": "005000000000001AAA",
			"nulledFields": []any{}, "diffFields": []any{}, "changedFields": []any{"0x400000", "4-0x06"},
		},
		"BillingAddress": goavro.Union("com.sforce.eventbus.Address", map[string]any{
			"City": goavro.Union("string", "Lyon"), "State": goavro.Union("string", "ARA"),
		}),
		"LastModifiedDate": goavro.Union("long", int64(1767225600000)),
	}
	b, err := s.Codec.BinaryFromNative(nil, native)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDecodeAccountUpdate(t *testing.T) {
	t.Parallel()
	s := accountSchema(t)
	ev := Event{Payload: accountUpdate(t, s)}
	DecodeEvent(s, &ev)
	if ev.DecodeErr != nil {
		t.Fatal(ev.DecodeErr)
	}
	h := ev.Header
	want := []string{"BillingAddress.City", "BillingAddress.State", "LastModifiedDate"}
	if len(h.ChangedFields) != 3 || h.ChangedFields[0] != want[0] || h.ChangedFields[1] != want[1] || h.ChangedFields[2] != want[2] {
		t.Fatalf("changed = %v, want %v", h.ChangedFields, want)
	}
	if h.CommitNumber != 1<<60 || h.CommitTimestamp.UnixMilli() != 1767225600000 || h.SequenceNumber != 1 {
		t.Fatalf("header = %+v", h)
	}
}

// FuzzDecodeEvent feeds hostile payloads to the decoder of a known
// change event schema: it must return a DecodeErr or a header, never
// panic or allocate for counts the payload cannot hold.
func FuzzDecodeEvent(f *testing.F) {
	s := accountSchema(f)
	good := accountUpdate(f, s)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Add([]byte{0x02, 0xfe, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, payload []byte) {
		ev := Event{Payload: payload}
		DecodeEvent(s, &ev)
		if ev.DecodeErr == nil && (ev.Record == nil || ev.Header == nil) {
			t.Fatal("decoded without a record and header")
		}
	})
}

func BenchmarkDecodeChangeEvent(b *testing.B) {
	s := accountSchema(b)
	payload := accountUpdate(b, s)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		ev := Event{Payload: payload}
		DecodeEvent(s, &ev)
		if ev.DecodeErr != nil {
			b.Fatal(ev.DecodeErr)
		}
	}
}

// FuzzParseSchema feeds hostile schema text to ParseSchema, as GetSchema
// would return it: it must refuse it or return a schema that holds the
// id and text given, and whose change-event layout is what parsing the
// codec's canonical form gives.
func FuzzParseSchema(f *testing.F) {
	js, err := os.ReadFile("../bitmap/testdata/AccountChangeEvent.avsc")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(js))
	f.Add(`{"type":"record","name":"E","fields":[{"name":"Id","type":["null","string"]},{"name":"N","type":"long"}]}`)
	f.Add(`{"type":"record","name":"E","fields":[{"name":"ChangeEventHeader","type":{"type":"record","name":"H","fields":[]}}]}`)
	f.Add(`{"type":"record","name":"E","fields":[{"name":"A","type":{"type":"array","items":"E"}}]}`)
	f.Add(`"string"`)
	f.Add(`{"type":"enum","name":"X","symbols":["A","B"]}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, schemaJSON string) {
		s, err := ParseSchema("id", schemaJSON)
		if err != nil {
			return
		}
		if s.ID != "id" || s.JSON != schemaJSON || s.Codec == nil {
			t.Fatalf("schema %+v does not hold what it was given", s)
		}
		if s.ChangeEvent && len(s.Fields.Fields) == 0 {
			t.Fatalf("change event schema without a field layout")
		}
		// avroframe's form, not goavro's: goavro sometimes writes a field
		// named as a record type with the type's full name (goavro #307).
		form, _, err := avroframe.CanonicalForm(schemaJSON)
		if err != nil {
			t.Fatalf("no canonical form of an accepted schema: %v", err)
		}
		c, err := ParseSchema("id", form)
		if err != nil {
			t.Fatalf("canonical form %s of an accepted schema refused: %v", form, err)
		}
		if c.ChangeEvent != s.ChangeEvent || !reflect.DeepEqual(c.Fields, s.Fields) {
			t.Fatalf("canonical form parses to change event %v %+v, the schema to %v %+v", c.ChangeEvent, c.Fields, s.ChangeEvent, s.Fields)
		}
	})
}
