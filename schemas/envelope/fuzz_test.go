package envelope

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/sfsync/sfsync/schemas/internal/codectest"
)

// FuzzDecode feeds arbitrary bytes to Decode, which must return an envelope
// or an error wrapping one of the package's sentinels, and never panic or
// allocate beyond reason. A decoded envelope must survive a re-encode.
// Frames of both framings: the codec has a registry holding the current
// and the newer schema.
func FuzzDecode(f *testing.F) {
	reg := newMemRegistry()
	c, err := NewCodec(WithSchema(readTestdata(f, "older.avsc")), WithSchema(readTestdata(f, "newer.avsc")), WithRegistry(reg))
	if err != nil {
		f.Fatal(err)
	}
	upgraded, err := NewCodec(WithRegistry(reg), WithWriterSchema(readTestdata(f, "newer.avsc")))
	if err != nil {
		f.Fatal(err)
	}
	for _, w := range []*Codec{c, upgraded} {
		if err := w.Register(context.Background(), "t"); err != nil {
			f.Fatal(err)
		}
	}
	seeds := []*Envelope{sample(), minimal(ChangeDelete), minimal(ChangeGapOverflow)}
	every := minimal(ChangeSnapshot)
	every.Values = map[string]Value{
		"a": NullValue(), "b": BoolValue(true), "c": IntValue(-7), "d": LongValue(1 << 60),
		"e": FloatValue(0.25), "f": DoubleValue(-0.125), "g": StringValue("s"), "h": BytesValue([]byte("b")),
		"i": DateValue(Date{1900, 3, 1}), "j": DateTimeValue(time.UnixMilli(-42)), "k": TimeValue(time.Second),
		"l": DecimalValue(DecimalFromInt64(-5, 1)),
	}
	seeds = append(seeds, every)
	for _, e := range seeds {
		frame, err := c.Encode(nil, e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(frame)
		f.Add(frame[:len(frame)/2])
		for _, w := range []*Codec{c, upgraded} {
			if frame, err = w.EncodeTo(nil, "t", e); err != nil {
				f.Fatal(err)
			}
			f.Add(frame)
		}
	}
	for _, name := range []string{"older.avsc", "newer.avsc"} {
		w, err := NewCodec(WithWriterSchema(readTestdata(f, name)))
		if err != nil {
			f.Fatal(err)
		}
		frame, err := w.Encode(nil, sample())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(frame)
	}
	java, err := os.ReadFile("testdata/java_v1.frame")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(java)
	f.Add([]byte{})
	f.Add([]byte{0xC3, 0x01})
	f.Add([]byte{0xC3, 0x01, 0xa0, 0x47, 0xb1, 0x30, 0x3e, 0x9a, 0x64, 0x10})
	f.Add([]byte{0, 0, 0, 0, 1})
	f.Add([]byte{0, 0, 0, 0, 9, 2, 'x'})

	f.Fuzz(func(t *testing.T, frame []byte) {
		e, err := c.Decode(frame)
		if err != nil {
			if !errors.Is(err, ErrBadFrame) && !errors.Is(err, ErrUnknownSchema) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode error wraps no sentinel: %v", err)
			}
			return
		}
		if d := diffEnvelope(e, codectest.RoundTrip(t, c.Encode, c.Decode, e)); d != "" {
			t.Fatalf("re-encode changed the envelope: %s", d)
		}
	})
}
