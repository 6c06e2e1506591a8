// Package compact keeps, per mapped object, a compacted Kafka topic of
// each record's latest state: a new team can bootstrap its own store by
// reading it from the beginning, without touching Salesforce or sfsync's
// PostgreSQL.
//
// # The topic
//
// [TopicName] names an object's latest-state topic: its Kafka topic plus
// a suffix, ".latest" by default (sfsync.account.latest). The topic has
// cleanup.policy=compact and is keyed by record id. The value of a live
// record is a SNAPSHOT envelope holding every mapped field, the key
// included, stamped with the newest version of the record's row
// (CommitNumber and SequenceNumber) and its Salesforce commit timestamp,
// with the version of each field in the header sfsync-versions (the
// row's _sf_base_commit, _sf_base_seq and _sf_versions, see
// schemas/latest);
// a deleted record has a tombstone (a null value), which compaction
// removes in time (delete.retention.ms). Objects sharing a Kafka topic
// share the latest-state topic; the envelopes' Entity tells them apart.
// [Compactor.EnsureTopics] creates missing topics compacted, with the
// partition count of the object's Kafka topic, and refuses an existing
// topic that is not compacted ([ErrNotCompacted]).
//
// # Following PostgreSQL
//
// The state comes from PostgreSQL as the consumer applied it, so the
// topic holds what sfsync holds, in the consumer's per-field version
// order. Every [Config.Interval] a [Compactor] reads each object's rows
// with _sf_synced_at after its watermark less [Config.Overlap] (a
// consumer transaction stamps rows when it starts and shows them when it
// commits, so rows may appear behind the watermark), publishes their
// state or a tombstone, and then stores the greatest _sf_synced_at
// published as the watermark, per object and topic, in the reconciler's
// table sfsync_reconciler_compact (created when missing). Rows seen in
// the overlap window with an unchanged _sf_synced_at are not published
// again. A topic the Compactor creates starts from an empty watermark, so
// it is filled with every row.
//
// # The position
//
// A pass reads each object's rows and the consumer's offsets
// (sfsync_consumer_offsets, the greatest next offset of its groups per
// partition of the object's Kafka topic) in one REPEATABLE READ
// snapshot. A consumer transaction writes its rows and its offsets
// together, so every envelope before those offsets has its effect in
// rows of that snapshot; the overlap makes this pass, or one before it,
// publish each of them (a row changed again is published with its newer
// state, which holds the older effect). Once every object of a Kafka
// topic has passed and its records are acknowledged,
// [Compactor.CommitPositions] commits those offsets (the smallest of the
// topic's objects'; 0 for a partition the consumer has not applied)
// under the Kafka consumer group [Config.PositionGroup], which no one
// joins: the latest-state topic then holds the effect of every envelope
// before the committed offsets. A consumer bootstrapping its own store
// fetches this position first, reads the latest-state topics to their
// end offsets, and follows the envelope topics from the position (see
// the schemas/latest package).
//
// # Reading
//
// [ReadAll] reads an object's latest-state topic from the beginning to
// the end offsets of the moment and returns the latest live state of
// each record, for verify --against compacted and for tests.
package compact
