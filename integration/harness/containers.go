package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Labels on every container the harness starts. The sweep reads the
// owner's labels to find containers whose test binary is gone.
const (
	// labelHarness, set to 1, marks a container as the harness's:
	// `docker ps -a --filter label=org.sfsync.harness` lists them all.
	labelHarness = "org.sfsync.harness"
	// labelSession is a random id of the owning test binary's run.
	labelSession = "org.sfsync.harness.session"
	// labelPID is the owning test binary's process id, and labelPIDStart
	// its start time (clock ticks after boot, from /proc), so that a
	// recycled pid is not taken for the owner.
	labelPID      = "org.sfsync.harness.pid"
	labelPIDStart = "org.sfsync.harness.pid-start"
	// labelHost is the owner's host name: only containers of this host's
	// processes are swept, the engine may serve others.
	labelHost = "org.sfsync.harness.host"
	// labelService names the service (kafka, postgres, redis) and
	// labelTest the test a private container belongs to.
	labelService = "org.sfsync.harness.service"
	labelTest    = "org.sfsync.harness.test"
)

// Testcontainers settings the harness makes when they are unset; see
// [Run] and the package doc.
var testcontainersDefaults = [...]struct{ name, value string }{
	// Ryuk's image cannot be had without a registry; the harness removes
	// its containers itself.
	{"TESTCONTAINERS_RYUK_DISABLED", "true"},
	// Ports are published on 127.0.0.1 only, and inside a container
	// testcontainers-go would guess the Docker bridge's gateway instead.
	{"TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1"},
}

// stopTimeout is how long a private service may take to stop gracefully
// before the engine kills it.
const stopTimeout = time.Minute

// bindAttempts bounds how many host ports a container start tries when the
// port chosen is taken before the engine binds it.
const bindAttempts = 5

// owner is what this process knows of the containers it started. A test
// binary is one owner; the labels above name it.
var owner = struct {
	session  string
	pid      int
	pidStart string
	host     string

	configure sync.Once
	run       atomic.Bool // Run was called
	sweep     sync.Once

	mu   sync.Mutex
	live map[string]*serviceContainer // by container id
}{
	session:  randomHex(8),
	pid:      os.Getpid(),
	pidStart: processStart(os.Getpid()),
	host:     hostname(),
	live:     map[string]*serviceContainer{},
}

// Run runs the tests of m and then removes every container this process
// started, returning the exit code for os.Exit: m's, or 1 when m passed
// but a container could not be removed. Every package whose tests use the
// harness calls it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }
//
// Without it the harness refuses to start containers (the test fails
// saying so), since nothing else would remove them: Ryuk, Testcontainers'
// reaper, is off. Run also sets TESTCONTAINERS_RYUK_DISABLED=true and
// TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 when they are unset, before
// Testcontainers reads its configuration.
func Run(m *testing.M) int {
	configureTestcontainers()
	owner.run.Store(true)
	code := m.Run()
	if err := removeContainers(); err != nil {
		fmt.Fprintf(os.Stderr, "harness: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// configureTestcontainers sets the Testcontainers defaults that are unset.
// Testcontainers reads its configuration once, on first use; the harness
// calls this before each of its uses.
func configureTestcontainers() {
	owner.configure.Do(func() {
		for _, d := range testcontainersDefaults {
			if _, ok := os.LookupEnv(d.name); !ok {
				_ = os.Setenv(d.name, d.value)
			}
		}
	})
}

// errNoRun is why a container is not started in a process whose TestMain
// does not call Run.
var errNoRun = errors.New("this test needs a container, but the package's TestMain does not call harness.Run, " +
	"so nothing would remove it; add\n\tfunc TestMain(m *testing.M) { os.Exit(harness.Run(m)) }\n" +
	"to the package's tests (or call harness.Run(m) in place of m.Run() in the TestMain it has)")

// requireRun fails t unless Run was called in this process.
func requireRun(t testing.TB) {
	t.Helper()
	if !owner.run.Load() {
		t.Fatal(errNoRun)
	}
}

// dockerHealthy reports whether a Docker engine answers Testcontainers.
func dockerHealthy(ctx context.Context) (err error) {
	configureTestcontainers()
	// The provider panics on some broken Docker setups; that means no engine.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker provider: %v", r)
		}
	}()
	p, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(tclog.NewNoopLogger()))
	if err != nil {
		return err
	}
	defer p.Close()
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return p.Health(hctx)
}

