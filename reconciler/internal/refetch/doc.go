// Package refetch repairs what change events could not say: it consumes
// the GAP_* and GAP_OVERFLOW envelopes the consumer forwards to the
// re-fetch topic, re-reads the records they name from Salesforce, and
// publishes their state as SNAPSHOT or DELETE envelopes for the consumer
// to apply; and it serves the producer's reconcile requests, sent when a
// stored replay id was refused and events may have been lost.
//
// # Re-fetch
//
// A [Refetcher] reads the re-fetch topic (default [DefaultRefetchTopic])
// in the consumer group [Config.GroupID]. For each poll of the topic (up
// to [Config.BatchSize] records) it gathers the named records per
// object and reads them with a few queries ([source.Reader.IDs], deleted
// records included):
//
//   - GAP_CREATE, GAP_UPDATE, GAP_UNDELETE and GAP_DELETE: the record is
//     published as a SNAPSHOT when it is live, as a DELETE when it is in
//     the recycle bin or unknown (a GAP_DELETE is re-read too: the record
//     may have been undeleted since).
//   - GAP_OVERFLOW (record id [pubsub.OverflowRecordID]): every record of
//     the entity whose SystemModstamp is at or after the envelope's commit
//     timestamp (less [Config.OverflowLookback]; queryAll) is published
//     the same way.
//
// Every envelope published carries the version (commit number, sequence
// number) of the GAP envelope that asked for it, so that it beats what
// the stream said before the gap and loses to what it says after.
//
// # Reconcile requests
//
// The producer writes a [checkpoint.Checkpoint] with GapSuspected set to
// the reconcile-request topic (default [DefaultReconcileTopic]) when
// Salesforce refused its stored replay id and it resumed from the
// earliest or latest event, and when it dead-lettered an event whose
// envelopes were too large for Kafka (GapReason names its records). For each request the Refetcher calls
// [Config.Reconcile] with the mapped objects streamed on that Pub/Sub
// topic.
//
// # Delivery
//
// Offsets are committed only after every envelope of the poll is
// acknowledged by Kafka (and every reconcile callback has returned), so a
// crash repeats work rather than losing it; repeats are harmless, as the
// consumer's version guard ignores an envelope it already holds. A failed
// poll is retried with backoff until it succeeds or the context ends.
// Records that cannot be decoded, or that name objects the mapping does
// not hold, are logged, counted and skipped.
package refetch
