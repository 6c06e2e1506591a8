// Package harness gives tests real services: a Kafka bootstrap address, a
// PostgreSQL URL and a Redis URL, each isolated per test so that tests run in
// parallel and leave nothing behind.
//
// A service is found, in order:
//
//  1. from the environment: SFSYNC_KAFKA_BROKERS (comma-separated host:port),
//     SFSYNC_DATABASE_URL and SFSYNC_REDIS_URL, as `make up` prints them
//     (`eval "$(deploy/local/stack.sh env)"`);
//  2. from a container, when a Docker engine answers: the harness starts one
//     container per service for the whole test binary, through
//     Testcontainers' core API, on first use;
//  3. otherwise the test is skipped with a message saying how to start the
//     local stack — or fails, when SFSYNC_REQUIRE_SERVICES=1 (as in CI).
//
// # Containers
//
// The images are named by SFSYNC_KAFKA_IMAGE ([EnvKafkaImage], default
// apache/kafka:4.4.0), SFSYNC_POSTGRES_IMAGE ([EnvPostgresImage], default
// postgres:15) and SFSYNC_REDIS_IMAGE ([EnvRedisImage], default redis:7).
// An image the engine has is never pulled; a missing one is pulled once, and
// when that fails (no registry) the error names the variable to set and
// `make images`, which builds local stand-ins: `eval "$(deploy/docker/images.sh
// env)"` sets the variables to them. `make test-containers` runs the harness
// and end-to-end suites this way.
//
// Each container publishes its service on a fixed port of 127.0.0.1, chosen
// free below the kernel's ephemeral range (another is chosen when the port is
// taken before the engine binds it), so that a Kafka broker can advertise
// 127.0.0.1:port and a private service keeps its address across
// [Private.Stop] and [Private.Start]. A container is ready when the service
// answers from the host: Kafka's "Kafka Server started" line, its port and a
// metadata request; a PostgreSQL query; a Redis PING.
//
// Ryuk, Testcontainers' reaper, needs an image from a registry, so the
// harness removes its containers itself, and every package whose tests use it
// calls [Run] from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }
//
// Run removes every container the process started once the tests are done;
// a test that would start a container in a process where Run was not called
// fails, saying so. Every container is labelled org.sfsync.harness=1 with the
// owning process's pid, start time, host name and a per-process session id;
// before its first container a process removes those of processes of this
// host that are gone, such as a test binary killed by a timeout or kill -9.
// Run (and every harness call that talks to Docker) sets
// TESTCONTAINERS_RYUK_DISABLED=true and TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
// in the process environment when they are unset, before Testcontainers reads
// its configuration, so `go test` needs no setup.
//
// # Isolation
//
// [NewKafka] names topics and consumer groups after the test and a random
// suffix and deletes the topics at cleanup; [NewPostgres] creates a schema of
// its own, puts it first in the search_path of [Postgres.URL], and drops it at
// cleanup; [NewRedis] hands out a key prefix and deletes every key under it at
// cleanup. Tests that stop and start a service get one of their own from
// [StartPrivateKafka], [StartPrivatePostgres] and [StartPrivateRedis]: a
// container when the service's address variable is unset and Docker answers,
// else processes of the local stack script.
//
// # Secured Kafka
//
// [NewSecuredKafka] gives the local stack's secured listeners (SSL, and
// SASL_SSL with SCRAM-SHA-512 users that hold the services' ACLs) from
// the variables `deploy/local/stack.sh env` prints. Containers have none,
// so it skips, or fails under SFSYNC_REQUIRE_SERVICES=1, without them;
// `make test-containers` leaves the TestSecured tests out by name.
//
// # Service tests
//
// [Build] builds a test package's commands once, from TestMain, and runs
// its tests; [LogBuffer] collects a service's log; [WriteFile] writes its
// configuration; [Kafka.DeleteAtCleanup] deletes the topics a service
// creates itself. Package sfrig adds the Salesforce side: sffake and the
// configuration that points a service at it.
//
// The package is usable from any module's tests; of the sfsync modules it
// imports platform only.
package harness
