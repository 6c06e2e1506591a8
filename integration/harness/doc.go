// Package harness gives tests real services: a Kafka bootstrap address, a
// PostgreSQL URL and a Redis URL, each isolated per test so that tests run in
// parallel and leave nothing behind.
//
// A service is found, in order:
//
//  1. from the environment: SFSYNC_KAFKA_BROKERS (comma-separated host:port),
//     SFSYNC_DATABASE_URL and SFSYNC_REDIS_URL, as `make up` prints them
//     (`eval "$(deploy/local/stack.sh env)"`);
//  2. from Testcontainers, when a Docker engine answers: its kafka, postgres
//     and redis modules start one container per service for the whole test
//     binary, reaped when it exits;
//  3. otherwise the test is skipped with a message saying how to start the
//     local stack — or fails, when SFSYNC_REQUIRE_SERVICES=1 (as in CI).
//
// Isolation: [NewKafka] names topics and consumer groups after the test and a
// random suffix and deletes the topics at cleanup; [NewPostgres] creates a
// schema of its own, puts it first in the search_path of [Postgres.URL], and
// drops it at cleanup; [NewRedis] hands out a key prefix and deletes every key
// under it at cleanup.
//
// The package is usable from any module's tests; it imports no sfsync module.
package harness
