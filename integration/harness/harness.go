package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Environment variables the harness reads.
const (
	// EnvKafkaBrokers holds Kafka bootstrap addresses, comma-separated.
	EnvKafkaBrokers = "SFSYNC_KAFKA_BROKERS"
	// EnvDatabaseURL holds a PostgreSQL connection URL.
	EnvDatabaseURL = "SFSYNC_DATABASE_URL"
	// EnvRedisURL holds a Redis URL (redis://host:port/db).
	EnvRedisURL = "SFSYNC_REDIS_URL"
	// EnvRequireServices, set to 1, turns a missing service from a skip into
	// a failure.
	EnvRequireServices = "SFSYNC_REQUIRE_SERVICES"
	// EnvKafkaImage names the image of the Kafka containers the harness
	// starts; default apache/kafka:4.4.0.
	EnvKafkaImage = "SFSYNC_KAFKA_IMAGE"
	// EnvPostgresImage names the image of the PostgreSQL containers;
	// default postgres:15.
	EnvPostgresImage = "SFSYNC_POSTGRES_IMAGE"
	// EnvRedisImage names the image of the Redis containers; default
	// redis:7.
	EnvRedisImage = "SFSYNC_REDIS_IMAGE"
)

// Images the harness runs when the variables above are unset: the public
// ones, which need a registry; `make images` builds stand-ins here.
const (
	defaultKafkaImage    = "apache/kafka:4.4.0"
	defaultPostgresImage = "postgres:15"
	defaultRedisImage    = "redis:7"
)

// containerStartTimeout bounds how long one container may take to start
// and become ready, an image pull included. Generous: a JVM starting on a
// busy two-core machine is slow.
const containerStartTimeout = 5 * time.Minute

// endpoint is one service's address, resolved once per test binary so that
// every test shares one broker, server or container.
type endpoint struct {
	once sync.Once
	addr string
	err  error
}

var (
	kafkaEndpoint    endpoint
	postgresEndpoint endpoint
	redisEndpoint    endpoint
)

// resolve returns the address of a service: the value of envVar when set,
// else the address of a container of spec, started once per test binary
// when a Docker engine answers. When neither works it skips the test, or
// fails it when SFSYNC_REQUIRE_SERVICES=1. It fails the test when a
// container is needed and the package's TestMain does not call [Run].
func resolve(t testing.TB, ep *endpoint, envVar string, spec serviceSpec) string {
	t.Helper()
	if strings.TrimSpace(os.Getenv(envVar)) == "" {
		requireRun(t)
	}
	ep.once.Do(func() {
		if v := strings.TrimSpace(os.Getenv(envVar)); v != "" {
			ep.addr = v
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), containerStartTimeout)
		defer cancel()
		if err := dockerHealthy(ctx); err != nil {
			ep.err = fmt.Errorf("%s is not set and no Docker engine answers: %w", envVar, err)
			return
		}
		c, err := startContainer(ctx, spec, "")
		if err != nil {
			ep.err = fmt.Errorf("%s is not set and its container did not start: %w", envVar, err)
			return
		}
		ep.addr = c.addr()
	})
	if ep.err != nil {
		unavailable(t, spec.service, ep.err)
	}
	return ep.addr
}

// unavailable skips t, or fails it when SFSYNC_REQUIRE_SERVICES=1, saying
// which service is missing and how to start one.
func unavailable(t testing.TB, service string, err error) {
	t.Helper()
	missing(t, service, err, "\n"+
		"or leave the SFSYNC_* addresses unset for containers: a Docker engine (deploy/docker/engine.sh up)\n"+
		"and local images (make images && eval \"$(deploy/docker/images.sh env)\"), as `make test-containers` does")
}

// missing is [unavailable] with the ways to get the service that the
// local stack does not give: containers, when they can.
func missing(t testing.TB, service string, err error, elsewhere string) {
	t.Helper()
	msg := fmt.Sprintf("%s unavailable: %v\n"+
		"start the local stack and point the tests at it:\n"+
		"\tmake up && eval \"$(deploy/local/stack.sh env)\"\n"+
		"or run everything with `make test`, which starts the stack itself;%s", service, err, elsewhere)
	if os.Getenv(EnvRequireServices) == "1" {
		t.Fatalf("%s\n(%s=1: a missing service fails the test)", msg, EnvRequireServices)
	}
	t.Skip(msg)
}

// testID returns a name unique to this test and call: the test's name,
// lowercased and reduced to [a-z0-9_], then a random suffix. It is a valid
// PostgreSQL identifier, Kafka topic name and Redis key part.
func testID(t testing.TB) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	name := strings.Trim(b.String(), "_")
	if name == "" || name[0] < 'a' {
		name = "t" + name
	}
	var suffix [4]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		t.Fatalf("random suffix: %v", err)
	}
	return name + "_" + hex.EncodeToString(suffix[:])
}

// cleanupContext returns a context for cleanup work, which runs after the
// test's own context is done.
func cleanupContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}
