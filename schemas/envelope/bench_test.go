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

func BenchmarkDecode(b *testing.B) {
	c := newCodec(b)
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
}
