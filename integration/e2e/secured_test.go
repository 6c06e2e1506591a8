package e2e

// The secured tests run the services against the local stack's SASL_SSL
// listener (deploy/local/stack.sh: SCRAM-SHA-512 over TLS, the KRaft
// StandardAuthorizer), each service as its own SCRAM user holding exactly
// the ACLs of the README's table, with TLS verified against the stack's
// CA: the pipeline working end to end proves those ACLs sufficient.
//
// Only the local stack has the secured listeners; the containers of
// `make test-containers` do not. There SFSYNC_KAFKA_SASL_SSL_BROKERS is
// unset and, under SFSYNC_REQUIRE_SERVICES=1, these tests would fail
// rather than pass by skipping, so test-containers leaves them out by
// name (-skip '^TestSecured'); `make test` and CI's `make test` step run
// them on the local stack, where a missing secured listener fails them.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

// securedKafka is how the services of a pipeline reach the SASL_SSL
// listener: as their own users, the password in the environment
// (SFSYNC_<SERVICE>_KAFKA_SASL_PASSWORD, as the Helm chart passes it),
// TLS verified against caFile.
type securedKafka struct {
	brokers []string
	caFile  string
	users   map[string]harness.SCRAMUser // by service: producer, consumer, reconciler
}

// newSecuredKafka returns the local stack's SASL_SSL listener for the
// services, or skips or fails t as [harness.NewSecuredKafka] does.
func newSecuredKafka(t *testing.T) *securedKafka {
	t.Helper()
	s := harness.NewSecuredKafka(t, harness.NewKafka(t))
	users := map[string]harness.SCRAMUser{}
	for _, service := range []string{"producer", "consumer", "reconciler"} {
		users[service] = s.Users[service]
	}
	return &securedKafka{brokers: s.SASLSSLBrokers, caFile: s.CAFile, users: users}
}

// securedTopics maps the rig's topic names to the services' default
// names, whose prefixes the ACLs name; other topics are objects', whose
// default is sfsync.<object>.
var securedTopics = map[string]string{
	"checkpoints": "sfsync.checkpoints", "producer-dlq": "sfsync.producer.dead-letter",
	"reconcile": "sfsync.reconcile-requests", "consumer-dlq": "sfsync.consumer.dead-letter",
	"refetch": "sfsync.refetch",
}

// topic returns the test's topic name: the default name, then the
// test's id, so that it matches the same prefixed ACLs as the default.
func (s *securedKafka) topic(k *harness.Kafka, name string) string {
	base, ok := securedTopics[name]
	if !ok {
		base = "sfsync." + name
	}
	return base + "." + k.ID()
}

// group returns the test's consumer group of service: the default,
// sfsync-<service>, then the test's id.
func (s *securedKafka) group(k *harness.Kafka, service string) string {
	return "sfsync-" + service + "." + k.ID()
}

// conn returns the connection lines of service's kafka section.
func (s *securedKafka) conn(service string) string {
	return fmt.Sprintf(`  brokers: [%s]
  tls:
    enabled: true
    ca_file: %s
  sasl:
    mechanism: SCRAM-SHA-512
    username: %s
`, strings.Join(s.brokers, ", "), s.caFile, s.users[service].Name)
}

// env returns the environment that gives service its password.
func (s *securedKafka) env(service string) []string {
	return []string{fmt.Sprintf("SFSYNC_%s_KAFKA_SASL_PASSWORD=%s", strings.ToUpper(service), s.users[service].Password)}
}

