// Package topictest reads Kafka topics for the reconciler's tests: [Read]
// returns what a topic holds at the moment, by partition, and [All] the
// same records in one list. It reads with a connection to each
// partition's leader, without a consumer group, so a test sees exactly
// what its workers published.
package topictest
