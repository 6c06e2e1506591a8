// Package stream runs one Salesforce subscription of the producer: it
// reads change events from the Pub/Sub API, turns them into envelopes,
// writes them to Kafka, and stores the replay id only once Kafka holds
// every event up to it.
//
// A [Stream] resubscribes after transient failures (dropped streams,
// stalls, refused tokens, Kafka write failures) from the newest safe
// position, with jittered backoff, so that nothing is lost and events are
// at worst repeated. A stored replay id that Salesforce no longer accepts
// follows the configured [Policy]. Events that cannot become envelopes go
// to the dead-letter topic, and count as handled once Kafka holds them.
package stream
