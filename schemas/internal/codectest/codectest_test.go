package codectest

import (
	"strconv"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	encode := func(dst []byte, n int) ([]byte, error) { return strconv.AppendInt(dst, int64(n), 10), nil }
	decode := func(frame []byte) (int, error) { return strconv.Atoi(string(frame)) }
	if got := RoundTrip(t, encode, decode, 42); got != 42 {
		t.Fatalf("RoundTrip = %d, want 42", got)
	}
}
