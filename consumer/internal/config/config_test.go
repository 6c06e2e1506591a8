package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/schemas/svcconfig/conformance"
	"github.com/sfsync/sfsync/schemas/svcconfig/svcconfigtest"
)

// base is a valid configuration of five lines; cases append to it.
const base = "mapping: {{mapping}}\npostgres:\n  url: postgres://sfsync@127.0.0.1:15432/sfsync?sslmode=disable\nkafka:\n  brokers: [127.0.0.1:19092]\n"

// suite describes the consumer's configuration to the checks every
// service's configuration passes.
var suite = conformance.Service[*Config]{Name: "consumer", EnvPrefix: EnvPrefix, Base: base, Load: Load, Parse: Parse, Example: example, Secrets: &secrets, Seeds: []string{
	base + "  sasl: {mechanism: SCRAM}\n  topics: [a, a]\n",
	"postgres:\n  url: |\n    postgres://u:pw@h/db\n    line\n",
	"redis: {url: \"redis://:p%zz@h:1/0\"}\npostgres: {url: \"host=h password='x y'\"}\n",
}}

// example returns what the example file loads as, and checks c's
// defaults, for the suite.
func example(t *testing.T, c *Config) *Config {
	want := Default()
	want.MappingSection = c.MappingSection // its file taken from the example's directory, as svcconfig tests
	want.Kafka.Brokers = []string{"127.0.0.1:19092"}
	want.Kafka.Topics = []string{"sfsync.territory2model", "sfsync.territory2", "sfsync.userterritory2association", "sfsync.objectterritory2association", "sfsync.account"}
	want.Postgres.URL = "postgres://sfsync@127.0.0.1:15432/sfsync?sslmode=disable"
	want.Redis.URL = "redis://127.0.0.1:16379/0"
	if c.Redis.Prefix != "sfsync:dedup:sfsync-consumer:" || c.Redis.TTL != 72*time.Hour || c.Batch.Size != 1000 || c.Batch.Wait != 50*time.Millisecond ||
		c.ShutdownTimeout != 10*time.Second || c.Kafka.DeadLetterTopic != "sfsync.consumer.dead-letter" || c.Kafka.RefetchTopic != "sfsync.refetch" {
		t.Errorf("defaults: %v", c)
	}
	if tr, err := c.Kafka.Transport(); err != nil || tr.TLS != nil || tr.SASL != nil || tr.ClientID != "sfsync-consumer" {
		t.Errorf("transport %+v, %v", tr, err)
	}
	return &want
}

