// Package checkpoint defines the replay checkpoint, the contract between
// the sfsync producer, which stores where each Pub/Sub API subscription
// may resume, and the reconciler, which reads them to find suspected gaps.
// One [Checkpoint] per subscription is written to a compacted Kafka topic,
// [DefaultTopic] unless configured otherwise, under the key
// [Checkpoint.Key], "<org id>|<subscription>". This package is the
// contract only: the store that creates that topic, loads the newest
// checkpoint of every key and saves new ones is
// github.com/sfsync/sfsync/platform/checkpointstore.
//
// # Wire format
//
// The Avro schema is embedded in this package (checkpoint_v1.avsc; record
// dev.sfsync.Checkpoint) and returned by [CurrentSchema]. A [Codec] frames
// each record with Avro single-object encoding, exactly as the change
// envelope is framed (package [github.com/sfsync/sfsync/schemas/avroframe]):
//
//	0xC3 0x01 | CRC-64-AVRO fingerprint, 8 bytes little-endian | Avro binary body
//
// [Codec.Decode] looks the writer schema up by fingerprint among every
// published version, so that a checkpoint stored by an older producer stays
// readable after an upgrade.
//
// # Schema evolution
//
// The rules of the envelope apply: only add fields, each with a default
// equal to the Go zero value of its [Checkpoint] field; publish each version
// as a new file checkpoint_vN.avsc and never edit a published one (a test
// pins their fingerprints).
//
// # Suspected gaps
//
// When a stored replay id is invalid or expired and the producer's replay
// policy lets it fall back to EARLIEST or LATEST (salesforce-spec.md
// §1.7.5), events may have been missed. The producer then stores the
// checkpoint with GapSuspected and a GapReason, and keeps the flag on every
// later checkpoint of the subscription until the reconciler has re-checked
// it; it is never a silent skip.
package checkpoint
