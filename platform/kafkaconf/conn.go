package kafkaconf

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// Conn holds the settings of the connection to the Kafka brokers. It
// has no String method, so that a struct embedding it prints all its
// fields; its secrets redact themselves.
type Conn struct {
	// Brokers are the bootstrap host:port addresses; required.
	Brokers []string `yaml:"brokers"`
	// ClientID is the client id brokers see in logs and quotas; each
	// service gives it a default, its own name.
	ClientID string `yaml:"client_id"`
	// TLS configures TLS to the brokers; the default is plaintext.
	TLS TLS `yaml:"tls"`
	// SASL configures SASL authentication; the default is none.
	SASL SASL `yaml:"sasl"`
}

// TLS configures TLS to the brokers.
type TLS struct {
	// Enabled turns TLS on; the default is false. The other fields
	// require it.
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM file of the certificate authorities trusted for the
	// brokers; the default is the system roots (enough for MSK).
	CAFile string `yaml:"ca_file" svcconfig:"file"`
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// mutual TLS; both or neither. The default is none.
	CertFile string `yaml:"cert_file" svcconfig:"file"`
	KeyFile  string `yaml:"key_file" svcconfig:"file"`
	// InsecureSkipVerify accepts any broker certificate, for development
	// only; the default is false, and true is reported by
	// [Conn.Warnings].
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// SASL mechanisms.
const (
	MechanismPlain       = "PLAIN"
	MechanismSCRAMSHA256 = "SCRAM-SHA-256"
	MechanismSCRAMSHA512 = "SCRAM-SHA-512"
	MechanismAWSMSKIAM   = "AWS_MSK_IAM"
)

// Mechanisms are the accepted values of [SASL.Mechanism].
var Mechanisms = []string{MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512, MechanismAWSMSKIAM}

// SASL configures SASL authentication to the brokers.
type SASL struct {
	// Mechanism is PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or AWS_MSK_IAM;
	// the default, empty, is no SASL. AWS_MSK_IAM requires TLS and takes
	// AWS credentials from the default chain (environment, shared
	// config, web identity, instance or task role).
	Mechanism string `yaml:"mechanism"`
	// Username is the SASL user; required with PLAIN and SCRAM, refused
	// with AWS_MSK_IAM.
	Username string `yaml:"username"`
	// Password is the SASL password; required with PLAIN and SCRAM,
	// refused with AWS_MSK_IAM. It never prints.
	Password svcconfig.Secret `yaml:"password"`
	// AWSRegion is the MSK cluster's AWS region, e.g. eu-west-1;
	// required with AWS_MSK_IAM, refused otherwise.
	AWSRegion string `yaml:"aws_region"`
}

// Problems returns the problems of the broker list and the client id,
// by key path under kafka; see [Conn.SecurityProblems] for TLS and SASL.
// A service checks its own kafka settings between the two, so that
// problems keep the order of the keys.
func (c *Conn) Problems() []svcconfig.Problem {
	k := &svcconfig.Checker{}
	if len(c.Brokers) == 0 {
		k.Bad("kafka.brokers", "at least one broker host:port is required")
	}
	for i, b := range c.Brokers {
		k.HostPort(fmt.Sprintf("kafka.brokers[%d]", i), b)
	}
	if c.ClientID == "" {
		k.Bad("kafka.client_id", "must not be empty")
	}
	return k.Problems
}

// SecurityProblems returns the problems of the TLS and SASL settings, by
// key path under kafka. It reads the CA and client certificate files to
// check them.
func (c *Conn) SecurityProblems() []svcconfig.Problem {
	k := &svcconfig.Checker{}
	t := c.TLS
	if !t.Enabled {
		for _, f := range []struct {
			key string
			set bool
		}{{"ca_file", t.CAFile != ""}, {"cert_file", t.CertFile != ""}, {"key_file", t.KeyFile != ""}, {"insecure_skip_verify", t.InsecureSkipVerify}} {
			if f.set {
				k.Bad("kafka.tls."+f.key, "needs kafka.tls.enabled: true")
			}
		}
	} else {
		if t.CAFile != "" {
			if _, err := svcconfig.LoadCAs(t.CAFile); err != nil {
				k.Bad("kafka.tls.ca_file", "%v", err)
			}
		}
		switch {
		case t.CertFile != "" && t.KeyFile == "":
			k.Bad("kafka.tls.key_file", "is required with kafka.tls.cert_file")
		case t.CertFile == "" && t.KeyFile != "":
			k.Bad("kafka.tls.cert_file", "is required with kafka.tls.key_file")
		case t.CertFile != "":
			if _, err := loadKeyPair(t.CertFile, t.KeyFile); err != nil {
				k.Bad("kafka.tls.cert_file", "%v", err)
			}
		}
	}
	s := c.SASL
	k.Secret("kafka.sasl.password", s.Password)
	refuse := func(key string, set bool, why string) {
		if set {
			k.Bad("kafka.sasl."+key, "%s", why)
		}
	}
	switch s.Mechanism {
	case "":
		why := "needs kafka.sasl.mechanism"
		refuse("username", s.Username != "", why)
		refuse("password", s.Password != "", why)
		refuse("aws_region", s.AWSRegion != "", why)
	case MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512:
		if s.Username == "" {
			k.Bad("kafka.sasl.username", "is required with mechanism %s", s.Mechanism)
		}
		if s.Password == "" {
			k.Bad("kafka.sasl.password", "is required with mechanism %s", s.Mechanism)
		}
		refuse("aws_region", s.AWSRegion != "", "is only for mechanism AWS_MSK_IAM")
	case MechanismAWSMSKIAM:
		why := "is not used by mechanism AWS_MSK_IAM, which takes AWS credentials from the environment; remove it"
		refuse("username", s.Username != "", why)
		refuse("password", s.Password != "", why)
		if s.AWSRegion == "" {
			k.Bad("kafka.sasl.aws_region", "is required with mechanism AWS_MSK_IAM")
		} else if !awsRegion.MatchString(s.AWSRegion) {
			k.Bad("kafka.sasl.aws_region", "must be an AWS region such as eu-west-1, got %q", s.AWSRegion)
		}
		if !t.Enabled {
			k.Bad("kafka.tls.enabled", "must be true with mechanism AWS_MSK_IAM: MSK's IAM listener (port 9098) is TLS only")
		}
	default:
		k.Bad("kafka.sasl.mechanism", "must be one of %s, got %q", strings.Join(Mechanisms, ", "), s.Mechanism)
	}
	return k.Problems
}

var awsRegion = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// Warnings returns the settings of c that work but are unsafe outside
// development.
func (c *Conn) Warnings() []string {
	var ws []string
	if c.TLS.InsecureSkipVerify {
		ws = append(ws, "kafka.tls.insecure_skip_verify: broker certificates are not verified")
	}
	if (c.SASL.Mechanism == MechanismPlain || strings.HasPrefix(c.SASL.Mechanism, "SCRAM")) && !c.TLS.Enabled {
		ws = append(ws, fmt.Sprintf("kafka.sasl.mechanism: %s without kafka.tls.enabled exposes the SASL exchange to the network", c.SASL.Mechanism))
	}
	return ws
}
