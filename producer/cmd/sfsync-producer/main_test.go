package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer = harness.SyncBuffer

type setup struct {
	s        *sffake.Server
	k        *harness.Kafka
	config   string
	accounts string // the Account Kafka topic
}

// newSetup starts sffake, and writes a mapping and a producer
// configuration that point at it and at the test's own Kafka topics.
func newSetup(t *testing.T) *setup {
	t.Helper()
	k := harness.NewKafka(t)
	s, err := sffake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	dir := t.TempDir()
	st := &setup{s: s, k: k, config: filepath.Join(dir, "producer.yaml"), accounts: k.TopicName("account")}
	writeFile(t, filepath.Join(dir, "mapping.yaml"), fmt.Sprintf(`
objects:
  Account:
    kafka_topic: %s
    partition_key: Territory_Key__c
    fields:
      Id: varchar(18)
      Name: text
      Territory_Key__c: varchar(18)
`, st.accounts))
	writeFile(t, st.config, fmt.Sprintf(`
mapping: mapping.yaml
salesforce:
  pubsub_endpoint: %s
  plaintext: true
  access_token: %s
  instance_url: %s
  org_id: %s
kafka:
  brokers: [%s]
  checkpoint_topic: %s
  dead_letter_topic: %s
replay:
  reconcile_topic: %s
checkpoint_interval: 50ms
shutdown_timeout: 10s
metrics_addr: 127.0.0.1:0
`, s.PubSubAddr(), s.AccessToken(), s.URL(), s.OrgID(), strings.Join(k.Brokers, ", "),
		k.TopicName("checkpoints"), k.TopicName("dlq"), k.TopicName("reconcile")))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = k.Client().DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{
			st.accounts, k.TopicName("checkpoints"), k.TopicName("dlq"), k.TopicName("reconcile"),
		}})
	})
	return st
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func noEnv(string) (string, bool) { return "", false }

// start runs the producer in-process; stop signals it and returns its
// exit status.
func (st *setup) start(t *testing.T, args ...string) (stop func() int, logs *syncBuffer) {
	t.Helper()
	logs = &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- run(ctx, append([]string{"--config", st.config}, args...), logs, logs, noEnv) }()
	return func() int { cancel(); return <-code }, logs
}

// countAccounts reads the Account topic from the start until it holds
// want envelopes, and returns them.
func (st *setup) countAccounts(t *testing.T, want int) []envelope.Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	st.waitForTopic(ctx, t)
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: st.k.Brokers, GroupTopics: []string{st.accounts}, GroupID: st.k.Group(fmt.Sprint(want)), StartOffset: kafka.FirstOffset, MaxWait: 50 * time.Millisecond})
	defer r.Close()
	var out []envelope.Envelope
	for len(out) < want {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read with %d of %d envelopes: %v", len(out), want, err)
		}
		e, err := codec.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, *e)
	}
	return out
}

func (st *setup) create(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		if _, err := st.s.Create("Account", map[string]any{"Name": fmt.Sprint("A", i), "Territory_Key__c": "0MI000000000001AAA"}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRunResumesAfterRestart runs the producer, stops it with a signal,
// changes records while it is down, and starts it again: it resumes from
// its checkpoint in Kafka and repeats nothing.
func TestRunResumesAfterRestart(t *testing.T) {
	t.Parallel()
	st := newSetup(t)
	stop, logs := st.start(t, "--create-topics", "3")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("producer logs:\n%s", logs)
		}
	})
	st.create(t, 20)
	st.countAccounts(t, 20)
	if code := stop(); code != 0 {
		t.Fatalf("exit %d; logs:\n%s", code, logs)
	}
	st.create(t, 15)
	stop, logs = st.start(t)
	got := st.countAccounts(t, 35)
	if code := stop(); code != 0 {
		t.Fatalf("exit %d; logs:\n%s", code, logs)
	}
	seen := map[string]int{}
	for _, e := range got {
		seen[e.RecordID]++
	}
	if len(seen) != 35 {
		t.Errorf("%d distinct records in Kafka, want 35", len(seen))
	}
	if strings.Contains(logs.String(), st.s.AccessToken()) {
		t.Error("the access token reached the logs")
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	st := newSetup(t)
	var out, errs syncBuffer
	if code := run(context.Background(), []string{"--config", st.config, "--check"}, &out, &errs, noEnv); code != 1 {
		t.Fatalf("--check with the Account topic missing: exit %d, want 1\n%s%s", code, out.String(), errs.String())
	}
	if !strings.Contains(errs.String(), st.accounts+" (Account): missing") {
		t.Errorf("--check does not name the missing topic:\n%s", errs.String())
	}
	st.k.Topic("account", 3)
	out, errs = syncBuffer{}, syncBuffer{}
	if code := run(context.Background(), []string{"--config", st.config, "--check"}, &out, &errs, noEnv); code != 0 {
		t.Fatalf("--check: exit %d\n%s%s", code, out.String(), errs.String())
	}
	for _, want := range []string{"ok   salesforce: connected", "ok   salesforce topic /data/AccountChangeEvent", "ok   kafka topic " + st.accounts + " (Account): 3 partitions"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--check output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestVersion checks that --version prints the version and exits 0
// without --config.
func TestVersion(t *testing.T) {
	t.Parallel()
	var out, errs syncBuffer
	if code := run(context.Background(), []string{"--version"}, &out, &errs, noEnv); code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errs.String())
	}
	if !strings.HasPrefix(out.String(), "sfsync-producer ") {
		t.Errorf("stdout does not start with the program name:\n%s", out.String())
	}
}

func TestBadConfiguration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	writeFile(t, path, "kafka:\n  brokers: []\n  sasl:\n    mechanism: SCRAM\n")
	var out, errs syncBuffer
	if code := run(context.Background(), []string{"--config", path}, &out, &errs, noEnv); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errs.String(), "bad.yaml:4") || !strings.Contains(errs.String(), "kafka.sasl.mechanism") {
		t.Errorf("error does not name the file, line and key:\n%s", errs.String())
	}
	if code := run(context.Background(), nil, &out, &errs, noEnv); code != 2 {
		t.Errorf("no --config: exit %d, want 2", code)
	}
}

// TestUnknownVariable checks that a mistyped override stops the start
// with the variable's name and the one meant, not the file's value in
// force without a word.
func TestUnknownVariable(t *testing.T) {
	t.Setenv("SFSYNC_PRODUCER_KAFKA_SASL_PASWORD", "hunter2")
	var out, errs syncBuffer
	if code := run(context.Background(), []string{"--config", "../../producer.example.yaml"}, &out, &errs, noEnv); code != 2 {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, errs.String())
	}
	want := "sfsync-producer: $SFSYNC_PRODUCER_KAFKA_SASL_PASWORD: overrides no setting; did you mean SFSYNC_PRODUCER_KAFKA_SASL_PASSWORD?\n"
	if errs.String() != want || strings.Contains(errs.String(), "hunter2") {
		t.Errorf("stderr %q, want %q", errs.String(), want)
	}
}

// waitForTopic waits until the producer has created the Account topic
// (three partitions, from --create-topics 3): a group reader that joins
// before would never be assigned its partitions.
func (st *setup) waitForTopic(ctx context.Context, t *testing.T) {
	t.Helper()
	if err := st.k.WaitForTopic(ctx, st.accounts, 3); err != nil {
		t.Fatalf("topic %s: %v", st.accounts, err)
	}
}
