package envelope

import (
	"testing"
	"time"
)

// FuzzDecodeV1 checks decodeV1 against the general decoder (goavro with
// the v1 writer schema, then fromNative) on envelope_v1 bodies: whatever
// decodeV1 accepts, the general decoder accepts and decodes to the same
// envelope; and every body the encoder writes, decodeV1 accepts.
func FuzzDecodeV1(f *testing.F) {
	c, err := NewCodec()
	if err != nil {
		f.Fatal(err)
	}
	v1, ok := c.known.Lookup(c.v1)
	if !ok {
		f.Fatal("the codec does not know envelope_v1")
	}
	body := func(t testing.TB, e *Envelope) []byte {
		frame, err := c.Encode(nil, e)
		if err != nil {
			t.Fatal(err)
		}
		_, b, err := ReadFingerprint(frame)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	every := minimal(ChangeSnapshot)
	every.Values = map[string]Value{
		"a": NullValue(), "b": BoolValue(true), "c": IntValue(-7), "d": LongValue(1 << 60),
		"e": FloatValue(0.25), "f": DoubleValue(-0.125), "g": StringValue("s"), "h": BytesValue([]byte("b")),
		"i": DateValue(Date{1900, 3, 1}), "j": DateTimeValue(time.UnixMilli(-42)), "k": TimeValue(time.Second),
		"l": DecimalValue(DecimalFromInt64(-5, 1)), "m": DecimalValue(DecimalFromInt64(1<<40, 30)),
	}
	for _, e := range []*Envelope{sample(), minimal(ChangeDelete), minimal(ChangeGapOverflow), every} {
		b := body(f, e)
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(append(b, 0))
	}
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, b []byte) {
		fast, fastErr := decodeV1(b)
		var slow *Envelope
		native, slowErr := v1.DecodeBody(b)
		if slowErr == nil {
			slow, slowErr = fromNative(native)
		}
		if fastErr == nil {
			if slowErr != nil {
				t.Fatalf("decodeV1 accepts a body the general decoder refuses (%v): %+v", slowErr, fast)
			}
			if d := diffEnvelope(slow, fast); d != "" {
				t.Fatalf("decodeV1 differs from the general decoder: %s", d)
			}
		}
		if slowErr != nil || slow.Validate() != nil {
			return
		}
		again := body(t, slow)
		fast, err := decodeV1(again)
		if err != nil {
			t.Fatalf("decodeV1 refuses a body the encoder wrote: %v", err)
		}
		if d := diffEnvelope(slow, fast); d != "" {
			t.Fatalf("decodeV1 of an encoded envelope: %s", d)
		}
	})
}

// TestDecodeUsesV1 checks that Decode gives the same envelopes and
// errors with decodeV1 as without it.
func TestDecodeUsesV1(t *testing.T) {
	c, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	general, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	general.v1 = 0 // no fingerprint is 0 in practice: always the general way
	frame, err := c.Encode(nil, sample())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range [][]byte{frame, frame[:len(frame)-1], append(frame, 1)} {
		got, gotErr := c.Decode(f)
		want, wantErr := general.Decode(f)
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			t.Fatalf("%d-byte frame: error %v, want %v", len(f), gotErr, wantErr)
		}
		if gotErr == nil {
			if d := diffEnvelope(want, got); d != "" {
				t.Fatalf("%d-byte frame: %s", len(f), d)
			}
		}
	}
}
