package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/sfsync/sfsync/schemas/mapping"
)

// Defaults of [Config] fields. A field left out of the file and the
// environment, or set to its zero value, takes its default.
const (
	DefaultKafkaClientID   = "sfsync-consumer"
	DefaultGroup           = "sfsync-consumer"
	DefaultDeadLetterTopic = "sfsync.consumer.dead-letter"
	DefaultRefetchTopic    = "sfsync.refetch"
	DefaultDedupTTL        = 72 * time.Hour
	DefaultBatchSize       = 1000
	DefaultBatchWait       = 50 * time.Millisecond
	DefaultShutdownTimeout = 10 * time.Second
	DefaultMetricsAddr     = "127.0.0.1:9465"
	DefaultLogLevel        = "info"
	DefaultLogFormat       = "text"
)

// DefaultDedupPrefix returns the default Redis key prefix of a consumer
// group: "sfsync:dedup:<group>:".
func DefaultDedupPrefix(group string) string { return "sfsync:dedup:" + group + ":" }

// EnvPrefix starts the name of every environment override: the key path
// upper-cased, dots and underscores both becoming "_", e.g.
// SFSYNC_CONSUMER_POSTGRES_URL for postgres.url.
const EnvPrefix = "SFSYNC_CONSUMER_"

// Config is the consumer's configuration, parsed once in main by [Load].
// A Config is a plain value and not safe for concurrent mutation; its
// String, GoString and LogValue never show a secret.
type Config struct {
	// MappingFile is the mapping file (see package mapping), relative to
	// the configuration file's directory; required.
	MappingFile string `yaml:"mapping"`
	// Kafka says where envelopes come from and dead letters go.
	Kafka Kafka `yaml:"kafka"`
	// Postgres is the database the records are applied to.
	Postgres Postgres `yaml:"postgres"`
	// Redis is the optional duplicate filter.
	Redis Redis `yaml:"redis"`
	// Batch tunes the batches applied in one transaction.
	Batch Batch `yaml:"batch"`
	// ShutdownTimeout bounds how long the batch in progress may take to
	// finish after SIGTERM or a rebalance; past it, its transaction is
	// rolled back and its records are read again later. The default is
	// 10s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// MetricsAddr is the host:port serving /metrics, /healthz and
	// /readyz; the default is 127.0.0.1:9465, loopback only.
	MetricsAddr string `yaml:"metrics_addr"`
	// LogLevel is debug, info, warn or error; the default is info.
	LogLevel string `yaml:"log_level"`
	// LogFormat is text or json; the default is text.
	LogFormat string `yaml:"log_format"`

	// Mapping is the mapping read from MappingFile by [Config.Validate];
	// nil until then.
	Mapping *mapping.Mapping `yaml:"-"`
}

// Kafka configures the Kafka client, the consumer group and its topics.
type Kafka struct {
	// Brokers are the bootstrap host:port addresses; required.
	Brokers []string `yaml:"brokers"`
	// ClientID is the client id brokers see in logs and quotas; the
	// default is sfsync-consumer.
	ClientID string `yaml:"client_id"`
	// TLS configures TLS to the brokers; the default is plaintext.
	TLS TLS `yaml:"tls"`
	// SASL configures SASL authentication; the default is none.
	SASL SASL `yaml:"sasl"`
	// Group is the consumer group, also the key of the consumed offsets
	// in PostgreSQL; the default is sfsync-consumer.
	Group string `yaml:"group"`
	// Topics are the envelope topics consumed; the default is the
	// distinct kafka_topic of every object of the mapping. Each must be
	// one of them.
	Topics []string `yaml:"topics"`
	// DeadLetterTopic receives the records that cannot be decoded or
	// applied; the default is sfsync.consumer.dead-letter. It is created
	// (one partition) when missing.
	DeadLetterTopic string `yaml:"dead_letter_topic"`
	// RefetchTopic receives the GAP_* and GAP_OVERFLOW envelopes, for the
	// reconciler to read the records again; the default is
	// sfsync.refetch. It is created (one partition) when missing.
	RefetchTopic string `yaml:"refetch_topic"`
}