// serviceSpec says how to run one service in a container published on a
// fixed port of 127.0.0.1.
type serviceSpec struct {
	service      string // kafka, postgres or redis
	imageEnv     string // the variable naming the image
	defaultImage string
	// containerPort is the port the service listens on in the container
	// when published on host port p.
	containerPort func(p int) int
	// env is the container's environment when published on host port p.
	env func(p int) map[string]string
	cmd []string
	// addr is what tests connect to: host:port or a URL.
	addr func(p int) string
	// ready returns the wait for the n-th start (1 for the first) of the
	// service on host port p.
	ready func(p, n int) wait.Strategy
	// ports, when not nil, replaces fixedPort in tests.
	ports func() (int, error)
}

// serviceContainer is one container the harness started.
type serviceContainer struct {
	spec   serviceSpec
	image  string
	ctr    *testcontainers.DockerContainer
	port   int // on 127.0.0.1
	starts int
}

// addr returns the address tests connect to.
func (c *serviceContainer) addr() string { return c.spec.addr(c.port) }

// startContainer starts spec's service in a container of this process,
// published on a free fixed port of 127.0.0.1, and waits until it is
// ready. test names the test owning a private container, empty for a
// shared one. The container is removed by Run at the latest.
func startContainer(ctx context.Context, spec serviceSpec, test string) (*serviceContainer, error) {
	configureTestcontainers()
	provider, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(tclog.NewNoopLogger()))
	if err != nil {
		return nil, err
	}
	defer provider.Close()
	cli := provider.Client()
	owner.sweep.Do(func() { sweep(ctx, cli) })

	image := spec.defaultImage
	if v := strings.TrimSpace(os.Getenv(spec.imageEnv)); v != "" {
		image = v
	}
	if err := ensureImage(ctx, cli, image, spec.imageEnv); err != nil {
		return nil, err
	}
	ports := spec.ports
	if ports == nil {
		ports = fixedPort
	}
	var c *serviceContainer
	for attempt := 1; ; attempt++ {
		port, err := ports()
		if err != nil {
			return nil, err
		}
		c = &serviceContainer{spec: spec, image: image, port: port}
		err = c.create(ctx, test)
		if err == nil {
			break
		}
		if !isBindError(err) || attempt == bindAttempts {
			return nil, fmt.Errorf("%s container (%s) on 127.0.0.1:%d: %w", spec.service, image, c.port, err)
		}
		// Another process took the port between the check and the bind.
	}
	if err := c.waitReady(ctx); err != nil {
		if rerr := c.remove(); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return nil, err
	}
	return c, nil
}

// create creates and starts the container on c.port. A container that was
// created but did not start is removed.
func (c *serviceContainer) create(ctx context.Context, test string) error {
	cport := c.spec.containerPort(c.port)
	exposed := strconv.Itoa(cport) + "/tcp"
	labels := map[string]string{
		labelHarness:  "1",
		labelSession:  owner.session,
		labelPID:      strconv.Itoa(owner.pid),
		labelPIDStart: owner.pidStart,
		labelHost:     owner.host,
		labelService:  c.spec.service,
	}
	if test != "" {
		labels[labelTest] = test
	}
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(tclog.NewNoopLogger()),
		testcontainers.WithName(fmt.Sprintf("sfsync-harness-%s-%s-%d", c.spec.service, owner.session, c.port)),
		testcontainers.WithLabels(labels),
		testcontainers.WithEnv(c.spec.env(c.port)),
		testcontainers.WithExposedPorts(exposed),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{network.MustParsePort(exposed): {{
				HostIP:   netip.MustParseAddr("127.0.0.1"),
				HostPort: strconv.Itoa(c.port),
			}}}
		}),
	}
	if len(c.spec.cmd) > 0 {
		opts = append(opts, testcontainers.WithCmd(c.spec.cmd...))
	}
	// Testcontainers pulls an image only when the engine lacks it (no
	// WithAlwaysPull); ensureImage has made sure it has it.
	ctr, err := testcontainers.Run(ctx, c.image, opts...)
	if ctr != nil {
		c.ctr = ctr
		track(c)
	}
	if err != nil {
		if ctr != nil {
			if rerr := c.remove(); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		return err
	}
	c.starts = 1
	return nil
}

