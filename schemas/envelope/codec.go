package envelope

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

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
	// ErrRegistryUnavailable means a Schema Registry frame's writer
	// schema could not be fetched from the registry for now: the frame
	// may decode later, so it is not a bad record.
	ErrRegistryUnavailable = errors.New("schema registry unavailable")
)

// Registry is a Confluent-compatible Schema Registry, as package
// [github.com/sfsync/sfsync/platform/registry]'s Client calls it.
type Registry interface {
	// Register registers schema under subject, with the subject's
	// compatibility set to BACKWARD, and returns its id.
	Register(ctx context.Context, subject, schema string) (uint32, error)
	// Schema returns the text of the schema of id; an id the registry
	// does not know wraps [ErrUnknownSchema].
	Schema(ctx context.Context, id uint32) (string, error)
}

// registryTimeout bounds each fetch of a writer schema by [Codec.Decode].
const registryTimeout = 10 * time.Second

// maxRegistrySchemas bounds the writer schemas a codec keeps by registry
// id, as the registry client and the Pub/Sub client bound theirs.
const maxRegistrySchemas = 256

// EnvelopeName is the full Avro name of the envelope record; every
// registered schema version must have it.
const EnvelopeName = "dev.sfsync.Envelope"

// published holds every envelope schema version sfsync has written to
// Kafka, envelope_v1.avsc, envelope_v2.avsc, ... It is read-only.
//
//go:embed envelope_v*.avsc
var published embed.FS

