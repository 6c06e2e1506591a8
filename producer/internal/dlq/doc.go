// Package dlq inspects and replays the producer's dead letters: the
// Salesforce events it could not turn into envelopes, which it wrote to
// its dead-letter topic as their Avro payload with the headers of package
// deadletter (reason, Pub/Sub topic, replay id, event id, schema id,
// time).
//
// [Tool.List] reads the dead-letter topic from its beginning, without a
// consumer group, and describes each dead letter; where Salesforce
// answers, it decodes the payload with its schema to name the entity,
// change type and record ids.
//
// [Tool.Replay] runs the producer's conversion again on the selected dead
// letters, with the current mapping and Salesforce's schemas: decode the
// payload with the schema that wrote it, normalise it to envelopes, give
// them their partition keys (from Salesforce where the event does not
// carry them), and write them to the mapping's topics through the same
// writer as the live stream, so keys, partitions and headers are the
// live path's. A dead letter that still cannot be converted is reported
// with its reason and nothing of it is written.
//
// # What was replayed
//
// The producer has no database, so a replay records each dead letter it
// replayed as a record of a compacted Kafka topic (the ledger,
// kafka.dead_letter_replayed_topic), keyed by the dead letter's position
// (TOPIC:PARTITION:OFFSET) and holding its event id, written once Kafka
// acknowledged every envelope of it. A later replay skips the dead letters
// the ledger holds. The same Kafka cluster holds the envelopes and the
// record of them, and compaction keeps the newest record of every key
// forever. A ledger record counts only for a dead letter of the same event
// id, so a dead-letter topic deleted and created again does not inherit
// old records. A replay that dies between the envelopes and the ledger
// record, or two replays run at once, write an event's envelopes twice;
// the consumer recognises the second by event id, record id and change
// type, and its version guards never move a row backwards, so that is
// harmless.
package dlq
