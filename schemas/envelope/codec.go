package envelope

import (
	"embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"

	"github.com/linkedin/goavro/v2"
)

// Errors of [Codec.Decode] and [Codec.Encode], for errors.Is.
var (
	// ErrBadFrame means the bytes are not a well-formed envelope frame: too
	// short, without the single-object marker 0xC3 0x01, or with a body
	// that is truncated, malformed or followed by extra bytes.
	ErrBadFrame = errors.New("bad frame")
	// ErrUnknownSchema means the frame names a schema fingerprint that is
	// not registered with the codec.
	ErrUnknownSchema = errors.New("unknown schema")
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
	writer *writerSchema
	known  map[uint64]*writerSchema
}

type writerSchema struct {
	label       string // v1, v2, ... or "extra 1" for schemas given as options
	codec       *goavro.Codec
	root        *avroType
	fingerprint uint64
	canonical   string
	header      []byte // 0xC3 0x01 and the fingerprint, little-endian
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
	current, err := parseAvroSchema(schemas[len(schemas)-1].text)
	if err != nil {
		return nil, fmt.Errorf("new envelope codec: current schema: %w", err)
	}
	for i, text := range o.extra {
		schemas = append(schemas, namedSchema{label: "extra " + strconv.Itoa(i+1), text: text})
	}
	if o.writer != "" {
		schemas = append(schemas, namedSchema{label: "writer", text: o.writer})
	}

	c := &Codec{known: make(map[uint64]*writerSchema, len(schemas))}
	for _, s := range schemas {
		ws, err := newWriterSchema(s, current)
		if err != nil {
			return nil, fmt.Errorf("new envelope codec: schema %s: %w", s.label, err)
		}
		if prev, ok := c.known[ws.fingerprint]; ok {
			if prev.canonical != ws.canonical {
				return nil, fmt.Errorf("new envelope codec: schemas %s and %s share fingerprint %016x", prev.label, s.label, ws.fingerprint)
			}
		} else {
			c.known[ws.fingerprint] = ws
		}
		c.writer = ws // the last one: the writer option, or the newest version
	}
	return c, nil
}

// newWriterSchema compiles s and checks that the current reader can resolve
// its records: same record name, and every current field without a
// default present.
func newWriterSchema(s namedSchema, current *avroType) (*writerSchema, error) {
	codec, err := goavro.NewCodec(s.text)
	if err != nil {
		return nil, err
	}
	root, err := parseAvroSchema(s.text)
	if err != nil {
		return nil, err
	}
	if root.kind != "record" || root.name != EnvelopeName {
		return nil, fmt.Errorf("top-level type is %s %q, want record %s", root.kind, root.name, EnvelopeName)
	}
	for _, want := range current.fields {
		if want.hasDefault {
			continue
		}
		if !slices.ContainsFunc(root.fields, func(f avroField) bool { return f.name == want.name }) {
			return nil, fmt.Errorf("lacks field %s, which has no default", want.name)
		}
	}
	canonical, fp, err := canonicalForm(s.text)
	if err != nil {
		return nil, err
	}
	header := binary.LittleEndian.AppendUint64([]byte{0xC3, 0x01}, fp)
	return &writerSchema{label: s.label, codec: codec, root: root, fingerprint: fp, canonical: canonical, header: header}, nil
}

// canonicalForm returns the Parsing Canonical Form of a schema and its
// CRC-64-AVRO fingerprint, as the Avro specification and the Java
// implementation compute them. goavro's own form is not used as it is:
// goavro reduces {"type":"long"} to "long" only when no other attribute is
// present, so a logicalType attribute leaves it unreduced (goavro issue
// #174) and the fingerprint differs from every Java reader's. Stripping the
// attributes the canonical form ignores first makes goavro's form agree.
func canonicalForm(text string) (string, uint64, error) {
	var raw any
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return "", 0, err
	}
	stripped, err := json.Marshal(stripSchema(raw))
	if err != nil {
		return "", 0, err
	}
	codec, err := goavro.NewCodec(string(stripped))
	if err != nil {
		return "", 0, fmt.Errorf("canonical form: %w", err)
	}
	return codec.CanonicalSchema(), codec.Rabin, nil
}

// stripSchema drops every attribute of a schema that its Parsing Canonical
// Form ignores (doc, aliases, default, order, logicalType and the like).
func stripSchema(raw any) any {
	switch v := raw.(type) {
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = stripSchema(item)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for key, item := range v {
			switch key {
			case "type", "fields", "items", "values":
				out[key] = stripSchema(item)
			case "name", "namespace", "symbols", "size":
				out[key] = item
			}
		}
		return out
	}
	return raw
}

// Fingerprint returns the CRC-64-AVRO fingerprint of the schema Encode
// writes.
func (c *Codec) Fingerprint() uint64 {
	return c.writer.fingerprint
}

// Knows reports whether Decode accepts frames written with the schema of
// fingerprint fp.
func (c *Codec) Knows(fp uint64) bool {
	_, ok := c.known[fp]
	return ok
}

// Encode appends the frame of e to dst and returns the extended slice. It
// fails, leaving dst as it was, when e breaks a rule of [Envelope.Validate].
func (c *Codec) Encode(dst []byte, e *Envelope) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return dst, fmt.Errorf("encode envelope %s %s: %w", e.Entity, e.RecordID, err)
	}
	// goavro's SingleFromNative would write goavro's fingerprint; see
	// canonicalForm.
	out, err := c.writer.codec.BinaryFromNative(append(dst, c.writer.header...), toNative(e))
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
	ws, ok := c.known[fp]
	if !ok {
		return nil, fmt.Errorf("decode envelope: %w: fingerprint %016x", ErrUnknownSchema, fp)
	}
	if err := guard(ws.root, body); err != nil {
		return nil, fmt.Errorf("decode envelope (schema %s %016x): %w: %w", ws.label, fp, ErrBadFrame, err)
	}
	native, rest, err := ws.codec.NativeFromBinary(body)
	if err != nil {
		return nil, fmt.Errorf("decode envelope (schema %s %016x): %w: %w", ws.label, fp, ErrBadFrame, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("decode envelope (schema %s %016x): %w: %d trailing bytes", ws.label, fp, ErrBadFrame, len(rest))
	}
	e, err := fromNative(native)
	if err != nil {
		return nil, fmt.Errorf("decode envelope (schema %s %016x): %w: %w", ws.label, fp, ErrInvalid, err)
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("decode envelope %s %s: %w", e.Entity, e.RecordID, err)
	}
	return e, nil
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