func TestLoadProblems(t *testing.T) {
	t.Parallel()
	conformance.Problems(t, suite, []svcconfigtest.Case{
		// The file itself.
		{Scenario: "unknown key, near miss", YAML: base + "  dead_leter_topic: x\n",
			Want: `{{file}}:6: kafka.dead_leter_topic: unknown key; did you mean dead_letter_topic?`},
		{Scenario: "unknown key, elsewhere", YAML: base + "group: g\n",
			Want: `{{file}}:6: group: unknown key; did you mean kafka.group?`},
		{Scenario: "unknown key, no hint", YAML: base + "  compression: zstd\n",
			Want: `{{file}}:6: kafka.compression: unknown key`},
		{Scenario: "duplicate key", YAML: base + "  brokers: [b:1]\n",
			Want: `{{file}}:6: kafka.brokers: defined twice (first at line 5)`},
		{Scenario: "not an integer", YAML: base + "batch:\n  size: lots\n",
			Want: `{{file}}:7: batch.size: must be an integer, got "lots"`},
		{Scenario: "section not a mapping", YAML: base + "redis: redis://h:1\n",
			Want: `{{file}}:6: redis: must be a mapping of keys, got a string`},

		// The topics.
		{Scenario: "topics", YAML: base + "  topics: [sfsync.account, sfsync.orders, sfsync.account, \"a b\"]\n  dead_letter_topic: sfsync.account\n  refetch_topic: \"\"\n  group: \" g\"\n",
			Want: "{{file}}:6: kafka.topics[1]: \"sfsync.orders\" is not the kafka_topic of any object in the mapping (sfsync.territory2model, sfsync.territory2, sfsync.userterritory2association, sfsync.objectterritory2association, sfsync.account)\n" +
				"{{file}}:6: kafka.topics[2]: \"sfsync.account\" is listed twice\n" +
				"{{file}}:6: kafka.topics[3]: must be a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -), got \"a b\"\n" +
				"{{file}}:7: kafka.dead_letter_topic: \"sfsync.account\" is already kafka.topics[0]\n" +
				"{{file}}:9: kafka.group: must be a consumer group id without surrounding spaces, got \" g\""},
		{Scenario: "own topics clash", YAML: base + "  refetch_topic: sfsync.consumer.dead-letter\n",
			Want: `{{file}}:6: kafka.refetch_topic: "sfsync.consumer.dead-letter" is already kafka.dead_letter_topic`},

		// The stores.
		{Scenario: "postgres missing", YAML: strings.Replace(base, "postgres:\n  url: postgres://sfsync@127.0.0.1:15432/sfsync?sslmode=disable\n", "", 1),
			Want: `{{file}}: postgres.url: is required: the database to apply the records to, such as postgres://sfsync@127.0.0.1:5432/sfsync`},
		{Scenario: "postgres url unparseable", YAML: strings.Replace(base, "sfsync@127.0.0.1:15432", "sfsync:pa%zzword@127.0.0.1:15432", 1),
			Want: `{{file}}:3: postgres.url: must be a PostgreSQL connection string such as postgres://sfsync@127.0.0.1:5432/sfsync?sslmode=verify-full, got [REDACTED]: invalid percent-encoded token in password`},
		{Scenario: "postgres url bad sslmode", YAML: strings.Replace(base, "sfsync@127.0.0.1:15432/sfsync?sslmode=disable", "sfsync:hunter2@127.0.0.1:15432/sfsync?sslmode=sometimes", 1),
			Want: `{{file}}:3: postgres.url: must be a PostgreSQL connection string such as postgres://sfsync@127.0.0.1:5432/sfsync?sslmode=verify-full, got postgres://sfsync:xxxxx@127.0.0.1:15432/sfsync?sslmode=sometimes: sslmode is invalid`},
		{Scenario: "redis", YAML: base + "redis:\n  url: http://h:1\n  prefix: \"\"\n  ttl: -1h\n",
			Want: "{{file}}:7: redis.url: must be a Redis URL such as redis://127.0.0.1:6379/0 or rediss://host:6380/0, got http://h:1: redis: invalid URL scheme: http\n" +
				"{{file}}:9: redis.ttl: must be > 0, got -1h0m0s"},

		// The rest.
		{Scenario: "batch", YAML: base + "batch: {size: -1, wait: -1s, lanes: -2, timeout: -1m}\n",
			Want: "{{file}}:6: batch.lanes: must be >= 1, got -2\n" +
				"{{file}}:6: batch.size: must be >= 1, got -1\n" +
				"{{file}}:6: batch.wait: must be > 0, got -1s\n" +
				"{{file}}:6: batch.timeout: must be > 0, got -1m0s"},

		// The environment.
		{Scenario: "env integer", YAML: base, Env: map[string]string{"SFSYNC_CONSUMER_BATCH_SIZE": "big"},
			Want: `$SFSYNC_CONSUMER_BATCH_SIZE: batch.size: must be an integer, got "big"`},
		{Scenario: "env clears a file value", YAML: base, Env: map[string]string{"SFSYNC_CONSUMER_POSTGRES_URL": ""},
			Want: `$SFSYNC_CONSUMER_POSTGRES_URL: postgres.url: is required: the database to apply the records to, such as postgres://sfsync@127.0.0.1:5432/sfsync`},
	})
}

func TestEnvOverrides(t *testing.T) {
	t.Parallel()
	path, dir := suite.Fixture(t, base+"  group: from-file\nbatch:\n  size: 10\n")
	c, err := Load(path, svcconfigtest.Env(map[string]string{
		"SFSYNC_CONSUMER_KAFKA_BROKERS":     " a:9092, b:9092 ",
		"SFSYNC_CONSUMER_KAFKA_GROUP":       "replicas",
		"SFSYNC_CONSUMER_KAFKA_TOPICS":      "sfsync.account",
		"SFSYNC_CONSUMER_KAFKA_TLS_ENABLED": "true",
		"SFSYNC_CONSUMER_KAFKA_TLS_CA_FILE": filepath.Join(dir, "ca.pem"),
		"SFSYNC_CONSUMER_POSTGRES_URL":      "host=db user=sfsync password=from-env",
		"SFSYNC_CONSUMER_REDIS_URL":         "redis://r:6379/1",
		"SFSYNC_CONSUMER_BATCH_SIZE":        "", // back to the default
		"SFSYNC_CONSUMER_BATCH_WAIT":        "20ms",
		"SFSYNC_CONSUMER_LOG_FORMAT":        "json",
		"SFSYNC_CONSUMER_UNRELATED":         "ignored",
	}))
	if err != nil {
		t.Fatal(err)
	}
	k := c.Kafka
	if !reflect.DeepEqual(k.Brokers, []string{"a:9092", "b:9092"}) || k.Group != "replicas" || !reflect.DeepEqual(k.Topics, []string{"sfsync.account"}) || !k.TLS.Enabled {
		t.Errorf("kafka %v", c)
	}
	if c.Postgres.URL != "host=db user=sfsync password=from-env" || c.Redis.URL != "redis://r:6379/1" || c.Redis.Prefix != "sfsync:dedup:replicas:" ||
		c.Batch.Size != DefaultBatchSize || c.Batch.Wait != 20*time.Millisecond || c.LogFormat != "json" {
		t.Errorf("config %v", c)
	}
	names := strings.Join(EnvNames(), " ")
	for _, n := range []string{"SFSYNC_CONSUMER_MAPPING", "SFSYNC_CONSUMER_POSTGRES_URL", "SFSYNC_CONSUMER_REDIS_TTL", "SFSYNC_CONSUMER_KAFKA_DEAD_LETTER_TOPIC"} {
		if !strings.Contains(names, n) {
			t.Errorf("EnvNames lacks %s", n)
		}
	}
}

