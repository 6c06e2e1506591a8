package avroframe

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const pair = `{"type":"record","name":"Pair","namespace":"dev.sfsync.test","fields":[
 {"name":"key","type":"string","doc":"d"},
 {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"tags","type":{"type":"array","items":"string"},"default":[]}]}`

func TestSchema(t *testing.T) {
	t.Parallel()
	s, err := NewSchema("v1", pair)
	if err != nil {
		t.Fatal(err)
	}
	const canonical = `{"name":"dev.sfsync.test.Pair","type":"record","fields":[{"name":"key","type":"string"},` +
		`{"name":"at","type":"long"},{"name":"tags","type":{"type":"array","items":"string"}}]}`
	if s.Canonical() != canonical {
		t.Errorf("Canonical() = %s, want %s", s.Canonical(), canonical)
	}
	if s.Kind() != "record" || s.Name() != "dev.sfsync.test.Pair" || s.Label() != "v1" {
		t.Errorf("Kind, Name, Label = %s, %s, %s", s.Kind(), s.Name(), s.Label())
	}
	if got := s.Fields(); len(got) != 3 || got[0] != (Field{"key", false}) || got[2] != (Field{"tags", true}) {
		t.Errorf("Fields() = %v", got)
	}
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	s, err := NewSchema("v1", pair)
	if err != nil {
		t.Fatal(err)
	}
	same, err := NewSchema("again", strings.ReplaceAll(pair, `"doc":"d"`, `"doc":"other"`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRegistry(s, same)
	if err != nil {
		t.Fatalf("registering one schema twice: %v", err)
	}
	frame, err := s.Append([]byte("x"), map[string]any{"key": "k", "at": int64(5), "tags": []any{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(frame, []byte("x\xC3\x01")) {
		t.Fatalf("frame %x", frame)
	}
	frame = frame[1:]
	// The body: key "k" (0x02 'k'), at 5 (0x0a), then the tags array.
	tests := []struct {
		scenario string
		frame    []byte
		want     error
	}{
		{"good", frame, nil},
		{"short", frame[:5], ErrBadFrame},
		{"truncated", frame[:len(frame)-1], ErrBadFrame},
		{"trailing", append(bytes.Clone(frame), 0), ErrBadFrame},
		// An array of 2^62 strings in a few bytes: refused before goavro
		// preallocates it.
		{"hostile count", append(bytes.Clone(frame[:HeaderLen+3]), 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), ErrBadFrame},
		{"unknown", append([]byte{0xC3, 0x01, 0, 0, 0, 0, 0, 0, 0, 1}, frame[HeaderLen:]...), ErrUnknownSchema},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			got, native, err := r.Decode(tt.frame)
			if tt.want == nil {
				if err != nil || got != s || native.(map[string]any)["key"] != "k" {
					t.Errorf("Decode = %v, %v, %v", got, native, err)
				}
				return
			}
			if !errors.Is(err, tt.want) || (tt.scenario == "hostile count" && !strings.Contains(err.Error(), "array block of")) {
				t.Errorf("Decode error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRegistryRejectsFingerprintClash(t *testing.T) {
	t.Parallel()
	a, err := NewSchema("a", pair)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSchema("b", `"string"`)
	if err != nil {
		t.Fatal(err)
	}
	b.fingerprint = a.fingerprint // a CRC-64 collision, forced
	if _, err := NewRegistry(a, b); err == nil || !strings.Contains(err.Error(), "share fingerprint") {
		t.Errorf("NewRegistry error = %v, want a fingerprint clash", err)
	}
}
