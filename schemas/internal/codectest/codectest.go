package codectest

import "testing"

// RoundTrip encodes v with encode, decodes the frame with decode and
// returns what it decoded; an error of either fails t at once.
func RoundTrip[T any](t testing.TB, encode func(dst []byte, v T) ([]byte, error), decode func(frame []byte) (T, error), v T) T {
	t.Helper()
	frame, err := encode(nil, v)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	got, err := decode(frame)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return got
}