// publishedSchemas returns the embedded schemas by version, oldest first.
func publishedSchemas() ([]namedSchema, error) {
	versions, err := avroframe.Versions(published, "envelope")
	if err != nil {
		return nil, err
	}
	out := make([]namedSchema, 0, len(versions))
	for _, v := range versions {
		out = append(out, namedSchema{label: "v" + strconv.Itoa(v.Number), version: v.Number, text: v.Text})
	}
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
	extra    []string
	writer   string
	registry Registry
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

// WithRegistry makes the codec write the Confluent Schema Registry wire
// format, magic byte 0 then the 4-byte big-endian schema id, instead of
// single-object encoding, once [Codec.Register] has registered the
// writer schema for the topics written; and makes Decode fetch the writer
// schemas of Schema Registry frames from r, by id. A codec without it
// writes single-object frames and refuses Schema Registry frames with an
// error wrapping [ErrUnknownSchema].
func WithRegistry(r Registry) Option {
	return func(o *options) { o.registry = r }
}

// Codec encodes envelopes into Avro single-object frames and decodes them:
// the marker bytes 0xC3 0x01, the 8-byte little-endian CRC-64-AVRO (Rabin)
// fingerprint of the writer schema's Parsing Canonical Form, then the Avro
// binary body. Decode finds the writer schema by fingerprint among every
// registered version and resolves the record into the current [Envelope].
//
// With [WithRegistry], [Codec.EncodeTo] writes the Confluent Schema
// Registry wire format instead, and Decode reads both framings, told
// apart by the first byte (0x00 or 0xC3).
// A Codec is safe for concurrent use.
type Codec struct {
	writer     *avroframe.Schema
	writerText string
	current    *avroframe.Schema
	known      *avroframe.Registry
	// v1 is the fingerprint of envelope_v1.avsc, whose bodies decodeV1
	// decodes.
	v1 uint64

	registry Registry
	byID     *lru.Cache[uint32, *avroframe.Schema] // writer schemas by registry id
	mu       sync.RWMutex
	headers  map[string][]byte // registry frame header by topic; guarded by mu
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
	c := &Codec{
		writer: compiled[len(compiled)-1], writerText: schemas[len(schemas)-1].text,
		current: current, known: known, registry: o.registry, v1: compiled[0].Fingerprint(),
	}
	if o.registry != nil {
		c.headers = map[string][]byte{}
		if c.byID, err = lru.New[uint32, *avroframe.Schema](maxRegistrySchemas); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Register registers the writer schema under each topic's subject,
// "<topic>-value" (TopicNameStrategy), with BACKWARD compatibility, and
// keeps the ids for [Codec.EncodeTo]. It does nothing without
// [WithRegistry]. A registry that refuses the schema, as incompatible
// with the subject's latest version for example, fails it.
func (c *Codec) Register(ctx context.Context, topics ...string) error {
	if c.registry == nil {
		return nil
	}
	for _, topic := range topics {
		c.mu.RLock()
		_, done := c.headers[topic]
		c.mu.RUnlock()
		if done {
			continue
		}
		id, err := c.registry.Register(ctx, topic+"-value", c.writerText)
		if err != nil {
			return fmt.Errorf("envelope schema for topic %s: %w", topic, err)
		}
		c.byID.Add(id, c.writer)
		c.mu.Lock()
		c.headers[topic] = avroframe.AppendRegistryHeader(nil, id)
		c.mu.Unlock()
	}
	return nil
}

// RegistryID returns the schema id [Codec.EncodeTo] writes on topic, and
// false when the codec has no registry or topic is not registered.
func (c *Codec) RegistryID(topic string) (uint32, bool) {
	if c.registry == nil {
		return 0, false
	}
	c.mu.RLock()
	h, ok := c.headers[topic]
	c.mu.RUnlock()
	if !ok {
		return 0, false
	}
	id, _, _ := avroframe.ReadRegistryID(h)
	return id, true
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

// EncodeTo appends the frame of e, to be written on Kafka topic, to dst
// and returns the extended slice. With [WithRegistry] it writes the
// Confluent Schema Registry wire format with the id [Codec.Register] got
// for topic, and fails for a topic not registered; without, it is
// [Codec.Encode]. It fails, leaving dst as it was, when e breaks a rule
// of [Envelope.Validate].
func (c *Codec) EncodeTo(dst []byte, topic string, e *Envelope) ([]byte, error) {
	if c.registry == nil {
		return c.Encode(dst, e)
	}
	c.mu.RLock()
	header, ok := c.headers[topic]
	c.mu.RUnlock()
	if !ok {
		return dst, fmt.Errorf("encode envelope %s %s: topic %s has no schema id: the envelope schema is not registered for it", e.Entity, e.RecordID, topic)
	}
	if err := e.Validate(); err != nil {
		return dst, fmt.Errorf("encode envelope %s %s: %w", e.Entity, e.RecordID, err)
	}
	out, err := c.writer.AppendBody(append(dst, header...), toNative(e))
	if err != nil {
		return dst, fmt.Errorf("encode envelope %s %s: %w", e.Entity, e.RecordID, err)
	}
	return out, nil
}

// Decode decodes one frame, of either framing. The error wraps
// [ErrBadFrame] for malformed bytes, [ErrUnknownSchema] for an
// unregistered fingerprint, a schema id the registry does not know or a
// Schema Registry frame without a registry, [ErrRegistryUnavailable] when
// the registry could not be asked, and [ErrInvalid] for a record that
// breaks a rule of [Envelope.Validate]. The result shares no memory with
// frame.
func (c *Codec) Decode(frame []byte) (*Envelope, error) {
	var (
		ws   *avroframe.Schema
		body []byte
		fp   uint64 // of a single-object frame
		id   uint32 // of a Schema Registry frame
		err  error
	)
	registryFrame := avroframe.FramingOf(frame) == avroframe.FramingRegistry
	if registryFrame {
		if id, body, err = avroframe.ReadRegistryID(frame); err != nil {
			return nil, fmt.Errorf("decode envelope: %w", err)
		}
		if ws, err = c.registrySchema(id); err != nil {
			return nil, fmt.Errorf("decode envelope: %w", err)
		}
	} else {
		if fp, body, err = ReadFingerprint(frame); err != nil {
			return nil, fmt.Errorf("decode envelope: %w", err)
		}
		var ok bool
		if ws, ok = c.known.Lookup(fp); !ok {
			return nil, fmt.Errorf("decode envelope: %w: fingerprint %016x", ErrUnknownSchema, fp)
		}
	}
	// which names the writer schema in errors, formatted only for them.
	which := func() string {
		if registryFrame {
			return fmt.Sprintf("registry id %d", id)
		}
		return fmt.Sprintf("%s %016x", ws.Label(), fp)
	}
	var e *Envelope
	if ws.Fingerprint() == c.v1 {
		e, _ = decodeV1(body) // nil when it refuses: decoded again below, for goavro's error
	}
	if e == nil {
		native, err := ws.DecodeBody(body)
		if err != nil {
			return nil, fmt.Errorf("decode envelope (schema %s): %w", which(), err)
		}
		if e, err = fromNative(native); err != nil {
			return nil, fmt.Errorf("decode envelope (schema %s): %w: %w", which(), ErrInvalid, err)
		}
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("decode envelope %s %s: %w", e.Entity, e.RecordID, err)
	}
	return e, nil
}

// registrySchema returns the writer schema of registry id, from the
// codec's cache or the registry, checked like every writer schema
// ([WithSchema]).
func (c *Codec) registrySchema(id uint32) (*avroframe.Schema, error) {
	if c.registry == nil {
		return nil, fmt.Errorf("%w: a Confluent Schema Registry frame (schema id %d), but no schema registry is configured (schema_registry.url)", ErrUnknownSchema, id)
	}
	if ws, ok := c.byID.Get(id); ok {
		return ws, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), registryTimeout)
	defer cancel()
	text, err := c.registry.Schema(ctx, id)
	if errors.Is(err, ErrUnknownSchema) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRegistryUnavailable, err)
	}
	ws, err := newWriterSchema(namedSchema{label: fmt.Sprintf("registry id %d", id), text: text}, c.current)
	if err != nil {
		return nil, fmt.Errorf("%w: registry schema id %d is not an envelope schema this codec reads: %w", ErrUnknownSchema, id, err)
	}
	c.byID.Add(id, ws)
	return ws, nil
}

// ReadFingerprint returns the writer schema fingerprint of a frame and the
// Avro body that follows the header, without decoding it. The error wraps
// [ErrBadFrame] when the frame is shorter than the 10-byte header or does
// not start with the marker 0xC3 0x01. It is [avroframe.ReadFingerprint].
func ReadFingerprint(frame []byte) (uint64, []byte, error) {
	return avroframe.ReadFingerprint(frame)
}
