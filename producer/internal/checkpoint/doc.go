// Package checkpoint keeps the producer's Salesforce replay positions.
//
// A [Tracker] decides which replay id the producer may store for a
// subscription: the newest position such that it and every earlier event
// have been acknowledged by Kafka. Storing anything newer could lose events
// across a crash; storing anything older only repeats them, which the
// consumer's version guards make harmless.
//
// The schemas module's checkpoint.Store keeps the stored positions durably
// in a compacted Kafka topic, one record per subscription keyed
// "<org id>|<subscription>"; the reconciler's backfill writes the same
// topic through it. The producer calls Store.Load once at start to resume
// every subscription, and Store.Save with the tracker's safe position;
// Save returns only once every in-sync replica has the record. Kafka
// rather than PostgreSQL holds them so that the producer depends on no
// service but Salesforce and Kafka, and a checkpoint is exactly as durable
// as the events it covers.
package checkpoint
