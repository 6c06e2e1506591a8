// Package e2e holds the end-to-end suites: the Salesforce emulator, the
// producer, consumer replicas and the reconciler run against real Kafka,
// PostgreSQL and Redis (package harness), and PostgreSQL is compared with
// the emulator field by field (compare.go) — under churn, broker and
// process faults, the three-broker chaos run, the Schema Registry interop
// with confluent-kafka, a team's bootstrap, and REST-driven changes. The
// package's only non-test code is the comparison the suites share.
package e2e
