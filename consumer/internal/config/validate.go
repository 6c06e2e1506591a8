package config

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"github.com/sfsync/sfsync/schemas/mapping"
)

// Validate checks every setting of c as it is (call it after defaults
// are set; [Load] does), reads the files c names (mapping, CA and client
// certificates) to check them, sets c.Mapping from the mapping file, and
// sets Kafka.Topics to the mapping's topics when it is empty. It returns
// a *[ValidationError] listing every problem by key path, without a place
// (Load adds the file and line), or nil.
func (c *Config) Validate() error {
	if ps := c.check(); len(ps) > 0 {
		return &ValidationError{Problems: ps}
	}
	return nil
}

// checker collects problems.
type checker struct{ ps []Problem }

func (k *checker) bad(path, format string, args ...any) {
	k.ps = append(k.ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// check returns the problems of c, loads c.Mapping and defaults the
// topics.
func (c *Config) check() []Problem {
	k := &checker{}
	c.checkMapping(k)
	c.Kafka.check(k)
	c.checkTopics(k)
	c.Postgres.check(k)
	c.Redis.check(k)
	if c.Batch.Size < 1 {
		k.bad("batch.size", "must be >= 1, got %d", c.Batch.Size)
	}
	positive(k, "batch.wait", c.Batch.Wait)
	positive(k, "shutdown_timeout", c.ShutdownTimeout)
	hostPort(k, "metrics_addr", c.MetricsAddr)
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		k.bad("log_level", "must be one of debug, info, warn, error, got %q", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		k.bad("log_format", "must be one of text, json, got %q", c.LogFormat)
	}
	return k.ps
}

func (c *Config) checkMapping(k *checker) {
	c.Mapping = nil
	if c.MappingFile == "" {
		k.bad("mapping", "is required: the mapping file naming the objects to sync")
		return
	}
	m, err := mapping.Load(c.MappingFile)
	var ve *mapping.ValidationError
	switch {
	case err == nil:
		c.Mapping = m
	case errors.As(err, &ve):
		// Its problems carry their own file:line:column.
		for _, p := range ve.Problems {
			k.ps = append(k.ps, Problem{Where: p.Pos.String(), Message: p.Message})
		}
	default:
		k.bad("mapping", "%s", fileError(c.MappingFile, err))
	}
}

// MappedTopics returns the distinct kafka_topic of every object of m, in
// mapping order: the default of kafka.topics.
func MappedTopics(m *mapping.Mapping) []string {
	var topics []string
	for _, o := range m.Objects {
		if !slices.Contains(topics, o.KafkaTopic) {
			topics = append(topics, o.KafkaTopic)
		}
	}
	return topics
}

// checkTopics checks the consumed topics against the mapping, and the
// consumer's own topics: valid names, distinct from each other and from
// the consumed ones.
func (c *Config) checkTopics(k *checker) {
	var mapped []string
	if c.Mapping != nil {
		mapped = MappedTopics(c.Mapping)
		if len(c.Kafka.Topics) == 0 {
			c.Kafka.Topics = mapped
		}
	}
	used := map[string]string{}
	for i, t := range c.Kafka.Topics {
		p := fmt.Sprintf("kafka.topics[%d]", i)
		switch {
		case topicProblem(t) != "":
			k.bad(p, "%s", topicProblem(t))
		case used[t] != "":
			k.bad(p, "%q is listed twice", t)
		case c.Mapping != nil && !slices.Contains(mapped, t):
			k.bad(p, "%q is not the kafka_topic of any object in the mapping (%s)", t, strings.Join(mapped, ", "))
		}
		if used[t] == "" {
			used[t] = p
		}
	}
	for _, t := range []struct{ path, topic string }{
		{"kafka.dead_letter_topic", c.Kafka.DeadLetterTopic},
		{"kafka.refetch_topic", c.Kafka.RefetchTopic},
	} {
		if msg := topicProblem(t.topic); msg != "" {
			k.bad(t.path, "%s", msg)
			continue
		}
		if by, ok := used[t.topic]; ok {
			k.bad(t.path, "%q is already %s", t.topic, by)
			continue
		}
		used[t.topic] = t.path
	}
	if c.Kafka.Group == "" || strings.TrimSpace(c.Kafka.Group) != c.Kafka.Group {
		k.bad("kafka.group", "must be a consumer group id without surrounding spaces, got %q", c.Kafka.Group)
	}
}

var topicName = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// topicProblem says what is wrong with a Kafka topic name, or "".
func topicProblem(t string) string {
	if !topicName.MatchString(t) || t == "." || t == ".." {
		return fmt.Sprintf("must be a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -), got %q", t)
	}
	return ""
}

func (p *Postgres) check(k *checker) {
	if p.URL == "" {
		k.bad("postgres.url", "is required: the database to apply the records to, such as postgres://sfsync@127.0.0.1:5432/sfsync")
		return
	}
	if _, err := pgconn.ParseConfig(string(p.URL)); err != nil {
		k.bad("postgres.url", "%s", urlProblem("a PostgreSQL connection string such as postgres://sfsync@127.0.0.1:5432/sfsync?sslmode=verify-full", p.URL, err))
	}
}

func (r *Redis) check(k *checker) {
	if r.URL != "" {
		if _, err := redis.ParseURL(string(r.URL)); err != nil {
			k.bad("redis.url", "%s", urlProblem("a Redis URL such as redis://127.0.0.1:6379/0 or rediss://host:6380/0", r.URL, err))
		}
	}
	if r.Prefix == "" {
		k.bad("redis.prefix", "must not be empty")
	}
	positive(k, "redis.ttl", r.TTL)
}

// urlProblem says that u is not what want describes, without the text of
// err when it may quote u's password (url.Parse quotes its input).
func urlProblem(want string, u URL, err error) string {
	var ue *url.Error
	var pe *pgconn.ParseConfigError
	switch {
	case errors.As(err, &ue):
		return "must be " + want + "; it does not parse as a URL"
	case errors.As(err, &pe):
		if inner := errors.Unwrap(pe); inner != nil {
			return fmt.Sprintf("must be %s, got %s: %v", want, u.Redacted(), inner)
		}
		return fmt.Sprintf("must be %s, got %s", want, u.Redacted())
	default:
		return fmt.Sprintf("must be %s, got %s: %v", want, u.Redacted(), err)
	}
}

func (c *Kafka) check(k *checker) {
	if len(c.Brokers) == 0 {
		k.bad("kafka.brokers", "at least one broker host:port is required")
	}
	for i, b := range c.Brokers {
		hostPort(k, fmt.Sprintf("kafka.brokers[%d]", i), b)
	}
	if c.ClientID == "" {
		k.bad("kafka.client_id", "must not be empty")
	}
	t := c.TLS
	if !t.Enabled {
		for _, f := range []struct {
			key string
			set bool
		}{{"ca_file", t.CAFile != ""}, {"cert_file", t.CertFile != ""}, {"key_file", t.KeyFile != ""}, {"insecure_skip_verify", t.InsecureSkipVerify}} {
			if f.set {
				k.bad("kafka.tls."+f.key, "needs kafka.tls.enabled: true")
			}
		}
	} else {
		if t.CAFile != "" {
			if _, err := loadCAs(t.CAFile); err != nil {
				k.bad("kafka.tls.ca_file", "%v", err)
			}
		}
		switch {
		case t.CertFile != "" && t.KeyFile == "":
			k.bad("kafka.tls.key_file", "is required with kafka.tls.cert_file")
		case t.CertFile == "" && t.KeyFile != "":
			k.bad("kafka.tls.cert_file", "is required with kafka.tls.key_file")
		case t.CertFile != "":
			if _, err := loadKeyPair(t.CertFile, t.KeyFile); err != nil {
				k.bad("kafka.tls.cert_file", "%v", err)
			}
		}
	}
	s := c.SASL
	if s.Password != "" && strings.TrimSpace(string(s.Password)) != string(s.Password) {
		k.bad("kafka.sasl.password", "must not have surrounding spaces")
	}
	refuse := func(key string, set bool, why string) {
		if set {
			k.bad("kafka.sasl."+key, "%s", why)
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
			k.bad("kafka.sasl.username", "is required with mechanism %s", s.Mechanism)
		}
		if s.Password == "" {
			k.bad("kafka.sasl.password", "is required with mechanism %s", s.Mechanism)
		}
		refuse("aws_region", s.AWSRegion != "", "is only for mechanism AWS_MSK_IAM")
	case MechanismAWSMSKIAM:
		why := "is not used by mechanism AWS_MSK_IAM, which takes AWS credentials from the environment; remove it"
		refuse("username", s.Username != "", why)
		refuse("password", s.Password != "", why)
		if s.AWSRegion == "" {
			k.bad("kafka.sasl.aws_region", "is required with mechanism AWS_MSK_IAM")
		} else if !awsRegion.MatchString(s.AWSRegion) {
			k.bad("kafka.sasl.aws_region", "must be an AWS region such as eu-west-1, got %q", s.AWSRegion)
		}
		if !t.Enabled {
			k.bad("kafka.tls.enabled", "must be true with mechanism AWS_MSK_IAM: MSK's IAM listener (port 9098) is TLS only")
		}
	default:
		k.bad("kafka.sasl.mechanism", "must be one of %s, got %q", strings.Join(Mechanisms, ", "), s.Mechanism)
	}
}

var awsRegion = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

func positive(k *checker, path string, d interface{ Nanoseconds() int64 }) {
	if d.Nanoseconds() <= 0 {
		k.bad(path, "must be > 0, got %s", d)
	}
}

func hostPort(k *checker, path, addr string) {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		k.bad(path, "must be host:port, got %q", addr)
	}
}

// loadCAs reads a PEM file of certificate authorities.
func loadCAs(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.New(fileError(path, err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// fileError describes a file that cannot be read, without Go's op
// prefix: "cannot read key.pem: no such file or directory".
func fileError(path string, err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("cannot read %s: %v", path, pe.Err)
	}
	return fmt.Sprintf("cannot read %s: %v", path, err)
}

// Warnings returns the settings that work but are unsafe outside
// development, for main to log at start.
func (c *Config) Warnings() []string {
	var ws []string
	if c.Kafka.TLS.InsecureSkipVerify {
		ws = append(ws, "kafka.tls.insecure_skip_verify: broker certificates are not verified")
	}
	if (c.Kafka.SASL.Mechanism == MechanismPlain || strings.HasPrefix(c.Kafka.SASL.Mechanism, "SCRAM")) && !c.Kafka.TLS.Enabled {
		ws = append(ws, fmt.Sprintf("kafka.sasl.mechanism: %s without kafka.tls.enabled exposes the SASL exchange to the network", c.Kafka.SASL.Mechanism))
	}
	if !loopback(c.MetricsAddr) {
		ws = append(ws, "metrics_addr: metrics are served beyond this host on "+c.MetricsAddr)
	}
	return ws
}

// loopback reports whether the host of addr is a loopback address or
// localhost.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