// waitReady waits until the service answers from the host after its
// latest start.
func (c *serviceContainer) waitReady(ctx context.Context) error {
	if err := c.spec.ready(c.port, c.starts).WaitUntilReady(ctx, c.ctr); err != nil {
		return fmt.Errorf("%s container %s (%s) at %s not ready: %w%s",
			c.spec.service, shortID(c.ctr.GetContainerID()), c.image, c.addr(), err, logTail(c.ctr))
	}
	return nil
}

// stop stops the container gracefully; its data stays for start.
func (c *serviceContainer) stop(ctx context.Context) error {
	timeout := stopTimeout
	return c.ctr.Stop(ctx, &timeout)
}

// start starts the stopped container again, on the same port, and waits
// until it is ready. While another process holds the port it retries
// until ctx is done: tests reconnect to that address, so no other will do.
func (c *serviceContainer) start(ctx context.Context) error {
	for {
		err := c.ctr.Start(ctx)
		if err == nil {
			break
		}
		if !isBindError(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("127.0.0.1:%d was taken by another process while the %s container was stopped: %w",
				c.port, c.spec.service, err)
		case <-time.After(time.Second):
		}
	}
	c.starts++
	return c.waitReady(ctx)
}

// remove stops and removes the container with its volumes.
func (c *serviceContainer) remove() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.ctr.Terminate(ctx, testcontainers.StopTimeout(0)); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove %s container %s: %w", c.spec.service, shortID(c.ctr.GetContainerID()), err)
	}
	untrack(c)
	return nil
}

func track(c *serviceContainer) {
	owner.mu.Lock()
	defer owner.mu.Unlock()
	owner.live[c.ctr.GetContainerID()] = c
}

func untrack(c *serviceContainer) {
	owner.mu.Lock()
	defer owner.mu.Unlock()
	delete(owner.live, c.ctr.GetContainerID())
}

