package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/platform/sflogin"
	"github.com/sfsync/sfsync/schemas/svcconfig/conformance"
	"github.com/sfsync/sfsync/schemas/svcconfig/svcconfigtest"
)

// base is a valid configuration of nine lines, the salesforce section
// with a static token; cases append to it.
const base = "mapping: {{mapping}}\nsalesforce:\n" + conformance.StaticToken +
	"postgres:\n  url: postgres://sfsync@127.0.0.1:15432/sfsync?sslmode=disable\nkafka:\n  brokers: [127.0.0.1:19092]\n"

// suite describes the reconciler's configuration to the checks every
// service's configuration passes.
var suite = conformance.Service[*Config]{Name: "reconciler", EnvPrefix: EnvPrefix, Base: base, Load: Load, Parse: Parse, Example: example, Secrets: &secrets, Seeds: []string{
	base + "  sasl: {mechanism: SCRAM}\nverify: {full_every: 0s, repair: false}\n",
	"postgres:\n  url: |\n    postgres://u:pw@h/db\n    line\n",
}}

// example returns what the example file loads as, and checks c's
// defaults, for the suite.
func example(t *testing.T, c *Config) *Config {
	want := Default()
	want.Postgres.URL = "postgres://sfsync@127.0.0.1:15432/sfsync?sslmode=disable"
	want.Kafka.Brokers = []string{"127.0.0.1:19092"}
	conformance.LocalSalesforce(&want.Salesforce.Salesforce)
	want.MappingSection = c.MappingSection // its file taken from the example's directory, as svcconfig tests
	k := c.Kafka
	if k.ClientID != "sfsync-reconciler" || k.Group != "sfsync-reconciler" || k.RefetchTopic != "sfsync.refetch" || k.ReconcileTopic != "sfsync.reconcile-requests" ||
		k.CheckpointTopic != "sfsync.checkpoints" || k.CompactedSuffix != ".latest" || c.CompactedTopic("sfsync.account") != "sfsync.account.latest" {
		t.Errorf("kafka defaults: %v", c)
	}
	v := c.Verify
	if v.Interval != 5*time.Minute || v.Window != 15*time.Minute || v.Grace != 30*time.Second || *v.FullEvery != 24*time.Hour || !*v.Repair ||
		c.Poll.Interval != time.Minute || c.Poll.DeleteCheckEvery != 10 || !*c.Compact.Enabled || c.Backfill.PageSize != 10000 ||
		c.ShutdownTimeout != 10*time.Second || c.MetricsAddr != "127.0.0.1:9467" || c.LogLevel != "info" || c.LogFormat != "text" {
		t.Errorf("defaults: %v", c)
	}
	return &want
}

// TestSettings checks what each setting becomes from the file and the
// environment, defaults and explicit zeroes included.
func TestSettings(t *testing.T) {
	t.Parallel()
	conformance.Settings(t, suite, []conformance.Setting[*Config]{
		{Scenario: "defaults", YAML: base, Check: func(c *Config) bool {
			return *c.Verify.FullEvery == DefaultFullEvery && *c.Verify.Repair && *c.Compact.Enabled
		}},
		{Scenario: "full comparison disabled", YAML: base + "verify:\n  full_every: 0s\n", Check: func(c *Config) bool { return *c.Verify.FullEvery == 0 }},
		{Scenario: "repair off", YAML: base + "verify:\n  repair: false\n", Check: func(c *Config) bool { return !*c.Verify.Repair }},
		{Scenario: "compaction off", YAML: base + "compact:\n  enabled: false\n", Check: func(c *Config) bool { return !*c.Compact.Enabled }},
		{Scenario: "empty key takes the default", YAML: base + "verify:\n  repair:\n", Check: func(c *Config) bool { return *c.Verify.Repair }},
		{Scenario: "file values", YAML: base + "verify: {interval: 1m, window: 2m, grace: 5s, full_every: 12h}\npoll: {interval: 30s, delete_check_every: 3}\nbackfill: {page_size: 50_000, bulk_threshold: 1}\n",
			Check: func(c *Config) bool {
				v := c.Verify
				return v.Interval == time.Minute && v.Window == 2*time.Minute && v.Grace == 5*time.Second && *v.FullEvery == 12*time.Hour &&
					c.Poll.Interval == 30*time.Second && c.Poll.DeleteCheckEvery == 3 && c.Backfill.PageSize == 50000 && c.Backfill.BulkThreshold == 1
			}},
		{Scenario: "env", YAML: base, Env: map[string]string{
			"SFSYNC_RECONCILER_VERIFY_FULL_EVERY":      "0",
			"SFSYNC_RECONCILER_VERIFY_REPAIR":          "false",
			"SFSYNC_RECONCILER_COMPACT_ENABLED":        "false",
			"SFSYNC_RECONCILER_KAFKA_BROKERS":          "a:1, b:2",
			"SFSYNC_RECONCILER_KAFKA_GROUP":            "g2",
			"SFSYNC_RECONCILER_KAFKA_COMPACTED_SUFFIX": "-state",
			"SFSYNC_RECONCILER_POSTGRES_URL":           "host=db user=sfsync password=from-env",
			"SFSYNC_RECONCILER_BACKFILL_PAGE_SIZE":     "",
		}, Check: func(c *Config) bool {
			return *c.Verify.FullEvery == 0 && !*c.Verify.Repair && !*c.Compact.Enabled && reflect.DeepEqual(c.Kafka.Brokers, []string{"a:1", "b:2"}) &&
				c.Kafka.Group == "g2" && c.CompactedTopic("t") == "t-state" && c.Postgres.URL == "host=db user=sfsync password=from-env" &&
				c.Backfill.PageSize == DefaultPageSize
		}},
		{Scenario: "env empty resets to the default", YAML: base + "verify:\n  repair: false\n", Env: map[string]string{"SFSYNC_RECONCILER_VERIFY_REPAIR": ""},
			Check: func(c *Config) bool { return *c.Verify.Repair }},
	})
}

