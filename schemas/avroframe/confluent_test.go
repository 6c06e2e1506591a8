package avroframe

import (
	"errors"
	"testing"
)

func TestRegistryFraming(t *testing.T) {
	t.Parallel()
	s, err := NewSchema("t", `{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	frame := AppendRegistryHeader(nil, 0x01020304)
	frame, err = s.AppendBody(frame, map[string]any{"a": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0, 1, 2, 3, 4, 2, 'x'}; string(frame) != string(want) {
		t.Fatalf("frame = % x, want % x", frame, want)
	}
	if got := FramingOf(frame); got != FramingRegistry {
		t.Errorf("FramingOf(registry frame) = %v", got)
	}
	id, body, err := ReadRegistryID(frame)
	if err != nil || id != 0x01020304 {
		t.Fatalf("ReadRegistryID = %d, %v", id, err)
	}
	native, err := s.DecodeBody(body)
	if err != nil || native.(map[string]any)["a"] != "x" {
		t.Fatalf("DecodeBody = %v, %v", native, err)
	}
	single, err := s.Append(nil, map[string]any{"a": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if got := FramingOf(single); got != FramingSingleObject {
		t.Errorf("FramingOf(single-object frame) = %v", got)
	}
	for _, scenario := range []struct {
		name  string
		frame []byte
	}{{"empty", nil}, {"short", []byte{0, 1, 2}}, {"single-object", single}, {"other", []byte{7, 0, 0, 0, 0}}} {
		if _, _, err := ReadRegistryID(scenario.frame); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: ReadRegistryID error = %v, want ErrBadFrame", scenario.name, err)
		}
	}
	for _, f := range [][]byte{nil, {0xC3}, {0xC3, 0x02}, {1}} {
		if got := FramingOf(f); got != FramingUnknown {
			t.Errorf("FramingOf(% x) = %v, want unknown", f, got)
		}
	}
}
