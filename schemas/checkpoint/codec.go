package checkpoint

import (
	"embed"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sfsync/sfsync/schemas/avroframe"
)

// Errors of [Codec.Decode], for errors.Is. They are the sentinels of
// [avroframe], shared with the envelope codec.
var (
	// ErrBadFrame means the bytes are not a well-formed checkpoint frame:
	// too short, without the marker 0xC3 0x01, or with a body that is
	// truncated, malformed or followed by extra bytes.
	ErrBadFrame = avroframe.ErrBadFrame
	// ErrUnknownSchema means the frame names a schema fingerprint that is
	// not a published checkpoint schema.
	ErrUnknownSchema = avroframe.ErrUnknownSchema
)

// RecordName is the full Avro name of the checkpoint record; every
// published schema version has it.
const RecordName = "dev.sfsync.Checkpoint"

// published holds every checkpoint schema version, checkpoint_v1.avsc,
// checkpoint_v2.avsc, ... It is read-only.
//
//go:embed checkpoint_v*.avsc
var published embed.FS

// publishedSchemas returns the embedded schemas, oldest first.
func publishedSchemas() ([]avroframe.Version, error) {
	return avroframe.Versions(published, "checkpoint")
}

// CurrentSchema returns the text of the newest published checkpoint
// schema, the one a [Codec] writes and whose fields [Checkpoint] holds.
func CurrentSchema() string {
	versions, err := publishedSchemas()
	if err != nil {
		// Unreachable in a build whose tests pass: the files are embedded.
		panic(fmt.Sprintf("checkpoint: embedded schemas unreadable: %v", err))
	}
	return versions[len(versions)-1].Text
}

// Codec encodes checkpoints into Avro single-object frames and decodes
// frames written with any published checkpoint schema. The zero Codec is
// not usable; call [NewCodec]. A Codec is immutable and safe for
// concurrent use.
type Codec struct {
	writer *avroframe.Schema
	known  *avroframe.Registry
}

// NewCodec returns a codec that writes the newest published checkpoint
// schema and reads every published version.
func NewCodec() (*Codec, error) {
	versions, err := publishedSchemas()
	if err != nil {
		return nil, fmt.Errorf("new checkpoint codec: %w", err)
	}
	compiled := make([]*avroframe.Schema, 0, len(versions))
	for _, v := range versions {
		s, err := avroframe.NewSchema("v"+strconv.Itoa(v.Number), v.Text)
		if err != nil {
			return nil, fmt.Errorf("new checkpoint codec: schema v%d: %w", v.Number, err)
		}
		if s.Kind() != "record" || s.Name() != RecordName {
			return nil, fmt.Errorf("new checkpoint codec: schema v%d: top-level type is %s %q, want record %s", v.Number, s.Kind(), s.Name(), RecordName)
		}
		compiled = append(compiled, s)
	}
	known, err := avroframe.NewRegistry(compiled...)
	if err != nil {
		return nil, fmt.Errorf("new checkpoint codec: %w", err)
	}
	return &Codec{writer: compiled[len(compiled)-1], known: known}, nil
}

// Fingerprint returns the CRC-64-AVRO fingerprint of the schema Encode
// writes.
func (c *Codec) Fingerprint() uint64 { return c.writer.Fingerprint() }

// Encode appends the frame of cp to dst and returns the extended slice.
// It fails, leaving dst as it was, when cp breaks a rule of
// [Checkpoint.Validate]; the error then wraps [ErrInvalid].
func (c *Codec) Encode(dst []byte, cp Checkpoint) ([]byte, error) {
	if err := cp.Validate(); err != nil {
		return dst, fmt.Errorf("encode checkpoint %s: %w", cp.Key(), err)
	}
	out, err := c.writer.Append(dst, map[string]any{
		"orgId":        cp.OrgID,
		"subscription": cp.Subscription,
		"replayId":     cp.ReplayID,
		"updatedAt":    cp.UpdatedAt.UnixMilli(),
		"producerId":   cp.ProducerID,
		"gapSuspected": cp.GapSuspected,
		"gapReason":    cp.GapReason,
	})
	if err != nil {
		return dst, fmt.Errorf("encode checkpoint %s: %w", cp.Key(), err)
	}
	return out, nil
}

// Decode decodes one frame. The error wraps [ErrBadFrame] for malformed
// bytes, [ErrUnknownSchema] for an unregistered fingerprint, and
// [ErrInvalid] for a record that breaks a rule of [Checkpoint.Validate].
// The result shares no memory with frame.
func (c *Codec) Decode(frame []byte) (Checkpoint, error) {
	_, native, err := c.known.Decode(frame)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("decode checkpoint: %w", err)
	}
	m, ok := native.(map[string]any)
	if !ok {
		return Checkpoint{}, fmt.Errorf("decode checkpoint: %w: record is %T", ErrInvalid, native)
	}
	cp := Checkpoint{
		OrgID:        stringField(m, "orgId"),
		Subscription: stringField(m, "subscription"),
		ProducerID:   stringField(m, "producerId"),
		GapReason:    stringField(m, "gapReason"),
	}
	if b, ok := m["replayId"].([]byte); ok {
		cp.ReplayID = slices.Clone(b)
	}
	switch v := m["updatedAt"].(type) {
	case time.Time:
		cp.UpdatedAt = v.UTC()
	case int64:
		cp.UpdatedAt = time.UnixMilli(v).UTC()
	}
	cp.GapSuspected, _ = m["gapSuspected"].(bool)
	if err := cp.Validate(); err != nil {
		return Checkpoint{}, fmt.Errorf("decode checkpoint %s: %w", cp.Key(), err)
	}
	return cp, nil
}

// stringField returns a string field of a decoded record, or "" when the
// writer schema lacks it (its default in every published version).
func stringField(m map[string]any, name string) string {
	s, _ := m[name].(string)
	return s
}
