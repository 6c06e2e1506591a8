package envelope

import "testing"

func BenchmarkEncode(b *testing.B) {
	c := newCodec(b)
	benchEncode(b, func(dst []byte, e *Envelope) ([]byte, error) { return c.Encode(dst, e) })
}

// BenchmarkDecode decodes a v1 frame by decodeV1 (v1), and the general
// way (general: goavro, then fromNative), in the same run.
func BenchmarkDecode(b *testing.B) {
	for _, general := range []bool{false, true} {
		name := "v1"
		if general {
			name = "general"
		}
		b.Run(name, func(b *testing.B) {
			c := newCodec(b)
			if general {
				c.v1 = 0
			}
			frame, err := c.Encode(nil, sample())
			benchDecode(b, c, frame, err)
		})
	}
}

// registryCodec returns a codec writing the Schema Registry framing to
// topic "t", with an in-memory registry.
func registryCodec(b *testing.B) *Codec {
	c := newCodec(b, WithRegistry(newMemRegistry()))
	if err := c.Register(b.Context(), "t"); err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkEncodeRegistry(b *testing.B) {
	c := registryCodec(b)
	benchEncode(b, func(dst []byte, e *Envelope) ([]byte, error) { return c.EncodeTo(dst, "t", e) })
}

func BenchmarkDecodeRegistry(b *testing.B) {
	c := registryCodec(b)
	frame, err := c.EncodeTo(nil, "t", sample())
	benchDecode(b, c, frame, err)
}

// benchEncode measures encode, appending the sample envelope to a
// reused buffer.
func benchEncode(b *testing.B, encode func(dst []byte, e *Envelope) ([]byte, error)) {
	e := sample()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = encode(buf[:0], e)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// benchDecode measures c decoding frame, which encoding it failed to
// make when err is not nil.
func benchDecode(b *testing.B, c *Codec, frame []byte, err error) {
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}
