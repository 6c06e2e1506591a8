package config

import (
	"strings"
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig/conformance"
	"github.com/sfsync/sfsync/schemas/svcconfig/svcconfigtest"
)

// base is a valid configuration of seven lines, the salesforce section
// with a static token; cases append to it.
const base = "mapping: {{mapping}}\nsalesforce:\n" + conformance.StaticToken + "kafka:\n  brokers: [127.0.0.1:19092]\n"

// sf is a configuration of four lines whose salesforce section the
// cases write from line 5.
const sf = "mapping: {{mapping}}\nkafka:\n  brokers: [127.0.0.1:19092]\nsalesforce:\n"

// suite describes the producer's configuration to the checks every
// service's configuration passes.
var suite = conformance.Service[*Config]{Name: "producer", EnvPrefix: EnvPrefix, Base: base, Load: Load, Parse: Parse, Example: example, Secrets: &secrets, Seeds: []string{
	base + "  sasl: {mechanism: SCRAM}\n  topic_partitions_expected: {a: 1, a: 2}\n",
	"salesforce:\n  client_secret: |\n    multi\n    line\n",
}}

func TestLoadProblems(t *testing.T) {
	t.Parallel()
	conformance.Problems(t, suite, []svcconfigtest.Case{
		// The file itself.
		{Scenario: "top level not a mapping", YAML: "- a\n- b\n",
			Want: `{{file}}: must be a mapping of keys, got a list`},
		{Scenario: "unknown key, near miss", YAML: base + "  batchsize: 10\n",
			Want: `{{file}}:8: kafka.batchsize: unknown key; did you mean batch_size?`},
		{Scenario: "unknown key, elsewhere", YAML: base + "brokers: [a:1]\n",
			Want: `{{file}}:8: brokers: unknown key; did you mean kafka.brokers?`},
		{Scenario: "unknown key, no hint", YAML: base + "  compression: zstd\n",
			Want: `{{file}}:8: kafka.compression: unknown key`},
		{Scenario: "duplicate key", YAML: base + "  brokers: [b:1]\n",
			Want: `{{file}}:8: kafka.brokers: defined twice (first at line 7)`},
		{Scenario: "alias", YAML: base + "  client_id: &id x\n  checkpoint_topic: *id\n",
			Want: `{{file}}:9: kafka.checkpoint_topic: aliases are not supported`},
		{Scenario: "not an integer", YAML: base + "  batch_size: lots\n",
			Want: `{{file}}:8: kafka.batch_size: must be an integer, got "lots"`},
		{Scenario: "not a boolean", YAML: base + "  tls:\n    enabled: maybe\n",
			Want: `{{file}}:9: kafka.tls.enabled: must be true or false, got "maybe"`},
		{Scenario: "not a list", YAML: strings.Replace(base, "[127.0.0.1:19092]", "127.0.0.1:19092", 1),
			Want: `{{file}}:7: kafka.brokers: must be a list such as [a, b], got a string`},
		{Scenario: "list item not a string", YAML: strings.Replace(base, "[127.0.0.1:19092]", "[{a: b}]", 1),
			Want: `{{file}}:7: kafka.brokers[0]: must be a string, got a mapping`},
		{Scenario: "section not a mapping", YAML: base + "replay: fail\n",
			Want: `{{file}}:8: replay: must be a mapping of keys, got a string`},
		{Scenario: "scalar given a mapping", YAML: base + "log_level: {a: b}\n",
			Want: `{{file}}:8: log_level: must be a string, got a mapping`},
		{Scenario: "partition count", YAML: base + "  topic_partitions_expected:\n    orders: six\n",
			Want: `{{file}}:9: kafka.topic_partitions_expected["orders"]: must be a partition count, got "six"`},
		{Scenario: "decode problems hide their validation", YAML: base + "  batch_size: -x\n  max_in_flight: -1\n",
			Want: "{{file}}:8: kafka.batch_size: must be an integer, got \"-x\"\n{{file}}:9: kafka.max_in_flight: must be >= 1, got -1"},

		// Salesforce.
		{Scenario: "endpoints", YAML: base + "  client_id: x\nsalesforce:\n", // duplicate section
			Want: `{{file}}:9: salesforce: defined twice (first at line 2)`},

		// Kafka.
		{Scenario: "writer settings", YAML: base + "  client_id: \"\"\n  required_acks: \"1\"\n  batch_size: -1\n  batch_timeout: -5ms\n  max_in_flight: -3\n",
			Want: "{{file}}:9: kafka.required_acks: must be all: a replay id is checkpointed only once all in-sync replicas hold its records, got \"1\"\n" +
				"{{file}}:10: kafka.batch_size: must be >= 1, got -1\n" +
				"{{file}}:11: kafka.batch_timeout: must be > 0, got -5ms\n" +
				"{{file}}:12: kafka.max_in_flight: must be >= 1, got -3"},
		{Scenario: "topics", YAML: base + "  checkpoint_topic: sfsync checkpoints\n  dead_letter_topic: sfsync.reconcile-requests\n  topic_partitions_expected: {\"a/b\": 0}\n",
			Want: "{{file}}:8: kafka.checkpoint_topic: must be a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -), got \"sfsync checkpoints\"\n" +
				"{{file}}:10: kafka.topic_partitions_expected[\"a/b\"]: must be a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -), got \"a/b\"\n" +
				"{{file}}:10: kafka.topic_partitions_expected[\"a/b\"]: must be >= 1, got 0\n" +
				"{{file}}: replay.reconcile_topic: \"sfsync.reconcile-requests\" is already kafka.dead_letter_topic"},

		// The rest.
		{Scenario: "replay policy", YAML: base + "replay:\n  policy: skip\n",
			Want: `{{file}}:9: replay.policy: must be one of fail, earliest, latest, got "skip"`},
		{Scenario: "subscription", YAML: base + "subscription:\n  capacity: -1\n  start: now\n  stall_timeout: 1m\n  backoff_min: 2m\n",
			Want: "{{file}}:8: subscription.backoff_max: must be >= subscription.backoff_min (2m0s), got 1m0s\n" +
				"{{file}}:9: subscription.capacity: must be >= 1, got -1\n" +
				"{{file}}:10: subscription.start: must be one of earliest, latest, got \"now\"\n" +
				"{{file}}:11: subscription.stall_timeout: must exceed the server's 270s keepalive interval, got 1m0s"},
		{Scenario: "limits poll interval too short", YAML: sf + "  access_token: t\n  instance_url: http://127.0.0.1:7012\n  org_id: 00D000000000001EAA\n  limits_poll_interval: 10ms\n",
			Want: `{{file}}:8: salesforce.limits_poll_interval: must be at least 1s, as each poll is a REST API request, or negative to disable polling; got 10ms`},
		{Scenario: "process settings", YAML: base + "checkpoint_interval: -1s\npartition_key_cache: -1\n",
			Want: "{{file}}:8: checkpoint_interval: must be > 0, got -1s\n" +
				"{{file}}:9: partition_key_cache: must be >= 1, got -1"},

		// The environment.
		{Scenario: "env integer", YAML: base, Env: map[string]string{"SFSYNC_PRODUCER_KAFKA_BATCH_SIZE": "big"},
			Want: `$SFSYNC_PRODUCER_KAFKA_BATCH_SIZE: kafka.batch_size: must be an integer, got "big"`},
		{Scenario: "env map", YAML: base, Env: map[string]string{"SFSYNC_PRODUCER_KAFKA_TOPIC_PARTITIONS_EXPECTED": "a=1,b"},
			Want: `$SFSYNC_PRODUCER_KAFKA_TOPIC_PARTITIONS_EXPECTED: kafka.topic_partitions_expected: must be comma-separated topic=partitions pairs such as orders=6,accounts=12, got "b"`},
		{Scenario: "env value invalid", YAML: base, Env: map[string]string{"SFSYNC_PRODUCER_KAFKA_SASL_MECHANISM": "SCRAM"},
			Want: `$SFSYNC_PRODUCER_KAFKA_SASL_MECHANISM: kafka.sasl.mechanism: must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM, got "SCRAM"`},
		{Scenario: "env list item invalid", YAML: base, Env: map[string]string{"SFSYNC_PRODUCER_KAFKA_BROKERS": "a:1,b"},
			Want: `$SFSYNC_PRODUCER_KAFKA_BROKERS: kafka.brokers[1]: must be host:port, got "b"`},
		{Scenario: "env clears a file value", YAML: base, Env: map[string]string{"SFSYNC_PRODUCER_KAFKA_BROKERS": ""},
			Want: `$SFSYNC_PRODUCER_KAFKA_BROKERS: kafka.brokers: at least one broker host:port is required`},
		{Scenario: "env and file problems together", YAML: base + "log_level: loud\n", Env: map[string]string{"SFSYNC_PRODUCER_SHUTDOWN_TIMEOUT": "soon"},
			Want: "{{file}}:8: log_level: must be one of debug, info, warn, error, got \"loud\"\n" +
				"$SFSYNC_PRODUCER_SHUTDOWN_TIMEOUT: shutdown_timeout: must be a duration such as 30s or 5m, got \"soon\""},
	})
}
