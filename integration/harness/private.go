package harness

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// PrivateKafka is a single Kafka broker of a test's own, for tests that
// stop and start the broker without disturbing the tests that share the
// stack's or the container's.
type PrivateKafka struct {
	// Brokers holds the broker's address.
	Brokers []string
	*Private
}

// StartPrivateKafka starts a broker of t's own and removes it when the test
// ends. When SFSYNC_KAFKA_BROKERS is unset and a Docker engine answers, the
// broker is a container (SFSYNC_KAFKA_IMAGE) published on a fixed port of
// 127.0.0.1, so that it keeps its address across [Private.Stop] and
// [Private.Start]; otherwise the local stack script runs it on free loopback
// ports with its own data directory under t.TempDir, which needs what `make
// up` needs (Java, Maven or its cache). When the broker cannot start it
// skips t, or fails it when SFSYNC_REQUIRE_SERVICES=1.
func StartPrivateKafka(t testing.TB) *PrivateKafka {
	t.Helper()
	if p := startPrivateContainer(t, EnvKafkaBrokers, kafkaSpec()); p != nil {
		brokers := []string{p.c.addr()}
		p.URL = ""
		return &PrivateKafka{Brokers: brokers, Private: p}
	}
	port, controller := freePort(t), freePort(t)
	// Without the secured listeners (and so without the authorizer, its
	// users and ACLs): a private broker is for stopping and starting.
	p := startPrivate(t, "kafka", "SFSYNC_KAFKA_PORT="+strconv.Itoa(port),
		"SFSYNC_KAFKA_CONTROLLER_PORT="+strconv.Itoa(controller),
		"SFSYNC_KAFKA_SSL_PORT=0", "SFSYNC_KAFKA_SASL_SSL_PORT=0")
	return &PrivateKafka{Brokers: []string{"127.0.0.1:" + strconv.Itoa(port)}, Private: p}
}

// StartPrivatePostgres starts a PostgreSQL server of t's own, as
// [StartPrivateKafka] starts a broker (a container when
// SFSYNC_DATABASE_URL is unset and Docker answers), for tests that restart
// it; URL connects to its database.
func StartPrivatePostgres(t testing.TB) *Private {
	t.Helper()
	return startPrivateServer(t, EnvDatabaseURL, postgresSpec(), "postgres", "SFSYNC_PG_PORT",
		"postgres://sfsync@127.0.0.1:%d/sfsync?sslmode=disable")
}

// StartPrivateRedis starts a Redis server of t's own, as
// [StartPrivateKafka] starts a broker (a container when SFSYNC_REDIS_URL is
// unset and Docker answers), for tests that stop it; URL connects to it.
// It keeps no data across Stop, as the local stack's does not.
func StartPrivateRedis(t testing.TB) *Private {
	t.Helper()
	return startPrivateServer(t, EnvRedisURL, redisSpec(), "redis", "SFSYNC_REDIS_PORT", "redis://127.0.0.1:%d/0")
}

// startPrivateServer starts a server of t's own: a container of spec
// when envVar is unset and Docker answers, else the local stack's service
// with portVar set to a free port, its URL urlFormat with that port.
func startPrivateServer(t testing.TB, envVar string, spec serviceSpec, service, portVar, urlFormat string) *Private {
	t.Helper()
	if p := startPrivateContainer(t, envVar, spec); p != nil {
		return p
	}
	port := freePort(t)
	p := startPrivate(t, service, portVar+"="+strconv.Itoa(port))
	p.URL = fmt.Sprintf(urlFormat, port)
	return p
}

// Private is one service of a test's own: a container, or processes of the
// local stack script with their own state directory and ports.
type Private struct {
	// URL connects to a private PostgreSQL or Redis; empty for Kafka.
	URL string

	t       testing.TB
	service string
	env     []string          // for the stack script
	c       *serviceContainer // or the container
}

// startPrivateContainer starts spec's service in a container of t's own,
// removed when t ends, when envVar is unset and a Docker engine answers.
// It returns nil otherwise, for the local stack script to run the service.
func startPrivateContainer(t testing.TB, envVar string, spec serviceSpec) *Private {
	t.Helper()
	if strings.TrimSpace(os.Getenv(envVar)) != "" {
		return nil
	}
	requireRun(t)
	ctx, cancel := context.WithTimeout(context.Background(), containerStartTimeout)
	defer cancel()
	if dockerHealthy(ctx) != nil {
		return nil
	}
	c, err := startContainer(ctx, spec, t.Name())
	if err != nil {
		unavailable(t, "private "+spec.service, err)
	}
	t.Cleanup(func() {
		if err := c.remove(); err != nil {
			t.Errorf("private %s: %v", spec.service, err)
		}
	})
	return &Private{URL: c.addr(), t: t, service: spec.service, c: c}
}

// privateStartTimeout bounds, in seconds, how long a test's own service
// may take to become healthy, unless SFSYNC_STACK_START_TIMEOUT says.
const privateStartTimeout = 300

func startPrivate(t testing.TB, service string, env ...string) *Private {
	base := append(os.Environ(), "SFSYNC_STACK_DIR="+t.TempDir())
	if _, ok := os.LookupEnv("SFSYNC_STACK_START_TIMEOUT"); !ok {
		// A test's own service starts while the rest of the suite runs
		// beside it: a busy machine gets more than the stack's 90 s.
		base = append(base, "SFSYNC_STACK_START_TIMEOUT="+strconv.Itoa(privateStartTimeout))
	}
	p := &Private{t: t, service: service, env: append(base, env...)}
	if err := p.stack("up"); err != nil {
		unavailable(t, "private "+service, err)
	}
	t.Cleanup(func() {
		if err := p.stack("down"); err != nil {
			t.Errorf("stop private %s: %v", service, err)
		}
	})
	return p
}

// Stop stops the service gracefully; its data stays for Start.
func (p *Private) Stop() {
	p.t.Helper()
	p.toggle("stop", "down", (*serviceContainer).stop)
}

// Start starts the service again after Stop, at the same address, and
// waits until it is healthy.
func (p *Private) Start() {
	p.t.Helper()
	p.toggle("start", "up", (*serviceContainer).start)
}

// toggle stops or starts the service: its container with op, or its stack
// script processes with the script's command cmd; verb names it in errors.
func (p *Private) toggle(verb, cmd string, op func(*serviceContainer, context.Context) error) {
	p.t.Helper()
	var err error
	if p.c != nil {
		ctx, cancel := context.WithTimeout(context.Background(), containerStartTimeout)
		defer cancel()
		err = op(p.c, ctx)
	} else {
		err = p.stack(cmd)
	}
	if err != nil {
		p.t.Fatalf("%s private %s: %v", verb, p.service, err)
	}
}

func (p *Private) stack(cmd string) error { return p.script(cmd, p.service) }

// script runs the stack script's command cmd on services (its second
// argument) with p's state directory and ports.
func (p *Private) script(cmd, services string) error {
	c := exec.Command("bash", stackScript(), cmd, services)
	c.Env = p.env
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("stack.sh %s %s: %w\n%s", cmd, services, err, out)
	}
	return nil
}

// stackScript returns the path of deploy/local/stack.sh, found from this
// source file's location in the repository.
func stackScript() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "deploy", "local", "stack.sh")
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