// TLS configures TLS to the brokers.
type TLS struct {
	// Enabled turns TLS on; the default is false. The other fields
	// require it.
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM file of the certificate authorities trusted for the
	// brokers; the default is the system roots (enough for MSK).
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// mutual TLS; both or neither. The default is none.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// InsecureSkipVerify accepts any broker certificate, for development
	// only; the default is false, and true is reported by
	// [Config.Warnings].
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
	Password Secret `yaml:"password"`
	// AWSRegion is the MSK cluster's AWS region, e.g. eu-west-1;
	// required with AWS_MSK_IAM, refused otherwise.
	AWSRegion string `yaml:"aws_region"`
}

// Postgres configures the database.
type Postgres struct {
	// URL is the connection string, as a URL
	// (postgres://user:password@host:5432/db?sslmode=verify-full) or in
	// keyword=value form; required. Tables are created in the first
	// schema of its search_path. Its password never prints; better set
	// it in SFSYNC_CONSUMER_POSTGRES_URL or PGPASSWORD.
	URL URL `yaml:"url"`
}

// Redis configures the duplicate filter, an optimisation only: without
// it, or while it is down, repeats are absorbed by PostgreSQL's version
// guards.
type Redis struct {
	// URL is redis://[user:password@]host:port/db or rediss:// for TLS;
	// the default, empty, runs without the filter. Its password never
	// prints.
	URL URL `yaml:"url"`
	// Prefix starts every key the filter writes; the default is
	// sfsync:dedup:<kafka.group>:.
	Prefix string `yaml:"prefix"`
	// TTL is how long an envelope's key is remembered; the default is
	// 72h, Salesforce's event retention.
	TTL time.Duration `yaml:"ttl"`
}

// Batch tunes the batches applied in one PostgreSQL transaction.
type Batch struct {
	// Size bounds the records per batch; the default is 1000.
	Size int `yaml:"size"`
	// Wait bounds how long a batch waits to fill after its first record;
	// the default is 50ms.
	Wait time.Duration `yaml:"wait"`
}

// Default returns the configuration with every default and nothing else:
// no mapping, brokers or database.
func Default() Config {
	var c Config
	c.setDefaults()
	return c
}

// setDefaults gives every zero field its default, as kafka-go's Writer
// and watermill do. Kafka.Topics takes its default from the mapping, in
// [Config.Validate].
func (c *Config) setDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	defDur := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.Kafka.ClientID, DefaultKafkaClientID)
	def(&c.Kafka.Group, DefaultGroup)
	def(&c.Kafka.DeadLetterTopic, DefaultDeadLetterTopic)
	def(&c.Kafka.RefetchTopic, DefaultRefetchTopic)
	def(&c.Redis.Prefix, DefaultDedupPrefix(c.Kafka.Group))
	defDur(&c.Redis.TTL, DefaultDedupTTL)
	if c.Batch.Size == 0 {
		c.Batch.Size = DefaultBatchSize
	}
	defDur(&c.Batch.Wait, DefaultBatchWait)
	defDur(&c.ShutdownTimeout, DefaultShutdownTimeout)
	def(&c.MetricsAddr, DefaultMetricsAddr)
	def(&c.LogLevel, DefaultLogLevel)
	def(&c.LogFormat, DefaultLogFormat)
}

// redactedText is what a secret prints as.
const redactedText = "[REDACTED]"

// Secret is a credential. It prints as "[REDACTED]" with every fmt verb
// and in log/slog, so that a Secret inside a struct cannot leak through
// logs or errors. Convert it with string(s) where the value is needed.
type Secret string

// String returns "[REDACTED]".
func (Secret) String() string { return redactedText }

// GoString returns `config.Secret("[REDACTED]")`.
func (Secret) GoString() string { return `config.Secret("` + redactedText + `")` }

// Format writes "[REDACTED]" whatever the verb.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(s.GoString()))
		return
	}
	_, _ = f.Write([]byte(redactedText))
}

