// Package replay keeps the producer's Salesforce replay positions: which
// replay id of a subscription may be stored, storing it, and asking the
// reconciler to re-check what a gap may have lost.
//
// A [Tracker] decides which replay id the producer may store for a
// subscription: the newest position such that it and every earlier event
// have been acknowledged by Kafka. Storing anything newer could lose events
// across a crash; storing anything older only repeats them, which the
// consumer's version guards make harmless.
//
// [Checkpoints] is the producer's side of the checkpoint topic: it loads
// the stored positions once at start ([Checkpoints.Start]) and stores a
// subscription's safe position ([Checkpoints.Save]) as a checkpoint of
// the schemas module's contract, through its Store: a compacted Kafka
// topic, one record per subscription keyed "<org id>|<subscription>",
// which the reconciler's backfill writes too. Save returns only once
// every in-sync replica has the record. Kafka rather than PostgreSQL
// holds them so that the producer depends on no service but Salesforce
// and Kafka, and a checkpoint is exactly as durable as the events it
// covers.
//
// A [ReconcileRequest] says that events of a subscription may have been
// lost before a replay id (a refused stored replay id, an event too large
// for Kafka). [Requests] writes it to the reconcile topic, where the
// reconciler reads it, as a checkpoint flagged GapSuspected, keyed like
// the checkpoints.
package replay
