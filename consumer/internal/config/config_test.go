package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/platform/kafkaconf"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// base is a valid configuration of five lines; cases append to it.
const base = `mapping: {{mapping}}
postgres:
  url: postgres://sfsync@127.0.0.1:15432/sfsync?sslmode=disable
kafka:
  brokers: [127.0.0.1:19092]
`

func TestExampleFile(t *testing.T) {
	t.Parallel()
	c, err := Load("../../consumer.example.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.MappingFile = filepath.Join("..", "..", "..", "schemas", "mappings", "territory.yaml")
	want.Kafka.Brokers = []string{"127.0.0.1:19092"}
	want.Kafka.Topics = []string{"sfsync.territory2model", "sfsync.territory2", "sfsync.userterritory2association", "sfsync.objectterritory2association", "sfsync.account"}
	want.Postgres.URL = "postgres://sfsync@127.0.0.1:15432/sfsync?sslmode=disable"
	want.Redis.URL = "redis://127.0.0.1:16379/0"
	want.Mapping = c.Mapping
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("got  %v\nwant %v", c, want)
	}
	if c.Redis.Prefix != "sfsync:dedup:sfsync-consumer:" || c.Redis.TTL != 72*time.Hour || c.Batch.Size != 1000 || c.Batch.Wait != 50*time.Millisecond ||
		c.ShutdownTimeout != 10*time.Second || c.Kafka.DeadLetterTopic != "sfsync.consumer.dead-letter" || c.Kafka.RefetchTopic != "sfsync.refetch" {
		t.Errorf("defaults: %v", c)
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("warnings: %q", w)
	}
	if tr, err := c.Kafka.Transport(); err != nil || tr.TLS != nil || tr.SASL != nil || tr.ClientID != "sfsync-consumer" {
		t.Errorf("transport %+v, %v", tr, err)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate after Load: %v", err)
	}
}

func TestLoadProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		yaml     string
		env      map[string]string
		want     string // {{file}} and {{dir}} are replaced
	}{
		// The file itself.
		{scenario: "syntax error", yaml: "kafka:\n  brokers: [a:1\n",
			want: `{{file}}:2: sequence end token ']' not found`},
		{scenario: "two documents", yaml: base + "---\nlog_level: info\n",
			want: `{{file}}:7: want one YAML document, found a second`},
		{scenario: "unknown key, near miss", yaml: base + "  dead_leter_topic: x\n",
			want: `{{file}}:6: kafka.dead_leter_topic: unknown key; did you mean dead_letter_topic?`},
		{scenario: "unknown key, elsewhere", yaml: base + "group: g\n",
			want: `{{file}}:6: group: unknown key; did you mean kafka.group?`},
		{scenario: "unknown key, no hint", yaml: base + "  compression: zstd\n",
			want: `{{file}}:6: kafka.compression: unknown key`},
		{scenario: "duplicate key", yaml: base + "  brokers: [b:1]\n",
			want: `{{file}}:6: kafka.brokers: defined twice (first at line 5)`},
		{scenario: "not an integer", yaml: base + "batch:\n  size: lots\n",
			want: `{{file}}:7: batch.size: must be an integer, got "lots"`},
		{scenario: "not a duration", yaml: base + "shutdown_timeout: 30\n",
			want: `{{file}}:6: shutdown_timeout: must be a duration such as 30s or 5m, got "30"`},
		{scenario: "section not a mapping", yaml: base + "redis: redis://h:1\n",
			want: `{{file}}:6: redis: must be a mapping of keys, got a string`},

		// The mapping and topics.
		{scenario: "mapping missing", yaml: strings.Replace(base, "mapping: {{mapping}}\n", "", 1),
			want: `{{file}}: mapping: is required: the mapping file naming the objects to sync`},
		{scenario: "mapping unreadable", yaml: strings.Replace(base, "{{mapping}}", "nowhere.yaml", 1),
			want: `{{file}}:1: mapping: cannot read {{dir}}/nowhere.yaml: no such file or directory`},
		{scenario: "mapping invalid", yaml: strings.Replace(base, "{{mapping}}", "bad-mapping.yaml", 1),
			want: "{{dir}}/bad-mapping.yaml:3:3: Account: missing fields\n" +
				`{{dir}}/bad-mapping.yaml:5:5: Account: unknown key "fieldz" (did you mean fields?)`},
		{scenario: "topics", yaml: base + "  topics: [sfsync.account, sfsync.orders, sfsync.account, \"a b\"]\n  dead_letter_topic: sfsync.account\n  refetch_topic: \"\"\n  group: \" g\"\n",
			want: "{{file}}:6: kafka.topics[1]: \"sfsync.orders\" is not the kafka_topic of any object in the mapping (sfsync.territory2model, sfsync.territory2, sfsync.userterritory2association, sfsync.objectterritory2association, sfsync.account)\n" +
				"{{file}}:6: kafka.topics[2]: \"sfsync.account\" is listed twice\n" +
				"{{file}}:6: kafka.topics[3]: must be a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -), got \"a b\"\n" +
				"{{file}}:7: kafka.dead_letter_topic: \"sfsync.account\" is already kafka.topics[0]\n" +
				"{{file}}:9: kafka.group: must be a consumer group id without surrounding spaces, got \" g\""},
		{scenario: "own topics clash", yaml: base + "  refetch_topic: sfsync.consumer.dead-letter\n",
			want: `{{file}}:6: kafka.refetch_topic: "sfsync.consumer.dead-letter" is already kafka.dead_letter_topic`},

		// Kafka security.
		{scenario: "brokers missing", yaml: strings.Replace(base, "  brokers: [127.0.0.1:19092]\n", "  client_id: x\n", 1),
			want: `{{file}}:4: kafka.brokers: at least one broker host:port is required`},
		{scenario: "tls settings without tls", yaml: base + "  tls:\n    ca_file: ca.pem\n",
			want: "{{file}}:7: kafka.tls.ca_file: needs kafka.tls.enabled: true"},
		{scenario: "tls ca not PEM", yaml: base + "  tls: {enabled: true, ca_file: text.txt}\n",
			want: "{{file}}:6: kafka.tls.ca_file: {{dir}}/text.txt holds no PEM certificate"},
		{scenario: "sasl mechanism unknown", yaml: base + "  sasl:\n    mechanism: SCRAM\n",
			want: `{{file}}:7: kafka.sasl.mechanism: must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM, got "SCRAM"`},
		{scenario: "scram incomplete", yaml: base + "  sasl:\n    mechanism: SCRAM-SHA-512\n",
			want: "{{file}}:6: kafka.sasl.username: is required with mechanism SCRAM-SHA-512\n" +
				"{{file}}:6: kafka.sasl.password: is required with mechanism SCRAM-SHA-512"},
		{scenario: "msk iam without tls", yaml: base + "  sasl: {mechanism: AWS_MSK_IAM, aws_region: eu-west-1}\n",
			want: "{{file}}:4: kafka.tls.enabled: must be true with mechanism AWS_MSK_IAM: MSK's IAM listener (port 9098) is TLS only"},

		// The stores.
		{scenario: "postgres missing", yaml: strings.Replace(base, "postgres:\n  url: postgres://sfsync@127.0.0.1:15432/sfsync?sslmode=disable\n", "", 1),
			want: `{{file}}: postgres.url: is required: the database to apply the records to, such as postgres://sfsync@127.0.0.1:5432/sfsync`},
		{scenario: "postgres url unparseable", yaml: strings.Replace(base, "sfsync@127.0.0.1:15432", "sfsync:pa%zzword@127.0.0.1:15432", 1),
			want: `{{file}}:3: postgres.url: must be a PostgreSQL connection string such as postgres://sfsync@127.0.0.1:5432/sfsync?sslmode=verify-full, got [REDACTED]: invalid percent-encoded token in password`},
		{scenario: "postgres url bad sslmode", yaml: strings.Replace(base, "sfsync@127.0.0.1:15432/sfsync?sslmode=disable", "sfsync:hunter2@127.0.0.1:15432/sfsync?sslmode=sometimes", 1),
			want: `{{file}}:3: postgres.url: must be a PostgreSQL connection string such as postgres://sfsync@127.0.0.1:5432/sfsync?sslmode=verify-full, got postgres://sfsync:xxxxx@127.0.0.1:15432/sfsync?sslmode=sometimes: sslmode is invalid`},
		{scenario: "redis", yaml: base + "redis:\n  url: http://h:1\n  prefix: \"\"\n  ttl: -1h\n",
			want: "{{file}}:7: redis.url: must be a Redis URL such as redis://127.0.0.1:6379/0 or rediss://host:6380/0, got http://h:1: redis: invalid URL scheme: http\n" +
				"{{file}}:9: redis.ttl: must be > 0, got -1h0m0s"},

		// The rest.
		{scenario: "process settings", yaml: base + "batch: {size: -1, wait: -1s, lanes: -2}\nshutdown_timeout: -1s\nmetrics_addr: 9465\nlog_level: verbose\nlog_format: xml\n",
			want: "{{file}}:6: batch.lanes: must be >= 1, got -2\n" +
				"{{file}}:6: batch.size: must be >= 1, got -1\n" +
				"{{file}}:6: batch.wait: must be > 0, got -1s\n" +
				"{{file}}:7: shutdown_timeout: must be > 0, got -1s\n" +
				"{{file}}:8: metrics_addr: must be host:port, got \"9465\"\n" +
				"{{file}}:9: log_level: must be one of debug, info, warn, error, got \"verbose\"\n" +
				"{{file}}:10: log_format: must be one of text, json, got \"xml\""},

		// The environment.
		{scenario: "env integer", yaml: base, env: map[string]string{"SFSYNC_CONSUMER_BATCH_SIZE": "big"},
			want: `$SFSYNC_CONSUMER_BATCH_SIZE: batch.size: must be an integer, got "big"`},
		{scenario: "env list", yaml: base, env: map[string]string{"SFSYNC_CONSUMER_KAFKA_BROKERS": "a:1,,b:2"},
			want: `$SFSYNC_CONSUMER_KAFKA_BROKERS: kafka.brokers: must be a comma-separated list such as a:9092,b:9092, got an empty item`},
		{scenario: "env clears a file value", yaml: base, env: map[string]string{"SFSYNC_CONSUMER_POSTGRES_URL": ""},
			want: `$SFSYNC_CONSUMER_POSTGRES_URL: postgres.url: is required: the database to apply the records to, such as postgres://sfsync@127.0.0.1:5432/sfsync`},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			path, dir := fixture(t, tc.yaml)
			c, err := Load(path, env(tc.env))
			if err == nil {
				t.Fatalf("Load succeeded: %v", c)
			}
			if !errors.Is(err, svcconfig.ErrInvalid) {
				t.Errorf("error does not wrap svcconfig.ErrInvalid: %v", err)
			}
			want := strings.NewReplacer("{{file}}", path, "{{dir}}", dir).Replace(tc.want)
			if got := err.Error(); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestEnvOverrides(t *testing.T) {
	t.Parallel()
	path, dir := fixture(t, base+"  group: from-file\nbatch:\n  size: 10\n")
	c, err := Load(path, env(map[string]string{
		"SFSYNC_CONSUMER_KAFKA_BROKERS":        " a:9092, b:9092 ",
		"SFSYNC_CONSUMER_KAFKA_GROUP":          "replicas",
		"SFSYNC_CONSUMER_KAFKA_TOPICS":         "sfsync.account",
		"SFSYNC_CONSUMER_KAFKA_TLS_ENABLED":    "true",
		"SFSYNC_CONSUMER_KAFKA_TLS_CA_FILE":    filepath.Join(dir, "ca.pem"),
		"SFSYNC_CONSUMER_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
		"SFSYNC_CONSUMER_KAFKA_SASL_USERNAME":  "sfsync",
		"SFSYNC_CONSUMER_KAFKA_SASL_PASSWORD":  "pa55word-from-env\n",
		"SFSYNC_CONSUMER_POSTGRES_URL":         "host=db user=sfsync password=from-env",
		"SFSYNC_CONSUMER_REDIS_URL":            "redis://r:6379/1",
		"SFSYNC_CONSUMER_BATCH_SIZE":           "", // back to the default
		"SFSYNC_CONSUMER_BATCH_WAIT":           "20ms",
		"SFSYNC_CONSUMER_LOG_FORMAT":           "json",
		"SFSYNC_CONSUMER_UNRELATED":            "ignored",
	}))
	if err != nil {
		t.Fatal(err)
	}
	k := c.Kafka
	if !reflect.DeepEqual(k.Brokers, []string{"a:9092", "b:9092"}) || k.Group != "replicas" || !reflect.DeepEqual(k.Topics, []string{"sfsync.account"}) ||
		!k.TLS.Enabled || k.SASL.Mechanism != kafkaconf.MechanismSCRAMSHA512 || k.SASL.Password != "pa55word-from-env" {
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

func TestURLRedacted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"postgres://sfsync@h:5432/db?sslmode=disable", "postgres://sfsync@h:5432/db?sslmode=disable"},
		{"postgres://sfsync:S3CRET@h:5432/db", "postgres://sfsync:xxxxx@h:5432/db"},
		{"postgres://sfsync@h/db?password=S3CRET&sslmode=disable", "postgres://sfsync@h/db?password=xxxxx&sslmode=disable"},
		{"redis://:S3CRET@h:6379/0", "redis://:xxxxx@h:6379/0"},
		{"postgres://u:S3%zz@h/db", "[REDACTED]"},
		{"host=h user=u password=S3CRET dbname=d", "host=h user=u password=xxxxx dbname=d"},
		{"host=h password='S3 CRET' sslpassword=S3CRET", "host=h password=xxxxx sslpassword=xxxxx"},
	} {
		u := URL(tc.in)
		for _, got := range []string{u.Redacted(), u.String(), fmt.Sprint(u), fmt.Sprintf("%s", u), fmt.Sprintf("%q", u)} {
			if got != tc.want {
				t.Errorf("%q printed as %q, want %q", tc.in, got, tc.want)
			}
		}
	}
}

