package checkpoint

import (
	"errors"
	"testing"

	"github.com/sfsync/sfsync/schemas/internal/codectest"
)

// FuzzDecode feeds arbitrary bytes to Decode, which must return a valid
// checkpoint or an error wrapping one of the package's sentinels, and never
// panic or allocate beyond reason. A decoded checkpoint must survive a
// re-encode.
func FuzzDecode(f *testing.F) {
	c, err := NewCodec()
	if err != nil {
		f.Fatal(err)
	}
	gap := sample()
	gap.GapSuspected, gap.GapReason = true, "replay id expired; resumed from LATEST"
	for _, cp := range []Checkpoint{sample(), gap} {
		frame, err := c.Encode(nil, cp)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(frame)
		f.Add(frame[:len(frame)/2])
	}
	f.Add([]byte{})
	f.Add([]byte{0xC3, 0x01})
	f.Add(envelopeHeader())

	f.Fuzz(func(t *testing.T, frame []byte) {
		cp, err := c.Decode(frame)
		if err != nil {
			if !errors.Is(err, ErrBadFrame) && !errors.Is(err, ErrUnknownSchema) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode error wraps no sentinel: %v", err)
			}
			return
		}
		if err := cp.Validate(); err != nil {
			t.Fatalf("Decode returned an invalid checkpoint: %v", err)
		}
		if back := codectest.RoundTrip(t, c.Encode, c.Decode, cp); !equal(cp, back) {
			t.Fatalf("re-encode changed the checkpoint:\n got %+v\nwant %+v", back, cp)
		}
	})
}
