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

	"github.com/testcontainers/testcontainers-go"
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
)

// containerStartTimeout bounds how long Testcontainers may take to start one
// service, image pull included.
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
// else what start returns from a container when a Docker engine answers.
// When neither works it skips the test, or fails it when
// SFSYNC_REQUIRE_SERVICES=1.
func resolve(t testing.TB, ep *endpoint, service, envVar string, start func(context.Context) (string, error)) string {
	t.Helper()
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
		ep.addr, ep.err = start(ctx)
		if ep.err != nil {
			ep.err = fmt.Errorf("%s is not set and its container did not start: %w", envVar, ep.err)
		}
	})
	if ep.err != nil {
		unavailable(t, service, ep.err)
	}
	return ep.addr
}

// dockerHealthy reports whether a Docker engine answers Testcontainers.
func dockerHealthy(ctx context.Context) (err error) {
	// The provider panics on some broken Docker setups; that means no engine.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker provider: %v", r)
		}
	}()
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return err
	}
	defer p.Close()
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return p.Health(hctx)
}

// unavailable skips t, or fails it when SFSYNC_REQUIRE_SERVICES=1, saying
// which service is missing and how to start one.
func unavailable(t testing.TB, service string, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s unavailable: %v\n"+
		"start the local stack and point the tests at it:\n"+
		"\tmake up && eval \"$(deploy/local/stack.sh env)\"\n"+
		"or run everything with `make test`, which starts the stack itself", service, err)
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
