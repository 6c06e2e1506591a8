// Package envelope defines the change envelope, the contract between the
// sfsync producer, the reconciler and the consumer: one [Envelope] per
// changed Salesforce record, written to Kafka as an Avro record.
//
// # Wire format
//
// The Avro schema is embedded in this package (envelope_v1.avsc; record
// dev.sfsync.Envelope) and returned by [CurrentSchema]. A [Codec] frames each
// record with Avro single-object encoding:
//
//	0xC3 0x01 | CRC-64-AVRO fingerprint, 8 bytes little-endian | Avro binary body
//
// The fingerprint is the Rabin fingerprint of the schema's Parsing Canonical
// Form as the Avro specification defines it, so that Java and other readers
// compute the same value. (goavro's own canonical form keeps primitives with
// a logical type as {"type":"long"} instead of "long", goavro issue #174, so
// its fingerprints differ from Java's; package
// [github.com/sfsync/sfsync/schemas/avroframe], which frames every sfsync
// record, strips logical types before taking goavro's form and writes the
// header itself.) Every record
// thus names the schema version that wrote it, and [Codec.Decode] looks the
// writer schema up by fingerprint.
//
// With [WithRegistry], the codec writes the Confluent Schema Registry wire
// format instead ([Codec.EncodeTo]):
//
//	0x00 | schema id, 4 bytes big-endian | Avro binary body
//
// after [Codec.Register] registered the writer schema under each topic's
// subject "<topic>-value" with BACKWARD compatibility. Decode reads both
// framings, told apart by the first byte, and fetches the writer schema
// of an unknown registry id from the registry (at most 256 kept).
//
// # Values
//
// Field values are typed: a [Value] holds one of the [Kind]s of the Avro
// union of the values map, from null to [Date], date-time, time of day and
// exact [Decimal]. Values, changed fields and nulled fields are keyed by
// flat field names (the mapping's field names, such as BillingCity), not by
// the paths of change events (BillingAddress.City): the producer translates
// them, so that change events and the reconciler's snapshots read from the
// REST API look the same.
//
// # Schema evolution
//
// Records stay in Kafka for days and in dead-letter topics for longer, so
// every published schema version must stay readable:
//
//   - Only add fields, and give every new field a default equal to the Go
//     zero value of its [Envelope] field ("" , 0, empty array or map), which
//     is what the decoder supplies when an older writer lacks the field.
//   - Never remove, rename or retype a field, and never reorder or remove
//     enum symbols or union branches; appending new union branches or enum
//     symbols is a new version too.
//   - Publish each version as a new file envelope_vN.avsc beside the old
//     ones; never edit a published file (a test pins their fingerprints).
//     The newest file is the current schema, which [Envelope] mirrors.
//   - Roll out readers first: deploy consumers that know version N (or pass
//     it to [WithSchema]) before producers write it, or have producers keep
//     writing the old version with [WithWriterSchema] until then.
//
// goavro does not perform Avro schema resolution, so [Codec.Decode] decodes
// with the writer schema into goavro's native form and converts that into
// the current [Envelope] by field name: fields the writer lacks take their
// defaults, fields the reader does not know are ignored, and int widens to
// long. [NewCodec] checks that every registered writer schema has each
// current field that has no default.
//
// # Untrusted input
//
// Frames come from Kafka and may be anything. Decode checks the frame
// header, walks the Avro body against the writer schema before goavro sees
// it (goavro preallocates arrays and maps by their declared counts), and
// validates the result; every failure is an error wrapping [ErrBadFrame],
// [ErrUnknownSchema] or [ErrInvalid], never a panic.
package envelope
