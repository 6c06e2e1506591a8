package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// bin is the consumer binary, built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sfsync-consumer-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "sfsync-consumer")
	if out, err := exec.Command("go", "build", "-race", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := harness.Run(m)
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer = harness.LogBuffer

// setup is one test's services, mapping and configuration.
type setup struct {
	k        *harness.Kafka
	brokers  []string // Kafka's, k's or a private broker's
	pool     *pgxpool.Pool
	config   string
	accounts string // the Account envelope topic
	dlq      string
	metrics  string // host:port of /metrics, /healthz, /readyz
	codec    *envelope.Codec
}

const mappingText = `version: 1
objects:
  Account:
    table: account
    kafka_topic: %s
    partition_key: Territory_Key__c
    fields:
      Id: varchar(18)
      Name: text
      NumberOfEmployees: integer
      Territory_Key__c: varchar(18)
`

// newSetup creates the test's Account topic (3 partitions), PostgreSQL
// schema and Redis prefix, and writes a mapping and a configuration
// pointing at them. Extra YAML is appended to the configuration.
func newSetup(t *testing.T, extra string) *setup {
	t.Helper()
	return newSetupOn(t, nil, extra)
}

// newSetupOn is newSetup on the given brokers, such as a private
// broker's, instead of the shared Kafka's (nil).
func newSetupOn(t *testing.T, brokers []string, extra string) *setup {
	t.Helper()
	k := harness.NewKafka(t)
	pg := harness.NewPostgres(t)
	rd := harness.NewRedis(t)
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	st := &setup{k: k, brokers: brokers, pool: pg.Pool(), dlq: k.TopicName("dlq"), metrics: freeAddr(t), codec: codec}
	if brokers == nil {
		st.brokers, st.accounts = k.Brokers, k.Topic("account", 3)
	} else {
		st.accounts = k.TopicName("account")
		createTopic(t, brokers, st.accounts, 3)
	}
	dir := t.TempDir()
	st.config = filepath.Join(dir, "consumer.yaml")
	writeFile(t, filepath.Join(dir, "mapping.yaml"), fmt.Sprintf(mappingText, st.accounts))
	writeFile(t, st.config, fmt.Sprintf(`mapping: mapping.yaml
kafka:
  brokers: [%s]
  group: %s
  dead_letter_topic: %s
  refetch_topic: %s
  reconcile_topic: %s
postgres:
  url: %q
redis:
  url: %q
  prefix: %q
batch:
  wait: 10ms
metrics_addr: %s
`, strings.Join(st.brokers, ", "), k.Group("consumer"), st.dlq, k.TopicName("refetch"), k.TopicName("reconcile"), pg.URL, rd.URL, rd.Prefix, st.metrics)+extra)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = k.Client().DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{st.dlq, k.TopicName("refetch"), k.TopicName("reconcile")}})
	})
	return st
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// freeAddr returns a loopback address with a port free at the time.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is a running consumer.
type proc struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{}
	err  error
}

// start runs the binary with args and the test's configuration.
func (st *setup) start(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{logs: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"--config", st.config}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("consumer logs:\n%s", p.logs)
		}
	})
	return p
}

// stop sends SIGTERM and returns the exit status.
func (p *proc) stop(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		t.Fatal("no exit within a minute of SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode()
}

// run runs the binary to completion and returns its exit status, stdout
// and stderr.
func (st *setup) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errs syncBuffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errs
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errs.String()
}

// waitReady polls /readyz until the consumer owns its partitions and
// PostgreSQL answers.
func (st *setup) waitReady(t *testing.T, p *proc) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("consumer exited: %v", p.err)
		default:
		}
		resp, err := http.Get("http://" + st.metrics + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("not ready within a minute")
}

// account returns an Account envelope.
func account(id string, commit int64, name string) *envelope.Envelope {
	return &envelope.Envelope{
		EventID: fmt.Sprintf("ev-%s-%d", id, commit), Entity: "Account", RecordID: id, ChangeType: envelope.ChangeCreate,
		CommitNumber: commit, CommitTimestamp: time.Now().UTC().Truncate(time.Millisecond),
		Values: map[string]envelope.Value{
			"Id": envelope.StringValue(id), "Name": envelope.StringValue(name),
			"NumberOfEmployees": envelope.IntValue(int32(commit)), "Territory_Key__c": envelope.StringValue("0MI000000000001AAA"),
		},
	}
}

