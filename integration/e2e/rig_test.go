package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/integration/harness/sfrig"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/load"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// bins holds the binaries TestMain builds.
var bins string

func TestMain(m *testing.M) {
	os.Exit(harness.Build{Dir: repoRoot(), Packages: []string{
		"./producer/cmd/sfsync-producer", "./consumer/cmd/sfsync-consumer", "./reconciler/cmd/sfsync-reconciler",
	}}.Run(m, &bins))
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// full reports whether the full-size runs are asked for (make test-full).
func full() bool { return os.Getenv("SFSYNC_TEST_FULL") == "1" }

// sized returns small in `make test` and big under SFSYNC_TEST_FULL=1.
func sized(small, big int) int {
	if full() {
		return big
	}
	return small
}

// pipeline is one test's Salesforce emulator, producer, and the services
// and configuration its consumers use.
type pipeline struct {
	t       testing.TB
	srv     *sffake.Server
	world   *load.World
	mapping *mapping.Mapping
	kafka   *harness.Kafka
	dir     string
	group   string
	dbURL   string
	pool    *pgxpool.Pool
	// redisURL is empty for consumers without the duplicate filter.
	redisURL, redisPrefix string
	producer              *proc
	// secured, when set, is how the services reach Kafka instead of the
	// harness's brokers (see secured_test.go).
	secured *securedKafka
	// registry is the services' schema_registry section, empty for
	// single-object framing.
	registry string
}

type services struct {
	// kafka is the cluster the pipeline runs on, such as a
	// [harness.KafkaCluster]'s through [harness.KafkaAt]; default: the
	// shared broker.
	kafka    *harness.Kafka
	dbURL    string // default: a schema of the shared PostgreSQL
	redisURL string // default: the shared Redis
	// noProducer leaves the producer to the test (p.startProducer).
	noProducer bool
	// noSeed starts with an empty org, for tests that make every change
	// themselves; the pipeline then has no world to churn.
	noSeed bool
	// poll lists objects the mapping marks `sync: poll`.
	poll []string
	// secured connects the services to Kafka's SASL_SSL listener, each as
	// its own SCRAM user, with topic and group names under the prefixes
	// of the services' ACLs; the topics the services create themselves
	// are left to them.
	secured *securedKafka
	// registryURL, when set, makes the services write and read the
	// Schema Registry framing through that registry.
	registryURL string
}

// newPipeline starts the emulator with a seeded territory org and the
// producer streaming all five territory objects into topics of the test.
func newPipeline(t testing.TB, accounts int, svc services) *pipeline {
	t.Helper()
	k := svc.kafka
	if k == nil {
		k = harness.NewKafka(t)
	}
	// A delivery allocation far above a real org's 25,000-50,000 a day, as
	// sfemu's default, so that the full-size runs are not cut off.
	srv, err := sffake.Start(sffake.WithTerritoryChangeEvents(), sffake.WithKeepalive(time.Second),
		sffake.WithLimit(sffake.LimitDailyDeliveredPlatformEvents, 1_000_000_000))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	var world *load.World
	if !svc.noSeed {
		if world, err = load.Seed(context.Background(), srv, load.Dataset{Accounts: accounts, Users: 20}, 7); err != nil {
			t.Fatal(err)
		}
	}
	p := &pipeline{t: t, srv: srv, world: world, kafka: k, dir: t.TempDir(), secured: svc.secured}
	if svc.registryURL != "" {
		p.registry = fmt.Sprintf("schema_registry:\n  url: %s\n", svc.registryURL)
	}
	p.group = p.groupName("consumer")
	text := testMapping(t, p.topic, svc.poll...)
	if p.mapping, err = mapping.Parse("mapping.yaml", []byte(text)); err != nil {
		t.Fatal(err)
	}
	harness.WriteFile(t, filepath.Join(p.dir, "mapping.yaml"), text)
	var topics []string
	for _, o := range p.mapping.Objects {
		topics = append(topics, o.KafkaTopic)
	}
	// The producer creates its compacted checkpoint topic and the
	// reconciler its compacted latest-state topics.
	owned := []string{p.topic("checkpoints")}
	for _, name := range topics {
		owned = append(owned, name+".latest")
	}
	if p.secured != nil {
		owned = append(owned, p.serviceTopics()...)
	}
	k.DeleteAtCleanup(owned...)
	if p.secured == nil {
		topics = append(topics, p.serviceTopics()...)
	}
	for _, name := range topics {
		k.CreateTopic(name, 6)
	}
	if svc.dbURL == "" {
		pg := harness.NewPostgres(t)
		p.dbURL, p.pool = pg.URL, pg.Pool()
	} else {
		p.dbURL = svc.dbURL
		if p.pool, err = pgxpool.New(context.Background(), svc.dbURL); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.pool.Close)
	}
	if svc.redisURL == "" {
		r := harness.NewRedis(t)
		p.redisURL, p.redisPrefix = r.URL, r.Prefix
	} else {
		p.redisURL, p.redisPrefix = svc.redisURL, "e2e:"
	}
	harness.WriteFile(t, filepath.Join(p.dir, "producer.yaml"), fmt.Sprintf(`
mapping: mapping.yaml
%skafka:
%s  checkpoint_topic: %s
  dead_letter_topic: %s
replay:
  policy: earliest
  reconcile_topic: %s
subscription:
  start: earliest
checkpoint_interval: 100ms
shutdown_timeout: 10s
metrics_addr: 127.0.0.1:0
%s`, sfrig.SalesforceYAML(srv), p.kafkaConn("producer"),
		p.topic("checkpoints"), p.topic("producer-dlq"), p.topic("reconcile"), p.registry))
	if !svc.noProducer {
		p.startProducer()
	}
	return p
}

