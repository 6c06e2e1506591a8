package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/platform/kafkaconf"
	"github.com/sfsync/sfsync/platform/sflogin"
	"github.com/sfsync/sfsync/schemas/svcconfig"
	"github.com/sfsync/sfsync/schemas/svcconfig/conformance"
	"github.com/sfsync/sfsync/schemas/svcconfig/svcconfigtest"
)

// example returns what the example file loads as, and checks c's
// defaults, for the suite.
func example(t *testing.T, c *Config) *Config {
	want := Default()
	want.MappingSection = c.MappingSection // its file taken from the example's directory, as svcconfig tests
	conformance.LocalSalesforce(&want.Salesforce.Salesforce)
	want.Kafka.Brokers = []string{"127.0.0.1:19092"}
	if ps, err := sflogin.PubSubConfig(&c.Salesforce.Salesforce, nil); err != nil || ps.Validate() != nil {
		t.Errorf("pubsub config %+v, %v", ps, err)
	}
	if tr, err := c.Kafka.Transport(); err != nil || tr.TLS != nil || tr.SASL != nil || tr.ClientID != "sfsync-producer" {
		t.Errorf("transport %+v, %v", tr, err)
	}
	return &want
}

func TestEnvOverrides(t *testing.T) {
	t.Parallel()
	path, dir := suite.Fixture(t, base+"  batch_size: 10\n  tls:\n    enabled: true\n    ca_file: ca.pem\n")
	c, err := Load(path, svcconfigtest.Env(map[string]string{
		"SFSYNC_PRODUCER_KAFKA_BROKERS":                   " a:9092, b:9092 ",
		"SFSYNC_PRODUCER_KAFKA_BATCH_SIZE":                "", // back to the default
		"SFSYNC_PRODUCER_KAFKA_BATCH_TIMEOUT":             "20ms",
		"SFSYNC_PRODUCER_KAFKA_TLS_INSECURE_SKIP_VERIFY":  "true",
		"SFSYNC_PRODUCER_KAFKA_TLS_CA_FILE":               filepath.Join(dir, "ca.pem"),
		"SFSYNC_PRODUCER_KAFKA_SASL_MECHANISM":            "SCRAM-SHA-512",
		"SFSYNC_PRODUCER_KAFKA_SASL_USERNAME":             "sfsync",
		"SFSYNC_PRODUCER_KAFKA_SASL_PASSWORD":             "pa55word-from-env\n",
		"SFSYNC_PRODUCER_KAFKA_TOPIC_PARTITIONS_EXPECTED": "sfsync.territory=12, sfsync.account=6",
		"SFSYNC_PRODUCER_SALESFORCE_ACCESS_TOKEN":         "token-from-env",
		"SFSYNC_PRODUCER_REPLAY_POLICY":                   "latest",
		"SFSYNC_PRODUCER_SUBSCRIPTION_CAPACITY":           "50",
		"SFSYNC_PRODUCER_LOG_FORMAT":                      "json",
		"SFSYNC_PRODUCER_UNRELATED":                       "ignored",
	}))
	if err != nil {
		t.Fatal(err)
	}
	k := c.Kafka
	if !reflect.DeepEqual(k.Brokers, []string{"a:9092", "b:9092"}) || k.BatchSize != DefaultBatchSize || k.BatchTimeout != 20*time.Millisecond ||
		!k.TLS.Enabled || !k.TLS.InsecureSkipVerify || k.SASL.Mechanism != kafkaconf.MechanismSCRAMSHA512 || k.SASL.Username != "sfsync" ||
		k.SASL.Password != "pa55word-from-env" || !reflect.DeepEqual(k.TopicPartitionsExpected, map[string]int{"sfsync.territory": 12, "sfsync.account": 6}) {
		t.Errorf("kafka %v", c)
	}
	if c.Salesforce.AccessToken != "token-from-env" || c.Replay.Policy != PolicyLatest || c.Subscription.Capacity != 50 || c.LogFormat != "json" {
		t.Errorf("config %v", c)
	}
	want := []string{"kafka.tls.insecure_skip_verify: broker certificates are not verified"}
	if got := c.Warnings(); !reflect.DeepEqual(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}
}

func TestApplyEnv(t *testing.T) {
	t.Parallel()
	c := Default()
	err := c.ApplyEnv(svcconfigtest.Env(map[string]string{"SFSYNC_PRODUCER_SUBSCRIPTION_STALL_TIMEOUT": "10m", "SFSYNC_PRODUCER_SALESFORCE_PLAINTEXT": "yes"}))
	want := `$SFSYNC_PRODUCER_SALESFORCE_PLAINTEXT: salesforce.plaintext: must be true or false, got "yes"`
	if err == nil || err.Error() != want || !errors.Is(err, svcconfig.ErrInvalid) {
		t.Errorf("got %v, want %s", err, want)
	}
	if c.Subscription.StallTimeout != 10*time.Minute {
		t.Errorf("stall timeout %s", c.Subscription.StallTimeout)
	}
	names := EnvNames()
	for _, n := range []string{"SFSYNC_PRODUCER_MAPPING", "SFSYNC_PRODUCER_KAFKA_BROKERS", "SFSYNC_PRODUCER_SALESFORCE_CLIENT_SECRET", "SFSYNC_PRODUCER_KAFKA_SASL_AWS_REGION"} {
		if !strings.Contains(strings.Join(names, " "), n) {
			t.Errorf("EnvNames lacks %s", n)
		}
	}
}