func TestLoadProblems(t *testing.T) {
	t.Parallel()
	conformance.Problems(t, suite, []svcconfigtest.Case{
		// The file itself.
		{Scenario: "unknown key, near miss", YAML: base + "  refech_topic: x\n", Want: `{{file}}:10: kafka.refech_topic: unknown key; did you mean refetch_topic?`},
		{Scenario: "unknown key, elsewhere", YAML: base + "page_size: 5\n", Want: `{{file}}:10: page_size: unknown key; did you mean backfill.page_size?`},
		{Scenario: "unknown key, shared section", YAML: base + "  grup: g\n", Want: `{{file}}:10: kafka.grup: unknown key; did you mean group?`},
		{Scenario: "not a boolean", YAML: base + "verify:\n  repair: maybe\n", Want: `{{file}}:11: verify.repair: must be true or false, got "maybe"`},
		{Scenario: "not a duration", YAML: base + "verify:\n  full_every: 1d\n", Want: `{{file}}:11: verify.full_every: must be a duration such as 30s or 5m, got "1d"`},

		// Salesforce, Kafka and PostgreSQL.
		{Scenario: "salesforce without credentials", YAML: strings.Replace(base, "  access_token: sfemu-local-dev-token\n", "", 1),
			Want: `{{file}}:2: salesforce.access_token: is required with instance_url and org_id`},
		{Scenario: "salesforce jwt bearer incomplete", YAML: strings.Replace(base, conformance.StaticToken, "  grant: jwt_bearer\n  client_id: app\n  private_key_file: none.key\n", 1),
			Want: "{{file}}:2: salesforce.username: is required with grant jwt_bearer: the integration user, the JWT's subject\n" +
				"{{file}}:5: salesforce.private_key_file: cannot read {{dir}}/none.key: no such file or directory"},
		{Scenario: "topics", YAML: base + "  group: \" g\"\n  refetch_topic: sfsync.account\n  reconcile_topic: \"a b\"\n  checkpoint_topic: sfsync.refetch\n",
			Want: "{{file}}:10: kafka.group: must be a consumer group id without surrounding spaces, got \" g\"\n" +
				"{{file}}:11: kafka.refetch_topic: \"sfsync.account\" is already the mapping's topic of Account\n" +
				"{{file}}:12: kafka.reconcile_topic: must be a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -), got \"a b\""},
		{Scenario: "compacted suffix characters", YAML: base + "  compacted_suffix: \"/latest\"\n",
			Want: `{{file}}:10: kafka.compacted_suffix: must be one or more of a-z A-Z 0-9 . _ -, got "/latest"`},
		{Scenario: "compacted topic clashes", YAML: base + "  refetch_topic: sfsync.account.latest\n",
			Want: `{{file}}:8: kafka.compacted_suffix: makes "sfsync.account.latest", the compacted topic of sfsync.account, which is already kafka.refetch_topic`},
		{Scenario: "compacted topic too long", YAML: base + "  compacted_suffix: " + strings.Repeat("x", 240) + "\n",
			Want: `{{file}}:10: kafka.compacted_suffix: makes the compacted topic of sfsync.territory2model too long: must be a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -), got "sfsync.territory2model` + strings.Repeat("x", 240) + `"`},
		{Scenario: "compacted topics unchecked when compaction is off", YAML: base + "  refetch_topic: sfsync.account.latest\ncompact: {enabled: false}\n"},
		{Scenario: "postgres missing", YAML: strings.Replace(base, "postgres:\n  url: postgres://sfsync@127.0.0.1:15432/sfsync?sslmode=disable\n", "", 1),
			Want: `{{file}}: postgres.url: is required: the database to compare with Salesforce, such as postgres://sfsync@127.0.0.1:5432/sfsync`},
		{Scenario: "postgres url bad sslmode", YAML: strings.Replace(base, "sfsync@127.0.0.1:15432/sfsync?sslmode=disable", "sfsync:hunter2@127.0.0.1:15432/sfsync?sslmode=sometimes", 1),
			Want: `{{file}}:7: postgres.url: must be a PostgreSQL connection string such as postgres://sfsync@127.0.0.1:5432/sfsync?sslmode=verify-full, got postgres://sfsync:xxxxx@127.0.0.1:15432/sfsync?sslmode=sometimes: sslmode is invalid`},

		// Verify, poll, backfill and the process.
		{Scenario: "verify negative", YAML: base + "verify:\n  interval: -1m\n  window: -1m\n  grace: -1s\n  full_every: -1h\n",
			Want: "{{file}}:11: verify.interval: must be > 0, got -1m0s\n" +
				"{{file}}:12: verify.window: must be > 0, got -1m0s\n" +
				"{{file}}:13: verify.grace: must be >= 0, got -1s\n" +
				"{{file}}:14: verify.full_every: must be >= 0 (0 disables the full comparison), got -1h0m0s"},
		{Scenario: "verify inconsistent", YAML: base + "verify:\n  interval: 10m\n  window: 5m\n  grace: 5m\n  full_every: 1m\n",
			Want: "{{file}}:12: verify.window: must be >= verify.interval (10m0s), so that consecutive runs overlap, got 5m0s\n" +
				"{{file}}:13: verify.grace: must be less than verify.window (5m0s), got 5m0s\n" +
				"{{file}}:14: verify.full_every: must be 0 (never) or at least verify.interval (10m0s), got 1m0s"},
		{Scenario: "poll and backfill", YAML: base + "poll: {interval: 10ms, delete_check_every: -1}\nbackfill: {page_size: -5, bulk_threshold: -1}\n",
			Want: "{{file}}:10: poll.interval: must be at least 1s, as each poll is a REST API request, got 10ms\n" +
				"{{file}}:10: poll.delete_check_every: must be >= 1, got -1\n" +
				"{{file}}:11: backfill.page_size: must be >= 1, got -5\n" +
				"{{file}}:11: backfill.bulk_threshold: must be >= 1, got -1"},
		// The environment.
		{Scenario: "env pointer", YAML: base, Env: map[string]string{"SFSYNC_RECONCILER_COMPACT_ENABLED": "off"},
			Want: `$SFSYNC_RECONCILER_COMPACT_ENABLED: compact.enabled: must be true or false, got "off"`},
		{Scenario: "env value invalid", YAML: base, Env: map[string]string{"SFSYNC_RECONCILER_VERIFY_WINDOW": "1m"},
			Want: `$SFSYNC_RECONCILER_VERIFY_WINDOW: verify.window: must be >= verify.interval (5m0s), so that consecutive runs overlap, got 1m0s`},
		{Scenario: "env clears a file value", YAML: base, Env: map[string]string{"SFSYNC_RECONCILER_POSTGRES_URL": ""},
			Want: `$SFSYNC_RECONCILER_POSTGRES_URL: postgres.url: is required: the database to compare with Salesforce, such as postgres://sfsync@127.0.0.1:5432/sfsync`},
	})
}