// TestSecuredPipeline streams changes from the emulator through the
// producer, the consumer and the reconciler, each connected to the
// SASL_SSL listener as its own SCRAM user: the services create their
// checkpoint, dead-letter, re-fetch, reconcile-request and compacted
// topics, join their groups, and a GAP event goes from the consumer to
// the reconciler and back as a repair. PostgreSQL must equal Salesforce,
// `verify --full` and `verify --full --against compacted` must find no
// difference, and a service must be refused what its ACLs leave out.
func TestSecuredPipeline(t *testing.T) {
	t.Parallel()
	sec := newSecuredKafka(t)
	p := newPipeline(t, 200, services{secured: sec})
	p.consumer("consumer", true)
	rec, cfg := p.startReconciler("")
	accounts := p.srv.Records("Account", false)
	if _, err := p.srv.Transact(func(tx *sffake.Tx) error {
		tx.Unannounced()
		if err := tx.Update(accounts[0].ID, map[string]any{"Name": "changed behind a GAP"}); err != nil {
			return err
		}
		return tx.Gap("Account", "GAP_UPDATE", accounts[0].ID)
	}); err != nil {
		t.Fatal(err)
	}
	p.churn(context.Background(), 300, 0)
	p.converge(3 * time.Minute)
	// The marker went from the consumer to the reconciler's group.
	p.waitMetric(rec, "sfsync_reconciler_refetch_markers_total", func(n float64) bool { return n >= 1 },
		"the reconciler handled the GAP marker")
	if r, code := p.verify(cfg, "--full"); code != 0 {
		t.Fatalf("verify --full through SASL_SSL exited %d: %+v", code, r)
	}
	p.waitCompacted(cfg)
	created := p.createdTopics()
	if missing := p.missingTopics(created...); len(missing) > 0 {
		t.Errorf("topics the services should have created are missing: %v", missing)
	}

	// The authorizer is on: the consumer's user may read the envelope
	// topics but not write them.
	w := &kafka.Writer{Addr: kafka.TCP(sec.brokers...), Topic: p.topic("account"), MaxAttempts: 1, RequiredAcks: kafka.RequireAll,
		Transport: securedTransport(t, sec, "consumer")}
	defer w.Close()
	err := w.WriteMessages(context.Background(), kafka.Message{Key: []byte("k"), Value: []byte("not an envelope")})
	var we kafka.WriteErrors
	if errors.As(err, &we) && len(we) == 1 {
		err = we[0]
	}
	if !errors.Is(err, kafka.TopicAuthorizationFailed) {
		t.Errorf("writing an envelope topic as %s: got %v, want %v", sec.users["consumer"].Name, err, kafka.TopicAuthorizationFailed)
	}
}

// securedTransport returns a kafka-go transport to sec's listener as
// service's user.
func securedTransport(t *testing.T, sec *securedKafka, service string) *kafka.Transport {
	t.Helper()
	s := &harness.SecuredKafka{SASLSSLBrokers: sec.brokers, CAFile: sec.caFile, Users: sec.users}
	tr, err := s.Transport(service)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestSecuredRefused starts each service, and runs --check of those that
// have it, with a wrong password and with a CA that did not sign the
// broker's certificate. Each must exit non-zero with an error naming the
// cause and the broker, print no password, and write nothing: the
// envelope topics' end offsets stay at zero, the topics the services
// create stay missing, and PostgreSQL holds no row.
func TestSecuredRefused(t *testing.T) {
	t.Parallel()
	sec := newSecuredKafka(t)
	for _, tc := range []struct {
		scenario string
		mutate   func(t *testing.T, s *securedKafka)
		want     string
	}{
		{scenario: "wrong password", want: "SASL Authentication Failed", mutate: func(t *testing.T, s *securedKafka) {
			for service, u := range s.users {
				s.users[service] = harness.SCRAMUser{Name: u.Name, Password: "wrong-" + randomHex(t)}
			}
		}},
		{scenario: "untrusted certificate", want: "x509: certificate signed by unknown authority", mutate: func(t *testing.T, s *securedKafka) {
			s.caFile = otherCA(t)
		}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			bad := &securedKafka{brokers: sec.brokers, caFile: sec.caFile, users: map[string]harness.SCRAMUser{}}
			for service, u := range sec.users {
				bad.users[service] = u
			}
			tc.mutate(t, bad)
			p := newPipeline(t, 50, services{secured: bad, noProducer: true})
			p.churn(context.Background(), 20, 0) // events the producer would write
			consumerCfg, _ := p.consumerConfig("consumer", false)
			secrets := []string{}
			for service := range sec.users {
				secrets = append(secrets, sec.users[service].Password, bad.users[service].Password)
			}
			for _, run := range []struct {
				name string
				bin  string
				args []string
			}{
				{"producer", "sfsync-producer", []string{"--config", filepath.Join(p.dir, "producer.yaml")}},
				{"producer --check", "sfsync-producer", []string{"--config", filepath.Join(p.dir, "producer.yaml"), "--check"}},
				{"consumer", "sfsync-consumer", []string{"--config", consumerCfg}},
				{"consumer --check", "sfsync-consumer", []string{"--config", consumerCfg, "--check"}},
				{"reconciler", "sfsync-reconciler", []string{"--config", p.reconcilerConfig("")}},
			} {
				out, code := p.runToEnd(run.bin, run.args...)
				if code == 0 {
					t.Errorf("%s exited 0; want a failure:\n%s", run.name, tail(out, 3000))
				}
				for _, want := range []string{tc.want, "kafka at " + strings.Join(bad.brokers, ",")} {
					if !strings.Contains(out, want) {
						t.Errorf("%s: the output lacks %q:\n%s", run.name, want, tail(out, 3000))
					}
				}
				for _, s := range secrets {
					if strings.Contains(out, s) {
						t.Errorf("%s printed a SASL password:\n%s", run.name, tail(out, 3000))
					}
				}
			}
			var envelopes []string
			for _, o := range p.mapping.Objects {
				envelopes = append(envelopes, o.KafkaTopic)
			}
			if n := p.endOffsets(envelopes...); n != 0 {
				t.Errorf("%d records were written to the envelope topics", n)
			}
			created := p.createdTopics()
			if missing := p.missingTopics(created...); len(missing) != len(created) {
				t.Errorf("topics were created: only %v of %v are missing", missing, created)
			}
			if n := p.rows(); n != 0 {
				t.Errorf("PostgreSQL holds %d rows", n)
			}
		})
	}
}