// LogValue returns "[REDACTED]" for log/slog.
func (Secret) LogValue() slog.Value { return slog.StringValue(redactedText) }

// MarshalJSON returns "[REDACTED]" as a JSON string.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redactedText + `"`), nil }

// MarshalText returns "[REDACTED]".
func (Secret) MarshalText() ([]byte, error) { return []byte(redactedText), nil }

// URL is a connection string that may hold a password: a URL such as
// postgres://user:password@host/db, or PostgreSQL's keyword=value form.
// It prints, with every fmt verb and in log/slog, as [URL.Redacted].
// Convert it with string(u) to connect.
type URL string

// Redacted returns u with its password, if any, replaced by xxxxx; a
// string that does not parse as a URL prints as "[REDACTED]" whole.
func (u URL) Redacted() string {
	s := string(u)
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "://") {
		return kvPassword.ReplaceAllString(s, "${1}xxxxx")
	}
	p, err := url.Parse(s)
	if err != nil {
		return redactedText
	}
	q := p.Query()
	masked := false
	for k := range q {
		if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
			q.Set(k, "xxxxx")
			masked = true
		}
	}
	if masked {
		p.RawQuery = q.Encode()
	}
	return p.Redacted()
}

// kvPassword matches the password settings of a keyword=value string.
var kvPassword = regexp.MustCompile(`(?i)((?:^|\s)(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)

// String returns [URL.Redacted].
func (u URL) String() string { return u.Redacted() }

// GoString returns [URL.Redacted], quoted.
func (u URL) GoString() string { return fmt.Sprintf("config.URL(%q)", u.Redacted()) }

// Format writes [URL.Redacted] whatever the verb.
func (u URL) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(u.GoString()))
		return
	}
	_, _ = f.Write([]byte(u.Redacted()))
}

// LogValue returns [URL.Redacted] for log/slog.
func (u URL) LogValue() slog.Value { return slog.StringValue(u.Redacted()) }

// MarshalText returns [URL.Redacted], for JSON and other encoders.
func (u URL) MarshalText() ([]byte, error) { return []byte(u.Redacted()), nil }

// String returns c as "key=value" pairs in file order, secrets shown as
// [REDACTED] when set and URLs without their password.
func (c Config) String() string {
	var b strings.Builder
	b.WriteString("config.Config{")
	first := true
	walk(reflect.ValueOf(&c).Elem(), "", func(path string, v reflect.Value) {
		if !first {
			b.WriteByte(' ')
		}
		first = false
		b.WriteString(path)
		b.WriteByte('=')
		b.WriteString(display(v))
	})
	b.WriteByte('}')
	return b.String()
}

// GoString is [Config.String], so that %#v redacts too.
func (c Config) GoString() string { return c.String() }

// LogValue logs every setting as nested groups, secrets as [REDACTED]
// when set and URLs without their password.
func (c Config) LogValue() slog.Value {
	return groupValue(reflect.ValueOf(&c).Elem())
}

func groupValue(v reflect.Value) slog.Value {
	var attrs []slog.Attr
	t := v.Type()
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		if name == "" {
			continue
		}
		f := v.Field(i)
		if isStruct(f) {
			attrs = append(attrs, slog.Attr{Key: name, Value: groupValue(f)})
			continue
		}
		attrs = append(attrs, slog.String(name, display(f)))
	}
	return slog.GroupValue(attrs...)
}

// display formats a leaf value; secrets show only whether they are set.
func display(v reflect.Value) string {
	switch v.Type() {
	case secretType:
		if v.String() == "" {
			return `""`
		}
		return redactedText
	case urlType:
		return fmt.Sprintf("%q", URL(v.String()).Redacted())
	case durationType:
		return time.Duration(v.Int()).String()
	}
	switch v.Kind() {
	case reflect.String:
		return fmt.Sprintf("%q", v.String())
	case reflect.Slice:
		return fmt.Sprintf("%q", v.Interface())
	default:
		return fmt.Sprint(v.Interface())
	}
}