// TestSecretsNeverShow sets every secret to a marker and looks for it
// in every way a Config or its parts can be printed or logged, and in
// errors.
func TestSecretsNeverShow(t *testing.T) {
	t.Parallel()
	const marker = "S3CRET-MARKER"
	path, _ := fixture(t, base+"  sasl:\n    mechanism: PLAIN\n    password: \" "+marker+"-pw\"\nredis:\n  url: redis://:"+marker+"@h:1/x\n")
	_, err := Load(path, env(map[string]string{"SFSYNC_CONSUMER_POSTGRES_URL": "postgres://u:" + marker + "@h:1/db?sslmode=never"}))
	if err == nil {
		t.Fatal("Load succeeded")
	}
	texts := []string{err.Error(), fmt.Sprintf("%+v", err)}

	path, _ = fixture(t, base+"redis:\n  url: rediss://:"+marker+"@h:1/0\n")
	c, err := Load(path, env(map[string]string{
		"SFSYNC_CONSUMER_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
		"SFSYNC_CONSUMER_KAFKA_SASL_USERNAME":  "u",
		"SFSYNC_CONSUMER_KAFKA_SASL_PASSWORD":  marker + "-pw",
		"SFSYNC_CONSUMER_POSTGRES_URL":         "postgres://u:" + marker + "@h:1/db",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "config", c, "kafka", c.Kafka, "pg", c.Postgres, "redis", c.Redis)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "config", c, "kafka", c.Kafka, "pg", c.Postgres, "redis", c.Redis)
	texts = append(texts, logs.String())
	for _, v := range []any{c, *c, c.Kafka, c.Kafka.SASL, c.Postgres, c.Redis} {
		texts = append(texts, fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), fmt.Sprintf("%s", v), fmt.Sprint(v))
	}
	tr, err := c.Kafka.Transport()
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Kafka.Dialer()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{tr, d} {
		texts = append(texts, fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v))
	}
	for _, s := range texts {
		if strings.Contains(s, marker) {
			t.Errorf("secret shown in %s", s)
		}
	}
	if !strings.Contains(c.String(), "kafka.sasl.password=[REDACTED]") || !strings.Contains(c.String(), `postgres.url="postgres://u:xxxxx@h:1/db"`) {
		t.Errorf("secrets not marked as set: %s", c)
	}
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
		path, _ := fixture(t, "mapping: {{mapping}}\nkafka:\n  brokers: [127.0.0.1:19092]\npostgres:\n  url: "+tc.postgres+"\nredis:\n  url: "+tc.redis+"\n")
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
