package kafkaconf

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"time"

	"github.com/aws/aws-msk-iam-sasl-signer-go/signer"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// DialTimeout bounds connecting to a broker, TLS and SASL included.
const DialTimeout = 10 * time.Second

// ClusterReplication is the replication factor the services create their
// topics with: -1, the cluster's default.replication.factor (3 on MSK and
// on the local three-node cluster, 1 on a single broker), with its
// min.insync.replicas, as operators set them.
const ClusterReplication = -1

// Transport returns a kafka-go transport for writers, with the TLS and
// SASL settings of k and its client id. Building it touches no network
// and, for AWS_MSK_IAM, no AWS API: tokens are made at each connection.
func (k *Conn) Transport() (*kafka.Transport, error) {
	tlsCfg, mech, err := k.security()
	if err != nil {
		return nil, err
	}
	return &kafka.Transport{ClientID: k.ClientID, DialTimeout: DialTimeout, TLS: tlsCfg, SASL: mech}, nil
}

// Dialer returns a kafka-go dialer, for readers and admin connections
// such as --check's, with the same settings as [Conn.Transport].
func (k *Conn) Dialer() (*kafka.Dialer, error) {
	tlsCfg, mech, err := k.security()
	if err != nil {
		return nil, err
	}
	return &kafka.Dialer{ClientID: k.ClientID, Timeout: DialTimeout, DualStack: true, TLS: tlsCfg, SASLMechanism: mech}, nil
}

// Clients returns both [Conn.Transport] and [Conn.Dialer], for code
// that writes and reads.
func (k *Conn) Clients() (*kafka.Transport, *kafka.Dialer, error) {
	transport, err := k.Transport()
	if err != nil {
		return nil, nil, err
	}
	dialer, err := k.Dialer()
	return transport, dialer, err
}

func (k *Conn) security() (*tls.Config, sasl.Mechanism, error) {
	tlsCfg, err := k.TLS.config()
	if err != nil {
		return nil, nil, err
	}
	mech, err := k.SASL.mechanism(signer.GenerateAuthToken)
	if err != nil {
		return nil, nil, err
	}
	return tlsCfg, mech, nil
}

// config returns the TLS configuration, or nil when TLS is off.
func (t *TLS) config() (*tls.Config, error) {
	if !t.Enabled {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // insecure only when configured, and warned about
	if t.CAFile != "" {
		pool, err := svcconfig.LoadCAs(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka.tls.ca_file: %w", err)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := loadKeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka.tls.cert_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// loadKeyPair loads a PEM client certificate and its key. Errors never
// include key material.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return tls.Certificate{}, errors.New(svcconfig.FileError(pe.Path, err))
		}
		return tls.Certificate{}, fmt.Errorf("cannot load the key pair %s and %s: %w", certFile, keyFile, err)
	}
	return cert, nil
}

// tokenFunc makes an MSK IAM auth token for a region, as
// signer.GenerateAuthToken does.
type tokenFunc func(ctx context.Context, region string) (token string, expiryMillis int64, err error)

// mechanism returns the SASL mechanism, or nil without SASL.
func (s *SASL) mechanism(token tokenFunc) (sasl.Mechanism, error) {
	var (
		m   sasl.Mechanism
		err error
	)
	switch s.Mechanism {
	case "":
		return nil, nil
	case MechanismPlain:
		m = plain.Mechanism{Username: s.Username, Password: string(s.Password)}
	case MechanismSCRAMSHA256:
		m, err = scram.Mechanism(scram.SHA256, s.Username, string(s.Password))
	case MechanismSCRAMSHA512:
		m, err = scram.Mechanism(scram.SHA512, s.Username, string(s.Password))
	case MechanismAWSMSKIAM:
		if s.AWSRegion == "" {
			return nil, errors.New("kafka.sasl.aws_region: is required with mechanism AWS_MSK_IAM")
		}
		m = &mskIAM{region: s.AWSRegion, token: token}
	default:
		return nil, fmt.Errorf("kafka.sasl.mechanism: unknown mechanism %q", s.Mechanism)
	}
	if err != nil {
		// scram fails only on a username or password SASLprep rejects.
		return nil, fmt.Errorf("kafka.sasl: %s: username or password has characters SASLprep refuses", s.Mechanism)
	}
	return redacted{m, s.Mechanism}, nil
}

// redacted hides a mechanism's credentials from fmt: kafka-go's
// mechanisms keep the password in plain fields.
type redacted struct {
	sasl.Mechanism
	name string
}

// Format writes "sasl.Mechanism(NAME)" for every verb.
func (r redacted) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, "sasl.Mechanism("+r.name+")")
}

// mskIAM is AWS MSK IAM authentication as SASL/OAUTHBEARER (RFC 7628):
// the bearer token is a signed, base64url-encoded kafka-cluster:Connect
// request made by aws-msk-iam-sasl-signer-go from the default AWS
// credential chain, fresh for every connection. kafka-go has no
// OAUTHBEARER mechanism, so this is one. It is safe for concurrent use.
type mskIAM struct {
	region string
	token  tokenFunc
}

// Name returns OAUTHBEARER, the mechanism MSK's IAM listener accepts for
// tokens of the signer library.
func (m *mskIAM) Name() string { return "OAUTHBEARER" }

// Start makes a token and returns the client's first message.
func (m *mskIAM) Start(ctx context.Context) (sasl.StateMachine, []byte, error) {
	tok, _, err := m.token(ctx, m.region)
	if err != nil {
		return nil, nil, fmt.Errorf("msk iam: generate auth token in %s: %w", m.region, err)
	}
	return oauthBearer{}, []byte("n,,\x01auth=Bearer " + tok + "\x01\x01"), nil
}

// oauthBearer is the client side of one OAUTHBEARER exchange.
type oauthBearer struct{}

// Next accepts the broker's empty success response; anything else is
// the broker's JSON error, which holds no secret.
func (oauthBearer) Next(_ context.Context, challenge []byte) (bool, []byte, error) {
	if len(challenge) == 0 {
		return true, nil, nil
	}
	return false, nil, fmt.Errorf("msk iam: broker refused the token: %.200s", challenge)
}

// TooLarge reports whether err says a record is larger than Kafka takes:
// kafka-go's own check against a writer's BatchBytes, made before any
// network call, or the broker's MESSAGE_TOO_LARGE for a batch over the
// topic's max.message.bytes, alone or among a batch's [kafka.WriteErrors].
// Retrying the same record cannot fix it.
func TooLarge(err error) bool {
	var werrs kafka.WriteErrors
	if errors.As(err, &werrs) {
		return slices.ContainsFunc(werrs, func(e error) bool { return errors.Is(e, kafka.MessageSizeTooLarge) })
	}
	return errors.Is(err, kafka.MessageSizeTooLarge)
}