// startProducer starts (or restarts) the producer.
func (p *pipeline) startProducer() {
	p.producer = p.start("producer", filepath.Join(bins, "sfsync-producer"), "--config", filepath.Join(p.dir, "producer.yaml"), "--create-topics", "6")
}

// serviceTopics are the topics the services create when missing: the
// dead-letter, reconcile-request and re-fetch topics.
func (p *pipeline) serviceTopics() []string {
	return []string{p.topic("producer-dlq"), p.topic("reconcile"), p.topic("consumer-dlq"), p.topic("refetch")}
}

// topic returns the test's name of a topic: checkpoints, producer-dlq,
// reconcile, consumer-dlq, refetch, or an object's in lower case.
func (p *pipeline) topic(name string) string {
	if p.secured != nil {
		return p.secured.topic(p.kafka, name)
	}
	return p.kafka.TopicName(name)
}

// groupName returns the test's name of the consumer group of a service,
// consumer or reconciler.
func (p *pipeline) groupName(service string) string {
	if p.secured != nil {
		return p.secured.group(p.kafka, service)
	}
	return p.kafka.Group(service)
}

// kafkaConn returns the lines of a service's kafka section that say how
// it connects: the brokers and, when secured, TLS and SASL, whose
// password [pipeline.start] passes in the environment.
func (p *pipeline) kafkaConn(service string) string {
	if p.secured != nil {
		return p.secured.conn(service)
	}
	return fmt.Sprintf("  brokers: [%s]\n", strings.Join(p.kafka.Brokers, ", "))
}

// env returns the environment of a binary of the pipeline, bin its
// file name.
func (p *pipeline) env(bin string) []string {
	if p.secured != nil {
		return append(os.Environ(), p.secured.env(strings.TrimPrefix(filepath.Base(bin), "sfsync-"))...)
	}
	return nil // the process's own
}

// testMapping is the territory mapping with the Kafka topics that topic
// names, and the objects poll marked `sync: poll`.
func testMapping(t testing.TB, topic func(string) string, poll ...string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(), "schemas", "mappings", "territory.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	header := regexp.MustCompile(`^  ([A-Za-z0-9_]+):\s*$`)
	sc := bufio.NewScanner(bytes.NewReader(data))
	polled := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "    kafka_topic:") || (polled && strings.HasPrefix(line, "    topic:")) {
			continue
		}
		out.WriteString(line + "\n")
		if m := header.FindStringSubmatch(line); m != nil {
			fmt.Fprintf(&out, "    kafka_topic: %s\n", topic(strings.ToLower(m[1])))
			polled = slices.Contains(poll, m[1])
			if polled {
				out.WriteString("    sync: poll\n")
			}
		}
	}
	return out.String()
}

// consumer starts a consumer replica, with or without Redis.
func (p *pipeline) consumer(name string, withRedis bool) *proc {
	p.t.Helper()
	cfg, port := p.consumerConfig(name, withRedis)
	pr := p.start(name, filepath.Join(bins, "sfsync-consumer"), "--config", cfg)
	pr.metrics = fmt.Sprintf("http://127.0.0.1:%d", port)
	return pr
}

// consumerConfig writes the configuration of consumer replica name and
// returns its path and the replica's metrics port.
func (p *pipeline) consumerConfig(name string, withRedis bool) (string, int) {
	p.t.Helper()
	redis := ""
	if withRedis {
		redis = fmt.Sprintf("  url: %s\n  prefix: %q\n", p.redisURL, p.redisPrefix)
	}
	cfg := filepath.Join(p.dir, name+".yaml")
	port := freePort(p.t)
	harness.WriteFile(p.t, cfg, p.consumerYAML("mapping.yaml", p.group, p.topic("consumer-dlq"), p.dbURL, port,
		"redis:\n"+redis+"batch:\n  size: 500\n  wait: 20ms\n"+p.registry))
	return cfg, port
}

