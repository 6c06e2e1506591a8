// Package avroframe frames Avro records with Avro single-object encoding,
// the wire format of every sfsync contract type (the change envelope, the
// replay checkpoint):
//
//	0xC3 0x01 | CRC-64-AVRO fingerprint, 8 bytes little-endian | Avro binary body
//
// A [Schema] is one compiled writer schema: its Parsing Canonical Form,
// fingerprint and frame header. A [Registry] holds every schema version a
// reader accepts and finds the writer schema of a frame by fingerprint.
//
// The fingerprint is the Rabin fingerprint of the schema's Parsing
// Canonical Form as the Avro specification and the Java implementation
// compute it (see [CanonicalForm]): goavro's own canonical form keeps
// primitives with a logical type as {"type":"long"} instead of "long"
// (goavro issue #174), so its fingerprints differ from Java's.
//
// Frames come from Kafka and may be anything. [Schema.DecodeBody] walks the
// Avro body against the writer schema before goavro sees it (goavro
// preallocates arrays and maps by their declared counts, so a hostile
// 20-byte frame could make it allocate gigabytes), and every failure is an
// error wrapping [ErrBadFrame] or [ErrUnknownSchema], never a panic.
package avroframe
