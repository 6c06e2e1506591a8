package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sfsync/sfsync/schemas/mapping"
)

// Grants are the accepted values of [Salesforce.Grant].
var Grants = []string{"jwt_bearer", "client_credentials"}

// keepalive is the Pub/Sub API's longest interval between keepalives.
const keepalive = 270 * time.Second

// Validate checks every setting of c as it is (call it after defaults
// are set; [Load] does), reads the files c names (mapping, CA
// certificates, client certificates, the JWT private key) to check them,
// and sets c.Mapping from the mapping file. It returns a
// *[ValidationError] listing every problem by key path, without a place
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

// check returns the problems of c and loads c.Mapping.
func (c *Config) check() []Problem {
	k := &checker{}
	c.checkMapping(k)
	c.Salesforce.check(k)
	c.Kafka.check(k)
	c.checkTopics(k)
	switch c.Replay.Policy {
	case PolicyFail, PolicyEarliest, PolicyLatest:
	default:
		k.bad("replay.policy", "must be one of fail, earliest, latest, got %q", c.Replay.Policy)
	}
	s := c.Subscription
	if s.Capacity < 1 {
		k.bad("subscription.capacity", "must be >= 1, got %d", s.Capacity)
	}
	if s.Start != "earliest" && s.Start != "latest" {
		k.bad("subscription.start", "must be one of earliest, latest, got %q", s.Start)
	}
	if s.StallTimeout <= keepalive {
		k.bad("subscription.stall_timeout", "must exceed the server's 270s keepalive interval, got %s", s.StallTimeout)
	}
	positive(k, "subscription.backoff_min", s.BackoffMin)
	if s.BackoffMax < s.BackoffMin {
		k.bad("subscription.backoff_max", "must be >= subscription.backoff_min (%s), got %s", s.BackoffMin, s.BackoffMax)
	}
	positive(k, "checkpoint_interval", c.CheckpointInterval)
	positive(k, "shutdown_timeout", c.ShutdownTimeout)
	if c.PartitionKeyCache < 1 {
		k.bad("partition_key_cache", "must be >= 1, got %d", c.PartitionKeyCache)
	}
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

// checkTopics checks the producer's own topics: valid names, distinct
// from each other and from the mapping's topics.
func (c *Config) checkTopics(k *checker) {
	own := []struct{ path, topic string }{
		{"kafka.checkpoint_topic", c.Kafka.CheckpointTopic},
		{"kafka.dead_letter_topic", c.Kafka.DeadLetterTopic},
		{"replay.reconcile_topic", c.Replay.ReconcileTopic},
	}
	used := map[string]string{}
	if c.Mapping != nil {
		for _, o := range c.Mapping.Objects {
			used[o.KafkaTopic] = "the mapping's topic of " + o.Name
		}
	}
	for _, t := range own {
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
	for _, topic := range sortedKeys(c.Kafka.TopicPartitionsExpected) {
		p := fmt.Sprintf("kafka.topic_partitions_expected[%q]", topic)
		if msg := topicProblem(topic); msg != "" {
			k.bad(p, "%s", msg)
		}
		if n := c.Kafka.TopicPartitionsExpected[topic]; n < 1 {
			k.bad(p, "must be >= 1, got %d", n)
		}
	}
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for key := range m {
		ks = append(ks, key)
	}
	slices.Sort(ks)
	return ks
}

var topicName = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// topicProblem says what is wrong with a Kafka topic name, or "".
func topicProblem(t string) string {
	if !topicName.MatchString(t) || t == "." || t == ".." {
		return fmt.Sprintf("must be a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -), got %q", t)
	}
	return ""
}

func (s *Salesforce) check(k *checker) {
	if u, err := url.Parse(s.LoginURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
		k.bad("salesforce.login_url", "must be an http(s) URL without a path such as https://login.salesforce.com, got %q", s.LoginURL)
	}
	hostPort(k, "salesforce.pubsub_endpoint", s.PubSubEndpoint)
	if s.CAFile != "" {
		if s.Plaintext {
			k.bad("salesforce.ca_file", "must be empty with salesforce.plaintext: true")
		} else if _, err := loadCAs(s.CAFile); err != nil {
			k.bad("salesforce.ca_file", "%v", err)
		}
	}
	if s.LimitsPollInterval > 0 && s.LimitsPollInterval < minLimitsPollInterval {
		k.bad("salesforce.limits_poll_interval", "must be at least %s, as each poll is a REST API request, or negative to disable polling; got %s", minLimitsPollInterval, s.LimitsPollInterval)
	}
	secret(k, "salesforce.client_secret", string(s.ClientSecret))
	secret(k, "salesforce.access_token", string(s.AccessToken))

	oauthKeys := map[string]bool{
		"client_id": s.ClientID != "", "client_secret": s.ClientSecret != "",
		"username": s.Username != "", "private_key_file": s.PrivateKeyFile != "",
	}
	staticKeys := map[string]bool{"instance_url": s.InstanceURL != "", "org_id": s.OrgID != ""}
	switch {
	case s.Grant != "" && s.AccessToken != "":
		k.bad("salesforce", "set either grant (OAuth) or access_token (a static token), not both")
	case s.Grant != "":
		s.checkOAuth(k)
		for _, key := range []string{"instance_url", "org_id"} {
			if staticKeys[key] {
				k.bad("salesforce."+key, "is only for a static access_token; OAuth returns it")
			}
		}
	case s.AccessToken != "":
		for _, key := range []string{"client_id", "client_secret", "username", "private_key_file"} {
			if oauthKeys[key] {
				k.bad("salesforce."+key, "is only for an OAuth grant, not with access_token")
			}
		}
		if s.InstanceURL == "" {
			k.bad("salesforce.instance_url", "is required with access_token")
		} else if u, err := url.Parse(s.InstanceURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
			k.bad("salesforce.instance_url", "must be an http(s) URL without a path such as https://acme.my.salesforce.com, got %q", s.InstanceURL)
		}
		if s.OrgID == "" {
			k.bad("salesforce.org_id", "is required with access_token")
		} else if !orgID.MatchString(s.OrgID) {
			k.bad("salesforce.org_id", "must be a 15- or 18-character org id starting with 00D, got %q", s.OrgID)
		}
	case oauthKeys["client_id"] || oauthKeys["client_secret"] || oauthKeys["username"] || oauthKeys["private_key_file"]:
		k.bad("salesforce.grant", "is required with client_id, client_secret, username or private_key_file: one of %s", strings.Join(Grants, ", "))
	case staticKeys["instance_url"] || staticKeys["org_id"]:
		k.bad("salesforce.access_token", "is required with instance_url and org_id")
	default:
		k.bad("salesforce", "needs credentials: grant (jwt_bearer or client_credentials) with client_id, or access_token with instance_url and org_id")
	}
}

// minLimitsPollInterval bounds how often /limits may be read.
const minLimitsPollInterval = time.Second

var orgID = regexp.MustCompile(`^00D[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$`)

func (s *Salesforce) checkOAuth(k *checker) {
	if s.ClientID == "" {
		k.bad("salesforce.client_id", "is required with grant %s", s.Grant)
	}
	refuse := func(key string, set bool) {
		if set {
			k.bad("salesforce."+key, "is not used by grant %s; remove it", s.Grant)
		}
	}
	switch s.Grant {
	case "jwt_bearer":
		refuse("client_secret", s.ClientSecret != "")
		if s.Username == "" {
			k.bad("salesforce.username", "is required with grant jwt_bearer: the integration user, the JWT's subject")
		}
		if s.PrivateKeyFile == "" {
			k.bad("salesforce.private_key_file", "is required with grant jwt_bearer")
		} else if _, err := readPrivateKey(s.PrivateKeyFile); err != nil {
			k.bad("salesforce.private_key_file", "%v", err)
		}
	case "client_credentials":
		refuse("username", s.Username != "")
		refuse("private_key_file", s.PrivateKeyFile != "")
		if s.ClientSecret == "" {
			k.bad("salesforce.client_secret", "is required with grant client_credentials")
		}
		if u, err := url.Parse(s.LoginURL); err == nil && (u.Host == "login.salesforce.com" || u.Host == "test.salesforce.com") {
			k.bad("salesforce.login_url", "must be the org's My Domain URL with grant client_credentials, got %q", s.LoginURL)
		}
	default:
		k.bad("salesforce.grant", "must be one of %s, got %q", strings.Join(Grants, ", "), s.Grant)
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
	if c.RequiredAcks != "all" {
		k.bad("kafka.required_acks", "must be all: a replay id is checkpointed only once all in-sync replicas hold its records, got %q", c.RequiredAcks)
	}
	if c.BatchSize < 1 {
		k.bad("kafka.batch_size", "must be >= 1, got %d", c.BatchSize)
	}
	positive(k, "kafka.batch_timeout", c.BatchTimeout)
	if c.MaxInFlight < 1 {
		k.bad("kafka.max_in_flight", "must be >= 1, got %d", c.MaxInFlight)
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
	secret(k, "kafka.sasl.password", string(s.Password))
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

func positive(k *checker, path string, d time.Duration) {
	if d <= 0 {
		k.bad(path, "must be > 0, got %s", d)
	}
}

func hostPort(k *checker, path, addr string) {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		k.bad(path, "must be host:port, got %q", addr)
	}
}

func secret(k *checker, path, s string) {
	if s != "" && strings.TrimSpace(s) != s {
		k.bad(path, "must not have surrounding spaces")
	}
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
	if c.Salesforce.Plaintext && !loopback(c.Salesforce.PubSubEndpoint) {
		ws = append(ws, "salesforce.plaintext: access tokens go unencrypted to "+c.Salesforce.PubSubEndpoint)
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
