package envelope

import "testing"

func BenchmarkEncode(b *testing.B) {
	c := newCodec(b)
	e := sample()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = c.Encode(buf[:0], e)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
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
	e := sample()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = c.EncodeTo(buf[:0], "t", e)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeRegistry(b *testing.B) {
	c := registryCodec(b)
	frame, err := c.EncodeTo(nil, "t", sample())
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
