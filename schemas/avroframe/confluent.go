package avroframe

import (
	"encoding/binary"
	"fmt"
)

// RegistryHeaderLen is the length of a Confluent Schema Registry frame
// header: the magic byte 0 and the 4-byte big-endian schema id.
const RegistryHeaderLen = 5

// Framing is the wire format of a frame, told by its first bytes.
type Framing int

// The framings sfsync reads and writes.
const (
	// FramingUnknown is neither: not a frame sfsync wrote.
	FramingUnknown Framing = iota
	// FramingSingleObject is Avro single-object encoding: 0xC3 0x01 and
	// the 8-byte little-endian fingerprint (the default).
	FramingSingleObject
	// FramingRegistry is the Confluent Schema Registry wire format: the
	// magic byte 0 and the 4-byte big-endian schema id the registry gave.
	FramingRegistry
)

// FramingOf tells the framing of a frame by its first bytes: 0x00 for
// the Confluent Schema Registry wire format, 0xC3 0x01 for single-object
// encoding. It does not check the rest.
func FramingOf(frame []byte) Framing {
	switch {
	case len(frame) >= 1 && frame[0] == 0:
		return FramingRegistry
	case len(frame) >= 2 && frame[0] == 0xC3 && frame[1] == 0x01:
		return FramingSingleObject
	}
	return FramingUnknown
}

// AppendRegistryHeader appends the header of a Confluent Schema Registry
// frame for schema id to dst: the magic byte 0 and id, 4 bytes big-endian.
func AppendRegistryHeader(dst []byte, id uint32) []byte {
	return binary.BigEndian.AppendUint32(append(dst, 0), id)
}

// ReadRegistryID returns the schema id of a Confluent Schema Registry
// frame and the Avro body that follows the header, without decoding it.
// The error wraps [ErrBadFrame] when the frame is shorter than the 5-byte
// header or does not start with the magic byte 0.
func ReadRegistryID(frame []byte) (uint32, []byte, error) {
	if len(frame) < RegistryHeaderLen || frame[0] != 0 {
		return 0, nil, fmt.Errorf("%w: %d-byte frame is not a Schema Registry frame (magic byte 0, 4-byte schema id)", ErrBadFrame, len(frame))
	}
	return binary.BigEndian.Uint32(frame[1:RegistryHeaderLen]), frame[RegistryHeaderLen:], nil
}

// AppendBody appends the Avro binary body of native, a datum in goavro's
// native form, to dst without a header, for framings other than
// single-object encoding. On error it returns dst as it was.
func (s *Schema) AppendBody(dst []byte, native any) ([]byte, error) {
	out, err := s.codec.BinaryFromNative(dst, native)
	if err != nil {
		return dst, err
	}
	return out, nil
}
