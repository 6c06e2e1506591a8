package envelope

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"

	"github.com/sfsync/sfsync/schemas/avroframe"
)

// Errors of [Codec.Decode] and [Codec.Encode], for errors.Is.
var (
	// ErrBadFrame means the bytes are not a well-formed envelope frame: too
	// short, without the single-object marker 0xC3 0x01, or with a body
	// that is truncated, malformed or followed by extra bytes.
	// It is [avroframe.ErrBadFrame], shared by every sfsync frame codec.
	ErrBadFrame = avroframe.ErrBadFrame
	// ErrUnknownSchema means the frame names a schema fingerprint that is
	// not registered with the codec.
	// It is [avroframe.ErrUnknownSchema].
	ErrUnknownSchema = avroframe.ErrUnknownSchema
	// ErrInvalid means the envelope breaks a rule of [Envelope.Validate].
	ErrInvalid = errors.New("invalid envelope")
)

// EnvelopeName is the full Avro name of the envelope record; every
// registered schema version must have it.
const EnvelopeName = "dev.sfsync.Envelope"

// published holds every envelope schema version sfsync has written to
// Kafka, envelope_v1.avsc, envelope_v2.avsc, ... It is read-only.
//
//go:embed envelope_v*.avsc
var published embed.FS

var versionFile = regexp.MustCompile(`^envelope_v([1-9][0-9]*)\.avsc$`)

// publishedSchemas returns the embedded schemas by version, oldest first.
func publishedSchemas() ([]namedSchema, error) {
	entries, err := fs.ReadDir(published, ".")
	if err != nil {
		return nil, err
	}
	out := make([]namedSchema, 0, len(entries))
	for _, entry := range entries {
		match := versionFile.FindStringSubmatch(entry.Name())
		if match == nil {
			return nil, fmt.Errorf("schema file %s is not named envelope_vN.avsc", entry.Name())
		}
		version, _ := strconv.Atoi(match[1])
		text, err := fs.ReadFile(published, entry.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, namedSchema{label: "v" + match[1], version: version, text: string(text)})
	}
	if len(out) == 0 {
		return nil, errors.New("no embedded schema")
	}
	slices.SortFunc(out, func(a, b namedSchema) int { return a.version - b.version })
	return out, nil
}

type namedSchema struct {
	label   string
	version int
	text    string
}

// CurrentSchema returns the text of the newest published envelope schema,
// the one a default [Codec] writes and whose fields [Envelope] holds.
func CurrentSchema() string {
	schemas, err := publishedSchemas()
	if err != nil {
		// Unreachable in a build whose tests pass: the files are embedded.
		panic(fmt.Sprintf("envelope: embedded schemas unreadable: %v", err))
	}
	return schemas[len(schemas)-1].text
}

// Option configures a [Codec].
type Option func(*options)

type options struct {
	extra  []string
	writer string
}

// WithSchema registers an additional writer schema that Decode accepts, for
// example a newer version that upgraded producers already write while this
// process still runs the old code. The schema must be a record named
// [EnvelopeName] that has every field of the current version that lacks a
// default.
func WithSchema(avsc string) Option {
	return func(o *options) { o.extra = append(o.extra, avsc) }
}

// WithWriterSchema makes Encode write with avsc instead of the current
// version, and registers it like [WithSchema]. Use it to keep writing an
// older version until every consumer knows the new one. Fields the Go type
// lacks are written with their schema defaults.
func WithWriterSchema(avsc string) Option {
	return func(o *options) { o.writer = avsc }
}

// Codec encodes envelopes into Avro single-object frames and decodes them:
// the marker bytes 0xC3 0x01, the 8-byte little-endian CRC-64-AVRO (Rabin)
// fingerprint of the writer schema's Parsing Canonical Form, then the Avro
// binary body. Decode finds the writer schema by fingerprint among every
// registered version and resolves the record into the current [Envelope].
// A Codec is immutable and safe for concurrent use.
type Codec struct {
	writer *avroframe.Schema
	known  *avroframe.Registry
}

