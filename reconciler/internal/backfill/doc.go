// Package backfill loads every record of the mapped objects into Kafka
// as SNAPSHOT envelopes, so that a consumer starting from an empty
// database ends with the whole org, and hands over to the stream without
// losing or reordering a change.
//
// # What it does
//
// [Run] reads each chosen object (every mapped object by default) with a
// Bulk API 2.0 query job, or with a REST query when a SELECT COUNT() finds
// fewer records than [Config.BulkThreshold], and publishes each live
// record as a SNAPSHOT envelope stamped with [publish.BaseVersion] through
// a [publish.Publisher], in batches of [Config.BatchSize]. Deleted records
// are not published: the consumer starts empty, and a later verify
// handles stale rows.
//
// # Coordination with the stream
//
// Before the first record is read, Run records the replay position of
// every Pub/Sub topic the chosen objects stream (a LATEST subscription:
// the first keepalive's latest replay id, or the first event's replay
// id), and writes it as the producer's checkpoint, a [checkpoint.Checkpoint]
// with ProducerID "sfsync-reconciler/backfill", to the producer's compacted
// checkpoint topic, unless the producer already has a checkpoint for that
// topic, which is then left as it is.
//
// This order makes the snapshot and the stream complete together, as
// Debezium's initial snapshot does. Every change committed before the
// position was recorded is older than the snapshot's reads, so the
// snapshot holds its effect. Every change committed after it lies after
// the checkpoint, so the producer, resuming from the checkpoint, streams
// it. A change in between may be seen twice — in the snapshot and in the
// stream — which is harmless: the snapshots carry BaseVersion, older than
// every streamed change, so the consumer's per-field version guard keeps
// the streamed value whatever the order in which the two arrive, and a
// streamed DELETE wins over a snapshot of the record read before it. Had
// the position been taken after the snapshot, a change committed during
// the snapshot but after the record's read would be lost. When the
// producer already had a checkpoint it is already streaming (or will
// resume from where it stopped), the same guard orders its changes with
// the snapshot, and the backfill only fills what the stream has not said.
//
// The producer might write its first checkpoint between Run's read of the
// topic and its own write; Run's checkpoint is then the older position,
// and a restarted producer replays a little more, which the guards absorb.
//
// # Resuming
//
// Progress is kept in PostgreSQL, in tables of the reconciler's own
// (sfsync_reconciler_backfill and sfsync_reconciler_backfill_position,
// created when missing), under [Config.RunName]: the recorded replay
// positions and their checkpoint outcome, and per object its bulk job id,
// the locator of the first page not yet published, the records done, and
// whether it is done. A page's row is updated only once Kafka has
// acknowledged every envelope of the page, so a restart with the same run
// name resumes each object at its first unpublished page with
// [bulk.Client.Resume] and records no position again. A page published
// twice is harmless: the same envelopes, absorbed by the consumer's
// guards. When the job or its locator is gone (Salesforce keeps results
// for seven days), the object starts over, with a warning. Objects read
// through REST are small and start over after a crash. A run holds a
// PostgreSQL advisory lock on its name; a second run of the name waits up
// to 30 s for it (a run killed a moment ago still holds it until
// PostgreSQL ends its session), then is refused with [ErrRunning].
//
// # Progress
//
// When [Config.Out] is a terminal, one line per object is redrawn in
// place with records done, the total when known, records per second and
// the time left; otherwise a plain line is written every
// [Config.ProgressInterval] and when an object starts and ends.
package backfill