func TestValidateWithoutSource(t *testing.T) {
	t.Parallel()
	c := Default()
	c.MappingFile = svcconfigtest.MappingFile()
	c.Salesforce.AccessToken = "t"
	c.Salesforce.InstanceURL = "http://127.0.0.1:7012"
	c.Salesforce.OrgID = "00D000000000001"
	err := c.Validate()
	if want := "kafka.brokers: at least one broker host:port is required"; err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	c.Kafka.Brokers = []string{"[::1]:9092"}
	if err := c.Validate(); err != nil || c.Mapping == nil {
		t.Fatalf("got %v, mapping %v", err, c.Mapping)
	}
}

// TestGrantFiles checks that the key and CA files of the OAuth grants
// are taken from the configuration file's directory; salesforce/login
// tests what they become.
func TestGrantFiles(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"pkcs1.key", "pkcs8.key"} {
		path, dir := suite.Fixture(t, sf+"  grant: jwt_bearer\n  client_id: app\n  username: u@x\n  private_key_file: "+key+"\n  login_url: https://test.salesforce.com\n")
		c, err := Load(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.Salesforce.PrivateKeyFile != filepath.Join(dir, key) {
			t.Errorf("private_key_file %q not taken from the file's directory", c.Salesforce.PrivateKeyFile)
		}
		if oc, err := sflogin.OAuthConfig(&c.Salesforce.Salesforce); err != nil || oc.Validate() != nil {
			t.Errorf("%s: %v, %v", key, oc, err)
		}
	}
	path, dir := suite.Fixture(t, sf+"  grant: client_credentials\n  client_id: app\n  client_secret: cs-secret-value\n  login_url: https://acme.my.salesforce.com\n  ca_file: ca.pem\n")
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Salesforce.CAFile != filepath.Join(dir, "ca.pem") {
		t.Errorf("ca_file %q not taken from the file's directory", c.Salesforce.CAFile)
	}
}

// secrets are the producer's secrets, for the suite: the OAuth client
// secret, the static access token and Kafka's SASL password.
var secrets = conformance.Secrets[*Config]{
	Refused: svcconfigtest.Case{YAML: sf + "  grant: client_credentials\n  client_id: app\n  client_secret: " + conformance.Marker + "-cs\n  login_url: https://acme.my.salesforce.com\n" +
		"  access_token: " + conformance.Marker + "-at\n" + // both forms: an error
		"kafka:\n  sasl:\n    mechanism: PLAIN\n    username: u\n    password: \" " + conformance.Marker + "-pw\"\n"},
	Loaded: svcconfigtest.Case{
		YAML: sf + "  grant: client_credentials\n  client_id: app\n  client_secret: " + conformance.Marker + "-cs\n  login_url: https://acme.my.salesforce.com\n",
		Env: map[string]string{
			"SFSYNC_PRODUCER_KAFKA_BROKERS":        "a:1",
			"SFSYNC_PRODUCER_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
			"SFSYNC_PRODUCER_KAFKA_SASL_USERNAME":  "u",
			"SFSYNC_PRODUCER_KAFKA_SASL_PASSWORD":  conformance.Marker + "-pw",
		},
	},
	Parts: func(c *Config) ([]any, error) {
		tr, d, err := c.Kafka.Clients()
		if err != nil {
			return nil, err
		}
		oc, err := sflogin.OAuthConfig(&c.Salesforce.Salesforce)
		return []any{*c, c.Kafka, c.Salesforce, c.Kafka.SASL, tr, d, oc}, err
	},
	Marked: []string{"salesforce.client_secret=[REDACTED]"},
}

func TestLimitsPollInterval(t *testing.T) {
	t.Parallel()
	is := func(want time.Duration) func(*Config) bool {
		return func(c *Config) bool { return c.Salesforce.LimitsPollInterval == want }
	}
	conformance.Settings(t, suite, []conformance.Setting[*Config]{
		{Scenario: "default", YAML: base, Check: is(DefaultLimitsPollInterval)},
		{Scenario: "zero takes the default", YAML: strings.Replace(base, "salesforce:\n", "salesforce:\n  limits_poll_interval: 0s\n", 1), Check: is(DefaultLimitsPollInterval)},
		{Scenario: "file", YAML: strings.Replace(base, "salesforce:\n", "salesforce:\n  limits_poll_interval: 5m\n", 1), Check: is(5 * time.Minute)},
		{Scenario: "negative disables", YAML: strings.Replace(base, "salesforce:\n", "salesforce:\n  limits_poll_interval: -1s\n", 1), Check: is(-time.Second)},
		{Scenario: "env", YAML: base, Env: map[string]string{"SFSYNC_PRODUCER_SALESFORCE_LIMITS_POLL_INTERVAL": "-1s"}, Check: is(-time.Second)},
	})
}