// secrets are the consumer's secrets, for the suite: Kafka's SASL
// password and the PostgreSQL and Redis URLs' passwords.
var secrets = conformance.Secrets[*Config]{
	Refused: svcconfigtest.Case{
		YAML: base + "  sasl:\n    mechanism: PLAIN\n    password: \" " + conformance.Marker + "-pw\"\nredis:\n  url: redis://:" + conformance.Marker + "@h:1/x\n",
		Env:  map[string]string{"SFSYNC_CONSUMER_POSTGRES_URL": "postgres://u:" + conformance.Marker + "@h:1/db?sslmode=never"},
	},
	Loaded: svcconfigtest.Case{YAML: base + "redis:\n  url: rediss://:" + conformance.Marker + "@h:1/0\n", Env: map[string]string{
		"SFSYNC_CONSUMER_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
		"SFSYNC_CONSUMER_KAFKA_SASL_USERNAME":  "u",
		"SFSYNC_CONSUMER_KAFKA_SASL_PASSWORD":  conformance.Marker + "-pw",
		"SFSYNC_CONSUMER_POSTGRES_URL":         "postgres://u:" + conformance.Marker + "@h:1/db",
	}},
	Parts: func(c *Config) ([]any, error) {
		tr, d, err := c.Kafka.Clients()
		return []any{*c, c.Kafka, c.Kafka.SASL, c.Postgres, c.Redis, tr, d}, err
	},
	Marked: []string{"kafka.sasl.password=[REDACTED]", `postgres.url="postgres://u:xxxxx@h:1/db"`},
}

// TestCleartextWarnings checks the warnings about credentials that cross
// the network unencrypted: PostgreSQL without verified TLS and Redis with
// a password over redis://, to hosts beyond loopback only.
func TestCleartextWarnings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario, postgres, redis string
		want                      []string
	}{
		{scenario: "loopback", postgres: "postgres://u:p@127.0.0.1/db?sslmode=disable", redis: "redis://:secret@localhost:6379/0"},
		{scenario: "remote, verified", postgres: "postgres://u:p@db.example.com/db?sslmode=verify-full", redis: "rediss://:secret@cache.example.com:6380/0"},
		{scenario: "remote redis without a password", postgres: "postgres://u:p@db.example.com/db?sslmode=verify-full", redis: "redis://cache.example.com:6379/0"},
		{scenario: "remote, cleartext", postgres: "postgres://u:p@db.example.com/db?sslmode=require", redis: "redis://:secret@cache.example.com:6379/0", want: []string{
			"postgres.url: the connection to db.example.com does not verify the server's certificate (sslmode=require); use sslmode=verify-full",
			"redis.url: redis:// sends the password unencrypted to cache.example.com:6379; use rediss://",
		}},
	} {
		path, _ := suite.Fixture(t, "mapping: {{mapping}}\nkafka:\n  brokers: [127.0.0.1:19092]\npostgres:\n  url: "+tc.postgres+"\nredis:\n  url: "+tc.redis+"\n")
		c, err := Load(path, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.scenario, err)
		}
		got := c.Warnings()
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.scenario, got, tc.want)
		}
		for _, w := range got {
			if strings.Contains(w, "secret") || strings.Contains(w, ":p@") {
				t.Errorf("%s: a warning shows a password: %s", tc.scenario, w)
			}
		}
	}
}