// consumerYAML returns a consumer's configuration for p: the mapping
// file mappingFile, the consumer group group, the dead-letter topic dlq,
// the database at dbURL and metrics on port, followed by extra top-level
// lines.
func (p *pipeline) consumerYAML(mappingFile, group, dlq, dbURL string, port int, extra string) string {
	return fmt.Sprintf(`mapping: %s
kafka:
%s  group: %s
  dead_letter_topic: %s
  refetch_topic: %s
  reconcile_topic: %s
postgres:
  url: %q
shutdown_timeout: 10s
metrics_addr: 127.0.0.1:%d
%s`, mappingFile, p.kafkaConn("consumer"), group, dlq, p.topic("refetch"), p.topic("reconcile"), dbURL, port, extra)
}

// waitAssigned waits until every replica owns at least one partition.
func (p *pipeline) waitAssigned(replicas ...*proc) {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, r := range replicas {
		for r.metric("sfsync_consumer_partitions_assigned") < 1 {
			if time.Now().After(deadline) {
				p.t.Fatalf("%s owns no partition after 60s", r.name)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// churn makes n changes at up to rate transactions/s, without GAP events
// (those are the reconciler's), and returns when they are done.
func (p *pipeline) churn(ctx context.Context, n int, rate float64) {
	p.t.Helper()
	mix := load.DefaultMix
	mix.Gap = 0
	if _, err := p.world.Churn(ctx, load.Churn{Rate: rate, Mix: mix, MaxOps: n}); err != nil {
		p.t.Fatal(err)
	}
}

// converge waits until PostgreSQL equals the emulator, or fails the test
// with the differences after timeout.
func (p *pipeline) converge(timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		diffs, err := Compare(context.Background(), p.pool, p.srv, p.mapping, 20)
		if err == nil && len(diffs) == 0 {
			return
		}
		if p.producer != nil && p.producer.exited() {
			p.t.Fatalf("the producer exited (%v) before PostgreSQL caught up:\n%s", p.producer.waitErr, tail(p.producer.logs.String(), 3000))
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, d := range diffs {
				b.WriteString("\n  " + d.String())
			}
			p.t.Fatalf("PostgreSQL does not equal Salesforce after %s (%v):%s", timeout, err, b.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// proc is a running binary of the pipeline.
type proc struct {
	t       testing.TB
	name    string
	cmd     *exec.Cmd
	logs    *harness.LogBuffer
	done    chan struct{}
	metrics string // base URL of its metrics, once known
	waitErr error
}

var metricsAddr = regexp.MustCompile(`(?:metrics|listening)[^\n]*?(127\.0\.0\.1:\d+)`)

func (p *pipeline) start(name, bin string, args ...string) *proc {
	p.t.Helper()
	pr := &proc{t: p.t, name: name, cmd: exec.Command(bin, args...), logs: &harness.LogBuffer{}, done: make(chan struct{})}
	pr.cmd.Stdout, pr.cmd.Stderr = pr.logs, pr.logs
	pr.cmd.Env = p.env(bin)
	if err := pr.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	go func() {
		pr.waitErr = pr.cmd.Wait()
		close(pr.done)
	}()
	p.t.Cleanup(func() {
		pr.stop()
		if p.t.Failed() {
			p.t.Logf("%s log (end):\n%s", name, tail(pr.logs.String(), 4000))
		}
	})
	return pr
}

// stop sends SIGTERM and waits up to 30s, then kills.
func (pr *proc) stop() {
	select {
	case <-pr.done:
		return
	default:
	}
	_ = pr.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-pr.done:
	case <-time.After(30 * time.Second):
		pr.t.Errorf("%s did not stop within 30s of SIGTERM", pr.name)
		_ = pr.cmd.Process.Kill()
		<-pr.done
	}
}

// exited reports whether the process has ended.
func (pr *proc) exited() bool {
	select {
	case <-pr.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits for the process to end.
func (pr *proc) kill() {
	_ = pr.cmd.Process.Kill()
	<-pr.done
}

// metric returns the sum of every series of the counter or gauge name on
// pr's metrics endpoint, or -1 when it cannot be read.
func (pr *proc) metric(name string) float64 { return pr.sum(name, "") }

func (pr *proc) sum(name, label string) float64 {
	body, ok := pr.scrape()
	if !ok {
		return -1
	}
	total := 0.0
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name) || (len(line) > len(name) && line[len(name)] != '{' && line[len(name)] != ' ') ||
			!strings.Contains(line, label) {
			continue
		}
		if v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64); err == nil {
			total += v
		}
	}
	return total
}

// scrape returns the text of pr's metrics endpoint, false when it cannot
// be read.
func (pr *proc) scrape() (string, bool) {
	if pr.metrics == "" {
		// The first address logged that is not port 0 (a configuration
		// asking for any free port).
		for _, m := range metricsAddr.FindAllStringSubmatch(pr.logs.String(), -1) {
			if !strings.HasSuffix(m[1], ":0") {
				pr.metrics = "http://" + m[1]
				break
			}
		}
		if pr.metrics == "" {
			return "", false
		}
	}
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(pr.metrics + "/metrics")
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err == nil
}

// metricWith is metric restricted to the series whose labels contain
// label, such as result="unchanged".
func (pr *proc) metricWith(name, label string) float64 {
	return pr.sum(name, label)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