// NewCodec returns a codec that knows every published envelope schema
// version and writes the newest one, as changed by opts.
func NewCodec(opts ...Option) (*Codec, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	schemas, err := publishedSchemas()
	if err != nil {
		return nil, fmt.Errorf("new envelope codec: %w", err)
	}
	current, err := avroframe.NewSchema("current", schemas[len(schemas)-1].text)
	if err != nil {
		return nil, fmt.Errorf("new envelope codec: current schema: %w", err)
	}
	for i, text := range o.extra {
		schemas = append(schemas, namedSchema{label: "extra " + strconv.Itoa(i+1), text: text})
	}
	if o.writer != "" {
		schemas = append(schemas, namedSchema{label: "writer", text: o.writer})
	}

	compiled := make([]*avroframe.Schema, 0, len(schemas))
	for _, s := range schemas {
		ws, err := newWriterSchema(s, current)
		if err != nil {
			return nil, fmt.Errorf("new envelope codec: schema %s: %w", s.label, err)
		}
		compiled = append(compiled, ws)
	}
	known, err := avroframe.NewRegistry(compiled...)
	if err != nil {
		return nil, fmt.Errorf("new envelope codec: %w", err)
	}
	// The last one writes: the writer option, or the newest version.
	return &Codec{writer: compiled[len(compiled)-1], known: known}, nil
}

// newWriterSchema compiles s and checks that the current reader can resolve
// its records: same record name, and every current field without a
// default present.
func newWriterSchema(s namedSchema, current *avroframe.Schema) (*avroframe.Schema, error) {
	ws, err := avroframe.NewSchema(s.label, s.text)
	if err != nil {
		return nil, err
	}
	if ws.Kind() != "record" || ws.Name() != EnvelopeName {
		return nil, fmt.Errorf("top-level type is %s %q, want record %s", ws.Kind(), ws.Name(), EnvelopeName)
	}
	fields := ws.Fields()
	for _, want := range current.Fields() {
		if want.HasDefault {
			continue
		}
		if !slices.ContainsFunc(fields, func(f avroframe.Field) bool { return f.Name == want.Name }) {
			return nil, fmt.Errorf("lacks field %s, which has no default", want.Name)
		}
	}
	return ws, nil
}

// Fingerprint returns the CRC-64-AVRO fingerprint of the schema Encode
// writes.
func (c *Codec) Fingerprint() uint64 {
	return c.writer.Fingerprint()
}

// Knows reports whether Decode accepts frames written with the schema of
// fingerprint fp.
func (c *Codec) Knows(fp uint64) bool {
	_, ok := c.known.Lookup(fp)
	return ok
}

// Encode appends the frame of e to dst and returns the extended slice. It
// fails, leaving dst as it was, when e breaks a rule of [Envelope.Validate].
func (c *Codec) Encode(dst []byte, e *Envelope) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return dst, fmt.Errorf("encode envelope %s %s: %w", e.Entity, e.RecordID, err)
	}
	out, err := c.writer.Append(dst, toNative(e))
	if err != nil {
		return dst, fmt.Errorf("encode envelope %s %s: %w", e.Entity, e.RecordID, err)
	}
	return out, nil
}

// Decode decodes one frame. The error wraps [ErrBadFrame] for malformed
// bytes, [ErrUnknownSchema] for an unregistered fingerprint, and
// [ErrInvalid] for a record that breaks a rule of [Envelope.Validate]. The
// result shares no memory with frame.
func (c *Codec) Decode(frame []byte) (*Envelope, error) {
	fp, body, err := ReadFingerprint(frame)
	if err != nil {
		return nil, fmt.Errorf("decode envelope: %w", err)
	}
	ws, ok := c.known.Lookup(fp)
	if !ok {
		return nil, fmt.Errorf("decode envelope: %w: fingerprint %016x", ErrUnknownSchema, fp)
	}
	native, err := ws.DecodeBody(body)
	if err != nil {
		return nil, fmt.Errorf("decode envelope (schema %s %016x): %w", ws.Label(), fp, err)
	}
	e, err := fromNative(native)
	if err != nil {
		return nil, fmt.Errorf("decode envelope (schema %s %016x): %w: %w", ws.Label(), fp, ErrInvalid, err)
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("decode envelope %s %s: %w", e.Entity, e.RecordID, err)
	}
	return e, nil
}

// ReadFingerprint returns the writer schema fingerprint of a frame and the
// Avro body that follows the header, without decoding it. The error wraps
// [ErrBadFrame] when the frame is shorter than the 10-byte header or does
// not start with the marker 0xC3 0x01. It is [avroframe.ReadFingerprint].
func ReadFingerprint(frame []byte) (uint64, []byte, error) {
	return avroframe.ReadFingerprint(frame)
}