// removeContainers removes every container this process started that is
// still there.
func removeContainers() error {
	owner.mu.Lock()
	live := make([]*serviceContainer, 0, len(owner.live))
	for _, c := range owner.live {
		live = append(live, c)
	}
	owner.mu.Unlock()
	var errs []error
	for _, c := range live {
		if err := c.remove(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("containers left behind (docker ps -a --filter label=%s): %w", labelHarness, err)
	}
	return nil
}

// sweep removes the harness's containers whose owning process on this host
// is gone, such as those of a test binary that was killed; it reports what
// it removed on stderr and does not fail.
func sweep(ctx context.Context, cli client.APIClient) {
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", labelHarness+"=1"),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "harness: listing leftover containers: %v\n", err)
		return
	}
	for _, s := range list.Items {
		if !orphaned(s.Labels) {
			continue
		}
		_, err := cli.ContainerRemove(ctx, s.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		switch {
		case err == nil:
			fmt.Fprintf(os.Stderr, "harness: removed %s container %s left by process %s, which is gone\n",
				s.Labels[labelService], shortID(s.ID), s.Labels[labelPID])
		case cerrdefs.IsNotFound(err), cerrdefs.IsConflict(err):
			// Another test binary's sweep is removing it.
		default:
			fmt.Fprintf(os.Stderr, "harness: removing leftover container %s: %v\n", shortID(s.ID), err)
		}
	}
}

// orphaned reports whether a container with these labels belongs to a
// process of this host that is gone.
func orphaned(labels map[string]string) bool {
	if labels[labelHarness] != "1" || labels[labelHost] != owner.host {
		return false
	}
	pid, err := strconv.Atoi(labels[labelPID])
	return err != nil || pid <= 0 || !processAlive(pid, labels[labelPIDStart])
}

// ensureImage makes sure the engine has image. One that is missing is
// pulled once; when that fails (no registry) the error says how to build
// the local images and which variable points at them. Testcontainers'
// own pull would retry for minutes.
func ensureImage(ctx context.Context, cli client.APIClient, image, envVar string) error {
	_, err := cli.ImageInspect(ctx, image)
	if err == nil {
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("inspect image %s: %w", image, err)
	}
	resp, err := cli.ImagePull(ctx, image, client.ImagePullOptions{})
	if err == nil {
		err = resp.Wait(ctx)
		_ = resp.Close()
	}
	if err == nil {
		_, err = cli.ImageInspect(ctx, image)
	}
	if err != nil {
		return fmt.Errorf("image %s is not on this Docker engine and pulling it failed: %w\n"+
			"build local images with `make images` (deploy/docker/images.sh deps) and set %s to one, "+
			"as `eval \"$(deploy/docker/images.sh env)\"` does", image, err, envVar)
	}
	return nil
}

// isBindError reports whether a container failed to start because its host
// port was taken.
func isBindError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "address already in use") || strings.Contains(s, "port is already allocated")
}

// Fixed host ports are drawn from fixedPortLow up to the kernel's
// ephemeral range, which connect() and listeners on port 0 draw from: no
// other test takes such a port by chance while a private service is
// stopped and its port is free.
const fixedPortLow = 20000

// fixedPort returns a port of 127.0.0.1 that is free now.
func fixedPort() (int, error) {
	if hi := ephemeralLow(); hi-fixedPortLow >= 1000 {
		for range 100 {
			p := fixedPortLow + mathrand.IntN(hi-fixedPortLow)
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				continue
			}
			_ = ln.Close()
			return p, nil
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ephemeralLow returns the first port of the kernel's ephemeral range, or
// 0 when it is unknown.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(f[0])
	return n
}

// processAlive reports whether process pid runs and, when start is not
// empty, started at start (so is not another process with a recycled pid).
func processAlive(pid int, start string) bool {
	if _, err := os.Stat("/proc/self/stat"); err == nil {
		got := processStart(pid)
		return got != "" && (start == "" || got == start)
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, os.ErrPermission)
}

// processStart returns the start time of process pid in clock ticks after
// boot, from /proc; empty when there is no such process, it is a zombie, or
// there is no /proc.
func processStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// pid (comm) state ppid ... starttime is the 22nd field; comm may hold
	// spaces and parentheses, so count from the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return ""
	}
	return f[19]
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// logTail returns the last lines of a container's log, to explain why it
// did not become ready.
func logTail(ctr *testcontainers.DockerContainer) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := ctr.Logs(ctx)
	if err != nil {
		return ""
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil || len(b) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return "\ncontainer log (last lines):\n\t" + strings.Join(lines, "\n\t")
}

// probe is a wait strategy that polls check from the host until it
// succeeds, and gives up early when the container stops running.
type probe struct {
	what  string
	check func(context.Context) error
}

// WaitUntilReady implements wait.Strategy.
func (p probe) WaitUntilReady(ctx context.Context, target wait.StrategyTarget) error {
	for {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		last := p.check(actx)
		cancel()
		if last == nil {
			return nil
		}
		if st, err := target.State(ctx); err == nil && !st.Running {
			return fmt.Errorf("%s: the container is %s (exit code %d); last error: %w", p.what, st.Status, st.ExitCode, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w; last error: %w", p.what, ctx.Err(), last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
