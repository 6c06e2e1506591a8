// Package app wires the consumer from its configuration: PostgreSQL (the
// store, migrated at start), Redis (the optional duplicate filter), the
// Kafka writer for dead letters and GAP markers, the pipeline, and the
// HTTP endpoints (/metrics, /healthz, /readyz), in [Run]. It also holds
// --check ([Check]) and the bootstrap from the latest-state topics
// ([Bootstrap]). main only parses flags and calls them; the dead-letter
// tools are in package dlq, the connections in package connect.
package app
