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

	t   testing.TB
	env []string
}

// StartPrivateKafka starts a broker on free loopback ports with its own
// data directory under t.TempDir, and stops it when the test ends. It
// needs what `make up` needs (Java, Maven or its cache); when the broker
// cannot start it skips t, or fails it when SFSYNC_REQUIRE_SERVICES=1.
func StartPrivateKafka(t testing.TB) *PrivateKafka {
	t.Helper()
	port, controller := freePort(t), freePort(t)
	k := &PrivateKafka{
		Brokers: []string{"127.0.0.1:" + strconv.Itoa(port)},
		t:       t,
		env: append(os.Environ(),
			"SFSYNC_STACK_DIR="+t.TempDir(),
			"SFSYNC_KAFKA_PORT="+strconv.Itoa(port),
			"SFSYNC_KAFKA_CONTROLLER_PORT="+strconv.Itoa(controller),
		),
	}
	if err := k.stack("up"); err != nil {
		unavailable(t, "private kafka", err)
	}
	t.Cleanup(func() {
		if err := k.stack("down"); err != nil {
			t.Errorf("stop private kafka: %v", err)
		}
	})
	return k
}

// Stop stops the broker gracefully; its data stays for Start.
func (k *PrivateKafka) Stop() {
	k.t.Helper()
	if err := k.stack("down"); err != nil {
		k.t.Fatalf("stop private kafka: %v", err)
	}
}

// Start starts the broker again after Stop and waits until it is healthy.
func (k *PrivateKafka) Start() {
	k.t.Helper()
	if err := k.stack("up"); err != nil {
		k.t.Fatalf("start private kafka: %v", err)
	}
}

func (k *PrivateKafka) stack(cmd string) error {
	c := exec.Command("bash", stackScript(), cmd, "kafka")
	c.Env = k.env
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("stack.sh %s kafka: %w\n%s", cmd, err, out)
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