// send writes the values to the Account topic, keyed by record id.
func (st *setup) send(t *testing.T, values ...[]byte) {
	t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(st.brokers...), Topic: st.accounts, RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond}
	defer w.Close()
	msgs := make([]kafka.Message, len(values))
	for i, v := range values {
		msgs[i] = kafka.Message{Key: fmt.Appendf(nil, "k%d", i), Value: v}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

func (st *setup) encode(t *testing.T, e *envelope.Envelope) []byte {
	t.Helper()
	b, err := st.codec.Encode(nil, e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitRows polls until the account table holds n rows.
func (st *setup) waitRows(t *testing.T, n int) {
	t.Helper()
	var got int
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err := st.pool.QueryRow(context.Background(), "SELECT count(*) FROM account").Scan(&got); err == nil && got == n {
			return
		}
	}
	t.Fatalf("account holds %d rows, want %d", got, n)
}

// TestAppliesAndStops applies envelopes written to Kafka, serves its
// metrics, and exits 0 on SIGTERM.
func TestAppliesAndStops(t *testing.T) {
	t.Parallel()
	st := newSetup(t, "")
	p := st.start(t)
	st.waitReady(t, p)
	var values [][]byte
	for i := range 50 {
		values = append(values, st.encode(t, account(fmt.Sprintf("001%015d", i), int64(i+1), fmt.Sprint("A", i))))
	}
	st.send(t, values...)
	st.waitRows(t, 50)
	resp, err := http.Get("http://" + st.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(body.String(), `sfsync_consumer_envelopes_applied_total{entity="Account",result="changed"} 50`) {
		t.Errorf("metrics lack the applied envelopes:\n%s", body.String())
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
	if !strings.Contains(p.logs.String(), "sfsync-consumer stopped") {
		t.Errorf("no clean stop in the logs")
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	st := newSetup(t, "")
	code, out, errs := st.run(t, "--config", st.config, "--check")
	if code != 0 || !strings.Contains(out, "ok   kafka topic "+st.accounts+": 3 partitions") ||
		!strings.Contains(out, `ok   postgresql schema: the start will run 3 statements: CREATE TABLE "account"`) {
		t.Fatalf("--check: exit %d\n%s%s", code, out, errs)
	}

	// A wrong broker.
	wrong := freeAddr(t)
	cmd := exec.Command(bin, "--config", st.config, "--check")
	cmd.Env = append(os.Environ(), "SFSYNC_CONSUMER_KAFKA_BROKERS="+wrong)
	var o, e syncBuffer
	cmd.Stdout, cmd.Stderr = &o, &e
	_ = cmd.Run()
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(e.String(), "kafka at "+wrong+":") {
		t.Errorf("--check with a wrong broker: exit %d\n%s%s", cmd.ProcessState.ExitCode(), o.String(), e.String())
	}

	// A table that conflicts with the mapping.
	if _, err := st.pool.Exec(context.Background(), `CREATE TABLE account (id varchar(18) PRIMARY KEY, name integer)`); err != nil {
		t.Fatal(err)
	}
	code, out, errs = st.run(t, "--config", st.config, "--check")
	if code != 1 || !strings.Contains(errs, "mapping.yaml:9:7: Account.Name maps to column account.name as text, but the table has it as integer") {
		t.Errorf("--check with a schema conflict: exit %d\n%s%s", code, out, errs)
	}
	// The start stops with the same message.
	p := st.start(t)
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		t.Fatal("the consumer started despite the conflict")
	}
	if p.cmd.ProcessState.ExitCode() != 1 || !strings.Contains(p.logs.String(), "Account.Name maps to column account.name as text") {
		t.Errorf("start with a schema conflict: exit %d\n%s", p.cmd.ProcessState.ExitCode(), p.logs)
	}
}

// TestVersion checks that --version prints the version and exits 0
// without reading the configuration.
func TestVersion(t *testing.T) {
	t.Parallel()
	var out, errs bytes.Buffer
	args := []string{"--config", filepath.Join(t.TempDir(), "none.yaml"), "--version"}
	if code := run(context.Background(), args, &out, &errs, func(string) (string, bool) { return "", false }); code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errs.String())
	}
	if !strings.HasPrefix(out.String(), "sfsync-consumer ") {
		t.Errorf("stdout does not start with the program name:\n%s", out.String())
	}
}

func TestBadConfiguration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	writeFile(t, path, "kafka:\n  brokers: [127.0.0.1:1]\n  grup: x\npostgres:\n  url: postgres://u:hunter2@h/db?sslmode=often\n")
	st := &setup{}
	code, _, errs := st.run(t, "--config", path)
	if code != 2 || !strings.Contains(errs, "bad.yaml:3: kafka.grup: unknown key; did you mean group?") ||
		!strings.Contains(errs, "bad.yaml:5: postgres.url:") || strings.Contains(errs, "hunter2") {
		t.Errorf("exit %d:\n%s", code, errs)
	}
	for _, args := range [][]string{{"--config", path, "dlq", "list"}, {"dlq", "replay"}, {"dlq"}, {"nonsense"}, {"--config", path, "dlq", "list", "--format", "xml"}} {
		if code, _, errs := st.run(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", args, code, errs)
		}
	}
}

// TestDeadLetterReplay sends a record PostgreSQL refuses (a CHECK
// constraint) and junk bytes: both are dead-lettered and listed; once
// the constraint is dropped, a replay applies the record, and a second
// replay does not repeat it.
func TestDeadLetterReplay(t *testing.T) {
	t.Parallel()
	st := newSetup(t, "")
	p := st.start(t)
	st.waitReady(t, p)
	ctx := context.Background()
	if _, err := st.pool.Exec(ctx, `ALTER TABLE account ADD CONSTRAINT no_poison CHECK (name <> 'poison')`); err != nil {
		t.Fatal(err)
	}
	const poisonID = "001000000000000BAD"
	st.send(t, st.encode(t, account("001000000000000001", 1, "good")), st.encode(t, account(poisonID, 2, "poison")), []byte("junk bytes"))
	st.waitRows(t, 1)

	var dls []struct {
		Offset       int64
		OriginTopic  string `json:"origin_topic"`
		OriginPart   int    `json:"origin_partition"`
		OriginOffset int64  `json:"origin_offset"`
		Reason       string
		Entity       string
		RecordID     string `json:"record_id"`
		Replayed     bool
	}
	for deadline := time.Now().Add(time.Minute); len(dls) < 2; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("dead letters: %+v", dls)
		}
		code, out, errs := st.run(t, "--config", st.config, "dlq", "list", "--format", "json")
		if code != 0 {
			t.Fatalf("dlq list: exit %d\n%s%s", code, out, errs)
		}
		dls = nil
		if err := json.Unmarshal([]byte(out), &dls); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	var poison string
	for _, d := range dls {
		switch {
		case d.RecordID == poisonID:
			if d.Entity != "Account" || !strings.HasPrefix(d.Reason, "apply: ") || !strings.Contains(d.Reason, "no_poison") || d.OriginTopic != st.accounts || d.Replayed {
				t.Errorf("poison dead letter %+v", d)
			}
			poison = fmt.Sprintf("%s:%d:%d", d.OriginTopic, d.OriginPart, d.OriginOffset)
		case d.Entity == "":
			if !strings.HasPrefix(d.Reason, "decode: ") {
				t.Errorf("junk dead letter %+v", d)
			}
		default:
			t.Errorf("unexpected dead letter %+v", d)
		}
	}
	code, out, errs := st.run(t, "--config", st.config, "dlq", "list")
	if code != 0 || !strings.Contains(out, poison) || !strings.Contains(out, poisonID) || !strings.Contains(out, "2 dead letters in "+st.dlq) {
		t.Errorf("dlq list: exit %d\n%s%s", code, out, errs)
	}

	if _, err := st.pool.Exec(ctx, `ALTER TABLE account DROP CONSTRAINT no_poison`); err != nil {
		t.Fatal(err)
	}
	code, out, errs = st.run(t, "--config", st.config, "dlq", "replay", "--dry-run", "--origin-offset", poison)
	if code != 0 || !strings.Contains(out, "would replay "+st.dlq) || !strings.Contains(out, "1 dead letters would replay") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = st.run(t, "--config", st.config, "dlq", "replay", "--origin-offset", poison)
	if code != 0 || !strings.Contains(out, "1 dead letters replayed, 0 skipped") {
		t.Fatalf("replay: exit %d\n%s%s", code, out, errs)
	}
	st.waitRows(t, 2)
	var name string
	if err := st.pool.QueryRow(ctx, "SELECT name FROM account WHERE id = $1", poisonID).Scan(&name); err != nil || name != "poison" {
		t.Fatalf("replayed row: %q, %v", name, err)
	}

	ends := func() int64 {
		conn, err := kafka.DialLeader(ctx, "tcp", st.k.Brokers[0], st.accounts, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var total int64
		for part := range 3 {
			c, err := kafka.DialLeader(ctx, "tcp", st.k.Brokers[0], st.accounts, part)
			if err != nil {
				t.Fatal(err)
			}
			last, err := c.ReadLastOffset()
			c.Close()
			if err != nil {
				t.Fatal(err)
			}
			total += last
		}
		return total
	}
	before := ends()
	code, out, errs = st.run(t, "--config", st.config, "dlq", "replay", "--origin-offset", poison)
	if code != 0 || !strings.Contains(out, "0 dead letters replayed, 1 skipped as already replayed") {
		t.Fatalf("second replay: exit %d\n%s%s", code, out, errs)
	}
	if after := ends(); after != before {
		t.Errorf("the second replay wrote %d records", after-before)
	}
	code, out, errs = st.run(t, "--config", st.config, "dlq", "list")
	if code != 0 || !strings.Contains(out, "true") {
		t.Errorf("dlq list after replay: exit %d\n%s%s", code, out, errs)
	}
	if c := p.stop(t); c != 0 {
		t.Errorf("exit %d", c)
	}
}