// createdTopics are the topics that the services of a secured pipeline
// create: the dead-letter, reconcile-request and re-fetch topics, the
// checkpoints, and the compacted latest-state topics.
func (p *pipeline) createdTopics() []string {
	created := append(p.serviceTopics(), p.topic("checkpoints"))
	for _, o := range p.mapping.Objects {
		created = append(created, o.KafkaTopic+".latest")
	}
	return created
}

// runToEnd runs a binary of the pipeline until it exits (failing the test
// if it runs for 3 minutes: a refused start must not hang) and returns
// its output and exit status.
func (p *pipeline) runToEnd(bin string, args ...string) (string, int) {
	p.t.Helper()
	pr := p.start(bin, filepath.Join(bins, bin), args...)
	select {
	case <-pr.done:
	case <-time.After(3 * time.Minute):
		pr.kill()
		p.t.Fatalf("%s %s still runs after 3 minutes:\n%s", bin, strings.Join(args, " "), tail(pr.logs.String(), 3000))
	}
	var ee *exec.ExitError
	switch {
	case pr.waitErr == nil:
		return pr.logs.String(), 0
	case errors.As(pr.waitErr, &ee):
		return pr.logs.String(), ee.ExitCode()
	default:
		p.t.Fatalf("%s: %v", bin, pr.waitErr)
		return "", 0
	}
}

// endOffsets returns the sum of the end offsets of topics' partitions.
func (p *pipeline) endOffsets(topics ...string) int64 {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := p.kafka.Client()
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		p.t.Fatal(err)
	}
	reqs := map[string][]kafka.OffsetRequest{}
	for _, t := range md.Topics {
		if t.Error != nil {
			p.t.Fatalf("topic %s: %v", t.Name, t.Error)
		}
		for _, part := range t.Partitions {
			reqs[t.Name] = append(reqs[t.Name], kafka.LastOffsetOf(part.ID))
		}
	}
	resp, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: reqs})
	if err != nil {
		p.t.Fatal(err)
	}
	var n int64
	for topic, parts := range resp.Topics {
		for _, po := range parts {
			if po.Error != nil {
				p.t.Fatalf("end offset of %s/%d: %v", topic, po.Partition, po.Error)
			}
			n += po.LastOffset
		}
	}
	return n
}

// missingTopics returns those of topics that the cluster does not have.
func (p *pipeline) missingTopics(topics ...string) []string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	md, err := p.kafka.Client().Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		p.t.Fatal(err)
	}
	exists := map[string]bool{}
	for _, t := range md.Topics {
		exists[t.Name] = t.Error == nil
	}
	var missing []string
	for _, t := range topics {
		if !exists[t] {
			missing = append(missing, t)
		}
	}
	return missing
}

// rows returns the number of rows in the mapped tables that exist.
func (p *pipeline) rows() int64 {
	p.t.Helper()
	var total int64
	for _, o := range p.mapping.Objects {
		var n int64
		err := p.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+pgx.Identifier{o.Table}.Sanitize()).Scan(&n)
		if err != nil && !strings.Contains(err.Error(), "does not exist") {
			p.t.Fatal(err)
		}
		total += n
	}
	return total
}

// otherCA writes the PEM certificate of a new CA, which signed nothing,
// into a file of the test's and returns its path.
func otherCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not the stack's CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func randomHex(t *testing.T) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}
