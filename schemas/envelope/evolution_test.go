package envelope

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/schemas/avroframe"
)

// Fingerprints computed with Apache Avro for Java 1.12.0,
// SchemaNormalization.parsingFingerprint64, from the same files.
const (
	fingerprintV1    uint64 = 0x10649a3e30b147a0
	fingerprintOlder uint64 = 0x7e1596e8241ecbeb
	fingerprintNewer uint64 = 0xfc5b4f0974dfc6d1
)

func TestPublishedSchemasAreFrozen(t *testing.T) {
	t.Parallel()
	// A published schema must never change: records written with it stay in
	// Kafka. If this test fails, revert the edit and add envelope_vN+1.avsc.
	want := map[string]uint64{"v1": fingerprintV1}
	schemas, err := publishedSchemas()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range schemas {
		if s.version != i+1 {
			t.Errorf("published versions must be 1, 2, 3, ...: found %s at position %d", s.label, i+1)
		}
		canonical, fp, err := avroframe.CanonicalForm(s.text)
		if err != nil {
			t.Fatalf("%s: %v", s.label, err)
		}
		if avroframe.Fingerprint(canonical) != fp {
			t.Errorf("%s: fingerprint %016x is not the CRC-64-AVRO of its canonical form", s.label, fp)
		}
		if w, ok := want[s.label]; !ok {
			t.Errorf("%s: add its fingerprint %016x to this test", s.label, fp)
		} else if fp != w {
			t.Errorf("%s: fingerprint %016x, want %016x: a published schema changed", s.label, fp, w)
		}
	}
	if CurrentSchema() != schemas[len(schemas)-1].text {
		t.Error("CurrentSchema is not the newest published version")
	}
}

func TestCanonicalFormMatchesJava(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		schema   string
		want     uint64
	}{
		{"v1", CurrentSchema(), fingerprintV1},
		{"older fixture", readTestdata(t, "older.avsc"), fingerprintOlder},
		{"newer fixture", readTestdata(t, "newer.avsc"), fingerprintNewer},
		// The Avro specification's own examples.
		{"int", `"int"`, avroframe.Fingerprint(`"int"`)},
		{"logical long", `{"type": "long", "logicalType": "timestamp-millis"}`, avroframe.Fingerprint(`"long"`)},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			_, fp, err := avroframe.CanonicalForm(tt.schema)
			if err != nil {
				t.Fatal(err)
			}
			if fp != tt.want {
				t.Errorf("fingerprint %016x, want %016x", fp, tt.want)
			}
		})
	}
	canonical, _, err := avroframe.CanonicalForm(CurrentSchema())
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(readTestdata(t, "envelope_v1.pcf")); canonical != want {
		t.Errorf("canonical form of v1:\n got %s\nwant %s", canonical, want)
	}
}

func TestFrameHeader(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	frame, err := c.Encode(nil, sample())
	if err != nil {
		t.Fatal(err)
	}
	if frame[0] != 0xC3 || frame[1] != 0x01 {
		t.Errorf("marker %x, want c301", frame[:2])
	}
	if got := binary.LittleEndian.Uint64(frame[2:10]); got != fingerprintV1 || c.Fingerprint() != fingerprintV1 {
		t.Errorf("header fingerprint %016x, codec %016x, want %016x", got, c.Fingerprint(), fingerprintV1)
	}
	fp, body, err := ReadFingerprint(frame)
	if err != nil || fp != fingerprintV1 || len(body) != len(frame)-10 {
		t.Errorf("ReadFingerprint = %016x, %d bytes, %v", fp, len(body), err)
	}
}

