package harness

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// TestContainersNeedRun runs this test binary again with a TestMain that
// does not call Run and no Redis address: the harness must fail the test,
// saying what to add, rather than start a container nothing would remove.
func TestContainersNeedRun(t *testing.T) {
	if os.Getenv("HARNESS_CHILD_WITHOUT_RUN") == "1" {
		NewRedis(t)
		t.Log("redis found")
		return
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestContainersNeedRun$", "-test.v")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, EnvRedisURL+"=") && !strings.HasPrefix(kv, EnvRequireServices+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HARNESS_CHILD_WITHOUT_RUN=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("child passed without harness.Run; output:\n%s", out)
	}
	for _, want := range []string{"--- FAIL", "TestMain", "harness.Run(m)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestOrphaned(t *testing.T) {
	t.Parallel()
	dead := deadPID(t)
	self := strconv.Itoa(owner.pid)
	for _, tc := range []struct {
		scenario string
		labels   map[string]string
		want     bool
	}{
		{"owner alive", map[string]string{labelHarness: "1", labelHost: owner.host, labelPID: self, labelPIDStart: owner.pidStart}, false},
		{"owner alive, start unknown", map[string]string{labelHarness: "1", labelHost: owner.host, labelPID: self}, false},
		{"owner gone", map[string]string{labelHarness: "1", labelHost: owner.host, labelPID: dead}, true},
		{"pid recycled", map[string]string{labelHarness: "1", labelHost: owner.host, labelPID: self, labelPIDStart: "1"}, owner.pidStart != ""},
		{"no pid", map[string]string{labelHarness: "1", labelHost: owner.host}, true},
		{"another host's", map[string]string{labelHarness: "1", labelHost: owner.host + "-elsewhere", labelPID: dead}, false},
		{"not the harness's", map[string]string{labelHost: owner.host, labelPID: dead}, false},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			if got := orphaned(tc.labels); got != tc.want {
				t.Errorf("orphaned(%v) = %v, want %v", tc.labels, got, tc.want)
			}
		})
	}
}

// TestSweepRemovesOrphans creates a container as a killed test binary
// would have left it, and one of this process, and sweeps: only the first
// goes.
func TestSweepRemovesOrphans(t *testing.T) {
	t.Parallel()
	ctx, cli, image := dockerForTest(t, EnvRedisImage, defaultRedisImage)
	create := func(pid, start string) string {
		t.Helper()
		resp, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
			Config: &container.Config{Image: image, Cmd: []string{"redis-server"}, Labels: map[string]string{
				labelHarness: "1", labelHost: owner.host, labelService: "sweep-test",
				labelPID: pid, labelPIDStart: start, labelSession: owner.session,
			}},
		})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		t.Cleanup(func() {
			_, _ = cli.ContainerRemove(context.Background(), resp.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		})
		return resp.ID
	}
	orphan := create(deadPID(t), "")
	mine := create(strconv.Itoa(owner.pid), owner.pidStart)
	sweep(ctx, cli)
	if _, err := cli.ContainerInspect(ctx, orphan, client.ContainerInspectOptions{}); !cerrdefs.IsNotFound(err) {
		t.Errorf("the orphan is still there after the sweep (inspect: %v)", err)
	}
	if _, err := cli.ContainerInspect(ctx, mine, client.ContainerInspectOptions{}); err != nil {
		t.Errorf("the sweep removed a container of a live process: %v", err)
	}
}

// TestContainerPortTaken starts a container on a port another listener
// took after it was chosen: the start moves to another port.
func TestContainerPortTaken(t *testing.T) {
	t.Parallel()
	ctx, _, _ := dockerForTest(t, EnvRedisImage, defaultRedisImage)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := ln.Addr().(*net.TCPAddr).Port
	spec := redisSpec()
	var picks int
	spec.ports = func() (int, error) {
		if picks++; picks == 1 {
			return taken, nil
		}
		return fixedPort()
	}
	c, err := startContainer(ctx, spec, t.Name())
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := c.remove(); err != nil {
			t.Error(err)
		}
	})
	if c.port == taken || picks != 2 {
		t.Errorf("container on port %d after %d picks; port %d was taken", c.port, picks, taken)
	}
	opts, err := redis.ParseURL(c.addr())
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opts)
	defer rc.Close()
	if err := rc.Ping(ctx).Err(); err != nil {
		t.Errorf("ping %s: %v", c.addr(), err)
	}
}

// TestPrivateKafkaRestart stops a private broker and starts it again: it
// is back at the same address with the messages written before.
func TestPrivateKafkaRestart(t *testing.T) {
	t.Parallel()
	broker := StartPrivateKafka(t)
	k := KafkaAt(t, broker.Brokers)
	topic := k.Topic("restart", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	w := &kafka.Writer{Addr: kafka.TCP(k.Brokers...), Topic: topic, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("before")}); err != nil {
		t.Fatalf("write: %v", err)
	}

	broker.Stop()
	if c, err := net.DialTimeout("tcp", k.Brokers[0], 5*time.Second); err == nil {
		c.Close()
		t.Fatalf("%s accepts connections with the broker stopped", k.Brokers[0])
	}
	broker.Start()
	// A started broker elects the partition's leader a moment later; a
	// write before that fails with "has no leader".
	if err := k.WaitForTopic(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: k.Brokers, Topic: topic, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	m, err := r.ReadMessage(ctx)
	if err != nil {
		t.Fatalf("read after restart: %v", err)
	}
	if string(m.Value) != "before" {
		t.Errorf("read %q after restart, want before", m.Value)
	}
	if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("after")}); err != nil {
		t.Errorf("write after restart: %v", err)
	}
}

// dockerForTest returns a Docker client and the image named by envVar (or
// def), or skips t when no engine answers or the engine lacks the image:
// these tests exercise the container machinery itself and do not pull.
func dockerForTest(t *testing.T, envVar, def string) (context.Context, client.APIClient, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), containerStartTimeout)
	t.Cleanup(cancel)
	if err := dockerHealthy(ctx); err != nil {
		t.Skipf("no Docker engine: %v", err)
	}
	p, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(tclog.NewNoopLogger()))
	if err != nil {
		t.Skipf("no Docker engine: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	image := def
	if v := os.Getenv(envVar); v != "" {
		image = v
	}
	if _, err := p.Client().ImageInspect(ctx, image); err != nil {
		t.Skipf("image %s (%s): %v", image, envVar, err)
	}
	return ctx, p.Client(), image
}

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HARNESS_CHILD_WITHOUT_RUN=1")
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("run a child: %v", err)
		}
	}
	return strconv.Itoa(cmd.Process.Pid)
}

func TestClusterID(t *testing.T) {
	t.Parallel()
	for range 1000 {
		id := newClusterID()
		if len(id) != 22 || id[0] == '-' {
			t.Fatalf("cluster id %q: want 22 characters, not starting with '-'", id)
		}
	}
}
