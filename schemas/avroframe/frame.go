package avroframe

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/linkedin/goavro/v2"
)

// Errors of decoding, for errors.Is.
var (
	// ErrBadFrame means the bytes are not a well-formed frame: too short,
	// without the single-object marker 0xC3 0x01, or with a body that is
	// truncated, malformed or followed by extra bytes.
	ErrBadFrame = errors.New("bad frame")
	// ErrUnknownSchema means the frame names a schema fingerprint that is
	// not registered.
	ErrUnknownSchema = errors.New("unknown schema")
)

// HeaderLen is the length of a frame header: the two marker bytes and the
// 8-byte fingerprint.
const HeaderLen = 10

// Field describes one field of a record schema.
type Field struct {
	// Name is the field name.
	Name string
	// HasDefault reports whether the schema gives the field a default.
	HasDefault bool
}

// Schema is one compiled Avro writer schema. It is immutable and safe for
// concurrent use.
type Schema struct {
	label       string
	codec       *goavro.Codec
	root        *avroType
	fingerprint uint64
	canonical   string
	header      []byte // 0xC3 0x01 and the fingerprint, little-endian
}

// NewSchema compiles the JSON text of an Avro schema. The label names the
// schema in errors, such as "v1".
func NewSchema(label, text string) (*Schema, error) {
	codec, err := goavro.NewCodec(text)
	if err != nil {
		return nil, err
	}
	root, err := parseAvroSchema(text)
	if err != nil {
		return nil, err
	}
	canonical, fp, err := CanonicalForm(text)
	if err != nil {
		return nil, err
	}
	header := binary.LittleEndian.AppendUint64([]byte{0xC3, 0x01}, fp)
	return &Schema{label: label, codec: codec, root: root, fingerprint: fp, canonical: canonical, header: header}, nil
}

// Label returns the label the schema was compiled with.
func (s *Schema) Label() string { return s.label }

// Fingerprint returns the CRC-64-AVRO fingerprint of the schema's Parsing
// Canonical Form.
func (s *Schema) Fingerprint() uint64 { return s.fingerprint }

// Canonical returns the schema's Parsing Canonical Form.
func (s *Schema) Canonical() string { return s.canonical }

// Kind returns the kind of the top-level type: a primitive name, or
// record, enum, fixed, array, map or union.
func (s *Schema) Kind() string { return s.root.kind }

// Name returns the full name of the top-level type, such as
// "dev.sfsync.Envelope", or "" when it is not a named type.
func (s *Schema) Name() string { return s.root.name }

// Fields returns the fields of a top-level record, in schema order, and
// nil for any other type.
func (s *Schema) Fields() []Field {
	out := make([]Field, 0, len(s.root.fields))
	for _, f := range s.root.fields {
		out = append(out, Field{Name: f.name, HasDefault: f.hasDefault})
	}
	return out
}

// Append appends the frame of native, a datum in goavro's native form, to
// dst and returns the extended slice. On error it returns dst as it was.
func (s *Schema) Append(dst []byte, native any) ([]byte, error) {
	// goavro's SingleFromNative would write goavro's fingerprint; see
	// CanonicalForm.
	out, err := s.codec.BinaryFromNative(append(dst, s.header...), native)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// DecodeBody decodes an Avro binary body written with s into goavro's
// native form. The body must hold exactly one well-formed datum; the
// error wraps [ErrBadFrame] otherwise.
func (s *Schema) DecodeBody(body []byte) (any, error) {
	if err := guard(s.root, body); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	native, rest, err := s.codec.NativeFromBinary(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrBadFrame, len(rest))
	}
	return native, nil
}

// ReadFingerprint returns the writer schema fingerprint of a frame and the
// Avro body that follows the header, without decoding it. The error wraps
// [ErrBadFrame] when the frame is shorter than the 10-byte header or does
// not start with the marker 0xC3 0x01.
func ReadFingerprint(frame []byte) (uint64, []byte, error) {
	fp, body, err := goavro.FingerprintFromSOE(frame)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %d-byte frame: %w", ErrBadFrame, len(frame), err)
	}
	return fp, body, nil
}

// Registry holds the writer schemas a reader accepts, by fingerprint. It
// is immutable and safe for concurrent use.
type Registry struct {
	known map[uint64]*Schema
}

// NewRegistry returns a registry of schemas. Registering one schema twice
// is harmless; two different schemas with the same fingerprint are an
// error.
func NewRegistry(schemas ...*Schema) (*Registry, error) {
	r := &Registry{known: make(map[uint64]*Schema, len(schemas))}
	for _, s := range schemas {
		if prev, ok := r.known[s.fingerprint]; ok {
			if prev.canonical != s.canonical {
				return nil, fmt.Errorf("schemas %s and %s share fingerprint %016x", prev.label, s.label, s.fingerprint)
			}
			continue
		}
		r.known[s.fingerprint] = s
	}
	return r, nil
}

// Lookup returns the schema of fingerprint fp.
func (r *Registry) Lookup(fp uint64) (*Schema, bool) {
	s, ok := r.known[fp]
	return s, ok
}

// Decode decodes one frame into goavro's native form and returns the
// schema that wrote it. The error wraps [ErrBadFrame] for malformed bytes
// and [ErrUnknownSchema] for an unregistered fingerprint.
func (r *Registry) Decode(frame []byte) (*Schema, any, error) {
	fp, body, err := ReadFingerprint(frame)
	if err != nil {
		return nil, nil, err
	}
	s, ok := r.known[fp]
	if !ok {
		return nil, nil, fmt.Errorf("%w: fingerprint %016x", ErrUnknownSchema, fp)
	}
	native, err := s.DecodeBody(body)
	if err != nil {
		return nil, nil, fmt.Errorf("schema %s %016x: %w", s.label, fp, err)
	}
	return s, native, nil
}
