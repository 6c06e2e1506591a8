package harness

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// PrivateKafka is a single Kafka broker of a test's own, run by the local
// stack script, for tests that stop and start the broker without
// disturbing the tests that share the stack's.
type PrivateKafka struct {
	// Brokers holds the broker's address.
	Brokers []string
	*Private
}

// StartPrivateKafka starts a broker on free loopback ports with its own
// data directory under t.TempDir, and stops it when the test ends. It
// needs what `make up` needs (Java, Maven or its cache); when the broker
// cannot start it skips t, or fails it when SFSYNC_REQUIRE_SERVICES=1.
func StartPrivateKafka(t testing.TB) *PrivateKafka {
	t.Helper()
	port, controller := freePort(t), freePort(t)
	p := startPrivate(t, "kafka", "SFSYNC_KAFKA_PORT="+strconv.Itoa(port),
		"SFSYNC_KAFKA_CONTROLLER_PORT="+strconv.Itoa(controller))
	return &PrivateKafka{Brokers: []string{"127.0.0.1:" + strconv.Itoa(port)}, Private: p}
}

// StartPrivatePostgres starts a PostgreSQL server of t's own, as
// [StartPrivateKafka] starts a broker, for tests that restart it; URL
// connects to its database.
func StartPrivatePostgres(t testing.TB) *Private {
	t.Helper()
	port := strconv.Itoa(freePort(t))
	p := startPrivate(t, "postgres", "SFSYNC_PG_PORT="+port)
	p.URL = "postgres://sfsync@127.0.0.1:" + port + "/sfsync?sslmode=disable"
	return p
}

// StartPrivateRedis starts a Redis server of t's own, as
// [StartPrivateKafka] starts a broker, for tests that stop it; URL
// connects to it.
func StartPrivateRedis(t testing.TB) *Private {
	t.Helper()
	port := strconv.Itoa(freePort(t))
	p := startPrivate(t, "redis", "SFSYNC_REDIS_PORT="+port)
	p.URL = "redis://127.0.0.1:" + port + "/0"
	return p
}

// Private is one service of a test's own, run by the local stack script
// with its own state directory and ports.
type Private struct {
	// URL connects to a private PostgreSQL or Redis; empty for Kafka.
	URL string

	t       testing.TB
	service string
	env     []string
}

func startPrivate(t testing.TB, service string, env ...string) *Private {
	p := &Private{t: t, service: service,
		env: append(append(os.Environ(), "SFSYNC_STACK_DIR="+t.TempDir()), env...)}
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
	if err := p.stack("down"); err != nil {
		p.t.Fatalf("stop private %s: %v", p.service, err)
	}
}

// Start starts the service again after Stop and waits until it is
// healthy.
func (p *Private) Start() {
	p.t.Helper()
	if err := p.stack("up"); err != nil {
		p.t.Fatalf("start private %s: %v", p.service, err)
	}
}

func (p *Private) stack(cmd string) error {
	c := exec.Command("bash", stackScript(), cmd, p.service)
	c.Env = p.env
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("stack.sh %s %s: %w\n%s", cmd, p.service, err, out)
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