// TestGrantFiles checks that the key and CA files of an OAuth grant are
// taken from the configuration file's directory; salesforce/login tests
// what they become.
func TestGrantFiles(t *testing.T) {
	t.Parallel()
	cfg := strings.Replace(base, conformance.StaticToken,
		"  grant: jwt_bearer\n  client_id: app\n  username: u@x\n  private_key_file: pkcs8.key\n  login_url: https://test.salesforce.com\n  ca_file: ca.pem\n", 1)
	path, dir := suite.Fixture(t, cfg)
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Salesforce.CAFile != filepath.Join(dir, "ca.pem") || c.Salesforce.PrivateKeyFile != filepath.Join(dir, "pkcs8.key") {
		t.Errorf("salesforce %v", c.Salesforce)
	}
	if oc, err := sflogin.OAuthConfig(&c.Salesforce.Salesforce); err != nil || oc.Validate() != nil {
		t.Errorf("%v, %v", oc, err)
	}
}

func TestWarnings(t *testing.T) {
	t.Parallel()
	remote := strings.Replace(base, "127.0.0.1:15432", "db.example.com:5432", 1)
	path, _ := suite.Fixture(t, strings.Replace(remote, "  org_id:", "  plaintext: true\n  pubsub_endpoint: sf.example.com:7011\n  org_id:", 1)+
		"  sasl: {mechanism: PLAIN, username: u, password: p}\nverify: {repair: false}\nmetrics_addr: 0.0.0.0:9467\n")
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"kafka.sasl.mechanism: PLAIN without kafka.tls.enabled exposes the SASL exchange to the network",
		"salesforce.plaintext: access tokens go unencrypted to sf.example.com:7011",
		"postgres.url: the connection to db.example.com does not use TLS (sslmode=disable); use sslmode=verify-full",
		"metrics_addr: metrics are served beyond this host on 0.0.0.0:9467 (set metrics_public: true if intended)",
		"verify.repair: false: drift is reported, not repaired",
	}
	if got := c.Warnings(); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// secrets are the reconciler's secrets, for the suite: the static
