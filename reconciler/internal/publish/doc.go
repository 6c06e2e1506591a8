// Package publish writes the reconciler's corrective envelopes to Kafka:
// SNAPSHOT envelopes with a record's full state and DELETE envelopes, on
// the object's Kafka topic and keyed by its partition key as the producer
// keys them, so that the consumer stays the only writer of rows and its
// version guards order them with the stream.
package publish