func TestOlderRecordsStayDecodable(t *testing.T) {
	t.Parallel()
	older := readTestdata(t, "older.avsc")
	// An old producer wrote with the older schema.
	oldProducer := newCodec(t, WithWriterSchema(older))
	frame, err := oldProducer.Encode(nil, sample())
	if err != nil {
		t.Fatal(err)
	}
	if fp, _, _ := ReadFingerprint(frame); fp != fingerprintOlder {
		t.Fatalf("old producer wrote fingerprint %016x, want %016x", fp, fingerprintOlder)
	}

	// A reader that does not know the older version refuses the record.
	if _, err := newCodec(t).Decode(frame); !errors.Is(err, ErrUnknownSchema) {
		t.Fatalf("Decode with an unregistered writer schema: %v, want ErrUnknownSchema", err)
	}

	// The current reader with the older version registered decodes it into
	// the current type, with defaults for the fields the older version lacks.
	reader := newCodec(t, WithSchema(older))
	got, err := reader.Decode(frame)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := sample()
	want.CommitUser, want.NulledFields = "", nil // not in the older schema
	if d := diffEnvelope(want, got); d != "" {
		t.Error(d)
	}
	// The registry is a value: registering the older version for one codec
	// did not change another.
	if newCodec(t).Knows(fingerprintOlder) {
		t.Error("a fresh codec knows a schema registered with another codec")
	}
}

func TestNewerRecordsDecodeWithOldCode(t *testing.T) {
	t.Parallel()
	newer := readTestdata(t, "newer.avsc")
	// An upgraded producer writes version "2", which adds two fields with
	// defaults that this Go type does not have.
	newProducer := newCodec(t, WithWriterSchema(newer))
	if newProducer.Fingerprint() != fingerprintNewer {
		t.Fatalf("writer fingerprint %016x, want %016x", newProducer.Fingerprint(), fingerprintNewer)
	}
	want := sample()
	frame, err := newProducer.Encode(nil, want)
	if err != nil {
		t.Fatal(err)
	}
	// The upgraded producer still reads v1 records, and its own.
	v1frame, err := newCodec(t).Encode(nil, want)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range [][]byte{frame, v1frame} {
		got, err := newProducer.Decode(f)
		if err != nil {
			t.Fatalf("upgraded codec Decode: %v", err)
		}
		if d := diffEnvelope(want, got); d != "" {
			t.Error(d)
		}
	}
	// A reader deployed before the upgrade but told about version "2"
	// (rolled out readers first) ignores the fields it does not know.
	got, err := newCodec(t, WithSchema(newer)).Decode(frame)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if d := diffEnvelope(want, got); d != "" {
		t.Error(d)
	}
	// A reader that was not told refuses the record rather than guess.
	_, err = newCodec(t).Decode(frame)
	if !errors.Is(err, ErrUnknownSchema) || !strings.Contains(err.Error(), "fc5b4f0974dfc6d1") {
		t.Errorf("Decode = %v, want ErrUnknownSchema naming fc5b4f0974dfc6d1", err)
	}
}

func TestRegistryRejectsIncompatibleSchemas(t *testing.T) {
	t.Parallel()
	v1 := CurrentSchema()
	tests := []struct {
		scenario string
		schema   string
		want     string
	}{
		{"not JSON", "{", "new envelope codec: schema extra 1: cannot unmarshal schema JSON"},
		{"not a record", `"string"`, `top-level type is string "", want record dev.sfsync.Envelope`},
		{"other record name", strings.Replace(v1, `"name": "Envelope"`, `"name": "Other"`, 1), `top-level type is record "dev.sfsync.Other"`},
		{"removed required field", strings.Replace(v1, `{"name": "entity", "type": "string", "doc": "API name of the sObject, e.g. Account."},`, "", 1), "lacks field entity, which has no default"},
		{"renamed required field", strings.Replace(v1, `"name": "recordId"`, `"name": "recordID"`, 1), "lacks field recordId, which has no default"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			if tt.schema == v1 {
				t.Fatal("the edit did not apply")
			}
			_, err := NewCodec(WithSchema(tt.schema))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewCodec error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	// Registering a known version again is harmless.
	if _, err := NewCodec(WithSchema(v1), WithWriterSchema(v1)); err != nil {
		t.Errorf("registering v1 twice: %v", err)
	}
}