// access token, Kafka's SASL password and the PostgreSQL URL's password.
var secrets = conformance.Secrets[*Config]{
	Refused: svcconfigtest.Case{
		YAML: strings.Replace(base, "sfemu-local-dev-token", " "+conformance.Marker+"-at", 1) + "  sasl:\n    mechanism: PLAIN\n    password: \" " + conformance.Marker + "-pw\"\n",
		Env:  map[string]string{"SFSYNC_RECONCILER_POSTGRES_URL": "postgres://u:" + conformance.Marker + "@h:1/db?sslmode=never"},
	},
	Loaded: svcconfigtest.Case{YAML: strings.Replace(base, "sfemu-local-dev-token", conformance.Marker+"-at", 1), Env: map[string]string{
		"SFSYNC_RECONCILER_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
		"SFSYNC_RECONCILER_KAFKA_SASL_USERNAME":  "u",
		"SFSYNC_RECONCILER_KAFKA_SASL_PASSWORD":  conformance.Marker + "-pw",
		"SFSYNC_RECONCILER_POSTGRES_URL":         "postgres://u:" + conformance.Marker + "@h:1/db",
	}},
	// Not pubsub.Config: fmt prints its static token, as it reaches it
	// through unexported fields, where Secret's Format is not called.
	Parts: func(c *Config) ([]any, error) {
		tr, d, err := c.Kafka.Clients()
		return []any{*c, c.Kafka, c.Salesforce, c.Kafka.SASL, c.Postgres, tr, d}, err
	},
	Marked: []string{"salesforce.access_token=[REDACTED]", `postgres.url="postgres://u:xxxxx@h:1/db"`, "verify.repair=true"},
}

func TestEnvNames(t *testing.T) {
	t.Parallel()
	names := strings.Join(EnvNames(), " ")
	for _, n := range []string{"SFSYNC_RECONCILER_MAPPING", "SFSYNC_RECONCILER_SALESFORCE_CLIENT_SECRET", "SFSYNC_RECONCILER_KAFKA_COMPACTED_SUFFIX",
		"SFSYNC_RECONCILER_VERIFY_FULL_EVERY", "SFSYNC_RECONCILER_POLL_DELETE_CHECK_EVERY", "SFSYNC_RECONCILER_BACKFILL_PAGE_SIZE"} {
		if !strings.Contains(names, n) {
			t.Errorf("EnvNames lacks %s", n)
		}
	}
	if EnvName("postgres.url") != "SFSYNC_RECONCILER_POSTGRES_URL" {
		t.Error(EnvName("postgres.url"))
	}
}
