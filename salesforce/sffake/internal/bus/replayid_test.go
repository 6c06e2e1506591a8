package bus

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseReplayID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		in       []byte
		want     uint64
		wantErr  bool
	}{
		{scenario: "P-go README example", in: []byte{0, 0, 0, 0, 0, 37, 132, 136}, want: 2458760},
		{scenario: "zero", in: make([]byte, 8), want: 0},
		{scenario: "empty", in: nil, wantErr: true},
		{scenario: "ten bytes", in: []byte{0, 0, 0, 0, 0, 0x10, 0xDB, 0x4D, 0, 0}, wantErr: true},
		{scenario: "seven bytes", in: []byte{1, 2, 3, 4, 5, 6, 7}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			got, err := ParseReplayID(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrMalformedReplayID) {
					t.Fatalf("ParseReplayID(%x) error = %v, want ErrMalformedReplayID", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseReplayID(%x) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
			if !bytes.Equal(EncodeReplayID(got), tt.in) {
				t.Fatalf("EncodeReplayID(%d) = %x, want %x", got, EncodeReplayID(got), tt.in)
			}
		})
	}
}

func FuzzParseReplayID(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 37, 132, 136})
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 0, 0x10, 0xDB, 0x4D, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseReplayID(b)
		if err != nil {
			if len(b) == ReplayIDLen || !errors.Is(err, ErrMalformedReplayID) {
				t.Fatalf("ParseReplayID(%x): unexpected error %v", b, err)
			}
			return
		}
		if !bytes.Equal(EncodeReplayID(v), b) {
			t.Fatalf("round trip of %x gave %x", b, EncodeReplayID(v))
		}
	})
}
