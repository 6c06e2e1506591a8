package bus

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ReplayIDLen is the length of the replay ids the bus issues.
const ReplayIDLen = 8

// ErrMalformedReplayID reports replay id bytes that the bus never issues.
var ErrMalformedReplayID = errors.New("malformed replay id")

// EncodeReplayID returns the 8-byte big-endian form of the position v.
func EncodeReplayID(v uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, ReplayIDLen), v)
}

// ParseReplayID reads a replay id that the bus issued: exactly 8 bytes, a
// big-endian unsigned position. Any other length fails with an error
// wrapping [ErrMalformedReplayID].
func ParseReplayID(b []byte) (uint64, error) {
	if len(b) != ReplayIDLen {
		return 0, fmt.Errorf("%w: %d bytes, want %d", ErrMalformedReplayID, len(b), ReplayIDLen)
	}
	return binary.BigEndian.Uint64(b), nil
}
