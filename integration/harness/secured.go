package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// Environment variables of the local stack's secured Kafka listeners, as
// `deploy/local/stack.sh env` prints them.
const (
	// EnvKafkaTLSBrokers holds the SSL listener's addresses (TLS, no
	// client authentication).
	EnvKafkaTLSBrokers = "SFSYNC_KAFKA_TLS_BROKERS"
	// EnvKafkaSASLSSLBrokers holds the SASL_SSL listener's addresses
	// (SCRAM-SHA-512 over TLS, as Amazon MSK serves on port 9096).
	EnvKafkaSASLSSLBrokers = "SFSYNC_KAFKA_SASL_SSL_BROKERS"
	// EnvKafkaCAFile names the PEM file of the CA that signed the
	// listeners' certificate.
	EnvKafkaCAFile = "SFSYNC_KAFKA_CA_FILE"
)

// noContainers ends the message of a missing secured listener.
const noContainers = "\nthe harness's containers have no secured listeners (make test-containers leaves the TestSecured tests out)"

// SCRAMRoles are the SCRAM users of the local stack, by role: ADMIN is a
// super user, the others hold the ACLs of their service. Each has its
// name in SFSYNC_KAFKA_<ROLE>_USER and its password in
// SFSYNC_KAFKA_<ROLE>_PASSWORD.
var SCRAMRoles = []string{"admin", "producer", "consumer", "reconciler"}

// SecuredKafka is the local stack's secured Kafka listeners. The
// containers [NewKafka] starts have none, so it comes from the
// environment only.
type SecuredKafka struct {
	// TLSBrokers are the SSL listener's addresses.
	TLSBrokers []string
	// SASLSSLBrokers are the SASL_SSL listener's addresses.
	SASLSSLBrokers []string
	// CAFile is the PEM file of the listeners' CA.
	CAFile string
	// Users maps each of [SCRAMRoles] to its user.
	Users map[string]SCRAMUser
}

// SCRAMUser is a SCRAM-SHA-512 user of the secured listener.
type SCRAMUser struct {
	Name, Password string
}

// NewSecuredKafka returns the secured listeners of the cluster k reaches
// on PLAINTEXT, read from the environment (`make up` and
// `eval "$(deploy/local/stack.sh env)"`, as `make test` does). When a
// variable is missing, or the SASL_SSL listener does not answer the
// admin user, the test is skipped, or fails under
// SFSYNC_REQUIRE_SERVICES=1; when the listener answers for another
// cluster than k's, the test fails.
func NewSecuredKafka(t testing.TB, k *Kafka) *SecuredKafka {
	t.Helper()
	s := &SecuredKafka{
		TLSBrokers:     splitList(os.Getenv(EnvKafkaTLSBrokers)),
		SASLSSLBrokers: splitList(os.Getenv(EnvKafkaSASLSSLBrokers)),
		CAFile:         strings.TrimSpace(os.Getenv(EnvKafkaCAFile)),
		Users:          map[string]SCRAMUser{},
	}
	var unset []string
	for _, v := range []struct {
		name string
		set  bool
	}{{EnvKafkaTLSBrokers, len(s.TLSBrokers) > 0}, {EnvKafkaSASLSSLBrokers, len(s.SASLSSLBrokers) > 0}, {EnvKafkaCAFile, s.CAFile != ""}} {
		if !v.set {
			unset = append(unset, v.name)
		}
	}
	for _, role := range SCRAMRoles {
		prefix := "SFSYNC_KAFKA_" + strings.ToUpper(role)
		u := SCRAMUser{Name: os.Getenv(prefix + "_USER"), Password: os.Getenv(prefix + "_PASSWORD")}
		if u.Name == "" || u.Password == "" {
			unset = append(unset, prefix+"_USER and _PASSWORD")
		}
		s.Users[role] = u
	}
	if len(unset) > 0 {
		missing(t, "kafka's secured listeners", fmt.Errorf("not set: %s", strings.Join(unset, ", ")), noContainers)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	transport, err := s.Transport("admin")
	if err != nil {
		t.Fatal(err)
	}
	client := &kafka.Client{Addr: kafka.TCP(s.SASLSSLBrokers...), Transport: transport, Timeout: 30 * time.Second}
	secured, err := client.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		missing(t, "kafka's SASL_SSL listener", fmt.Errorf("metadata from %s as %s: %w",
			strings.Join(s.SASLSSLBrokers, ","), s.Users["admin"].Name, err), noContainers)
	}
	plain, err := k.client.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		t.Fatalf("metadata from %s: %v", strings.Join(k.Brokers, ","), err)
	}
	if secured.ClusterID != plain.ClusterID {
		t.Fatalf("%s (cluster %s) and %s (cluster %s) are different clusters: point both at the same stack",
			EnvKafkaSASLSSLBrokers, secured.ClusterID, EnvKafkaBrokers, plain.ClusterID)
	}
	return s
}

// TLSConfig returns a TLS configuration that verifies the listeners'
// certificate against CAFile.
func (s *SecuredKafka) TLSConfig() (*tls.Config, error) {
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", s.CAFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// Transport returns a kafka-go transport to the SASL_SSL listener as the
// user of role, verifying the listener's certificate against CAFile.
func (s *SecuredKafka) Transport(role string) (*kafka.Transport, error) {
	cfg, err := s.TLSConfig()
	if err != nil {
		return nil, err
	}
	u, ok := s.Users[role]
	if !ok {
		return nil, errors.New("no SCRAM user of role " + role)
	}
	mech, err := scram.Mechanism(scram.SHA512, u.Name, u.Password)
	if err != nil {
		return nil, fmt.Errorf("scram user %s: %w", u.Name, err)
	}
	return &kafka.Transport{TLS: cfg, SASL: mech}, nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
