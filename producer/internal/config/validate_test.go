package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// base is a valid configuration of seven lines; cases append to it.
const base = `mapping: {{mapping}}
salesforce:
  access_token: sfemu-local-dev-token
  instance_url: http://127.0.0.1:7012
  org_id: 00D000000000001EAA
kafka:
  brokers: [127.0.0.1:19092]
`

// sf is a configuration of four lines whose salesforce section the
// cases write from line 5.
const sf = `mapping: {{mapping}}
kafka:
  brokers: [127.0.0.1:19092]
salesforce:
`

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
			want: `{{file}}:9: want one YAML document, found a second`},
		{scenario: "top level not a mapping", yaml: "- a\n- b\n",
			want: `{{file}}: must be a mapping of keys, got a list`},
		{scenario: "unknown key, near miss", yaml: base + "  batchsize: 10\n",
			want: `{{file}}:8: kafka.batchsize: unknown key; did you mean batch_size?`},
		{scenario: "unknown key, elsewhere", yaml: base + "brokers: [a:1]\n",
			want: `{{file}}:8: brokers: unknown key; did you mean kafka.brokers?`},
		{scenario: "unknown key, no hint", yaml: base + "  compression: zstd\n",
			want: `{{file}}:8: kafka.compression: unknown key`},
		{scenario: "duplicate key", yaml: base + "  brokers: [b:1]\n",
			want: `{{file}}:8: kafka.brokers: defined twice (first at line 7)`},
		{scenario: "alias", yaml: base + "  client_id: &id x\n  checkpoint_topic: *id\n",
			want: `{{file}}:9: kafka.checkpoint_topic: aliases are not supported`},
		{scenario: "not an integer", yaml: base + "  batch_size: lots\n",
			want: `{{file}}:8: kafka.batch_size: must be an integer, got "lots"`},
		{scenario: "not a boolean", yaml: base + "  tls:\n    enabled: maybe\n",
			want: `{{file}}:9: kafka.tls.enabled: must be true or false, got "maybe"`},
		{scenario: "not a duration", yaml: base + "shutdown_timeout: 30\n",
			want: `{{file}}:8: shutdown_timeout: must be a duration such as 30s or 5m, got "30"`},
		{scenario: "not a list", yaml: strings.Replace(base, "[127.0.0.1:19092]", "127.0.0.1:19092", 1),
			want: `{{file}}:7: kafka.brokers: must be a list such as [a, b], got a string`},
		{scenario: "list item not a string", yaml: strings.Replace(base, "[127.0.0.1:19092]", "[{a: b}]", 1),
			want: `{{file}}:7: kafka.brokers[0]: must be a string, got a mapping`},
		{scenario: "section not a mapping", yaml: base + "replay: fail\n",
			want: `{{file}}:8: replay: must be a mapping of keys, got a string`},
		{scenario: "scalar given a mapping", yaml: base + "log_level: {a: b}\n",
			want: `{{file}}:8: log_level: must be a string, got a mapping`},
		{scenario: "partition count", yaml: base + "  topic_partitions_expected:\n    orders: six\n",
			want: `{{file}}:9: kafka.topic_partitions_expected["orders"]: must be a partition count, got "six"`},
		{scenario: "decode problems hide their validation", yaml: base + "  batch_size: -x\n  max_in_flight: -1\n",
			want: "{{file}}:8: kafka.batch_size: must be an integer, got \"-x\"\n{{file}}:9: kafka.max_in_flight: must be >= 1, got -1"},

		// The mapping.
		{scenario: "mapping missing", yaml: strings.Replace(base, "mapping: {{mapping}}\n", "", 1),
			want: `{{file}}: mapping: is required: the mapping file naming the objects to sync`},
		{scenario: "mapping unreadable", yaml: strings.Replace(base, "{{mapping}}", "nowhere.yaml", 1),
			want: `{{file}}:1: mapping: cannot read {{dir}}/nowhere.yaml: no such file or directory`},
		{scenario: "mapping invalid", yaml: strings.Replace(base, "{{mapping}}", "bad-mapping.yaml", 1),
			want: "{{dir}}/bad-mapping.yaml:3:3: Account: missing fields\n" +
				`{{dir}}/bad-mapping.yaml:5:5: Account: unknown key "fieldz" (did you mean fields?)`},

		// Salesforce.
		{scenario: "no credentials", yaml: sf + "  plaintext: true\n",
			want: `{{file}}:4: salesforce: needs credentials: grant (jwt_bearer or client_credentials) with client_id, or access_token with instance_url and org_id`},
		{scenario: "both auth forms", yaml: sf + "  grant: jwt_bearer\n  access_token: x\n",
			want: `{{file}}:4: salesforce: set either grant (OAuth) or access_token (a static token), not both`},
		{scenario: "grant missing", yaml: sf + "  client_id: app\n",
			want: `{{file}}:4: salesforce.grant: is required with client_id, client_secret, username or private_key_file: one of jwt_bearer, client_credentials`},
		{scenario: "access token missing", yaml: sf + "  org_id: 00D000000000001EAA\n",
			want: `{{file}}:4: salesforce.access_token: is required with instance_url and org_id`},
		{scenario: "unknown grant", yaml: sf + "  grant: password\n  client_id: app\n",
			want: `{{file}}:5: salesforce.grant: must be one of jwt_bearer, client_credentials, got "password"`},
		{scenario: "jwt bearer incomplete", yaml: sf + "  grant: jwt_bearer\n  client_secret: s3cr3t-value\n",
			want: "{{file}}:4: salesforce.client_id: is required with grant jwt_bearer\n" +
				"{{file}}:4: salesforce.username: is required with grant jwt_bearer: the integration user, the JWT's subject\n" +
				"{{file}}:4: salesforce.private_key_file: is required with grant jwt_bearer\n" +
				"{{file}}:6: salesforce.client_secret: is not used by grant jwt_bearer; remove it"},
		{scenario: "private key unreadable", yaml: sf + "  grant: jwt_bearer\n  client_id: app\n  username: u@x\n  private_key_file: none.key\n",
			want: `{{file}}:8: salesforce.private_key_file: cannot read {{dir}}/none.key: no such file or directory`},
		{scenario: "private key not PEM", yaml: sf + "  grant: jwt_bearer\n  client_id: app\n  username: u@x\n  private_key_file: text.txt\n",
			want: `{{file}}:8: salesforce.private_key_file: {{dir}}/text.txt holds no PEM block`},
		{scenario: "private key a certificate", yaml: sf + "  grant: jwt_bearer\n  client_id: app\n  username: u@x\n  private_key_file: ca.pem\n",
			want: `{{file}}:8: salesforce.private_key_file: {{dir}}/ca.pem holds a "CERTIFICATE" PEM block, want RSA PRIVATE KEY or PRIVATE KEY`},
		{scenario: "private key garbled", yaml: sf + "  grant: jwt_bearer\n  client_id: app\n  username: u@x\n  private_key_file: garbled.key\n",
			want: `{{file}}:8: salesforce.private_key_file: {{dir}}/garbled.key: cannot parse the private key`},
		{scenario: "private key not RSA", yaml: sf + "  grant: jwt_bearer\n  client_id: app\n  username: u@x\n  private_key_file: ec.key\n",
			want: `{{file}}:8: salesforce.private_key_file: {{dir}}/ec.key: the private key is not RSA`},
		{scenario: "client credentials incomplete", yaml: sf + "  grant: client_credentials\n  client_id: app\n  username: u@x\n  instance_url: https://x.my.salesforce.com\n",
			want: "{{file}}:4: salesforce.client_secret: is required with grant client_credentials\n" +
				"{{file}}:4: salesforce.login_url: must be the org's My Domain URL with grant client_credentials, got \"https://login.salesforce.com\"\n" +
				"{{file}}:7: salesforce.username: is not used by grant client_credentials; remove it\n" +
				"{{file}}:8: salesforce.instance_url: is only for a static access_token; OAuth returns it"},
		{scenario: "static token incomplete", yaml: sf + "  access_token: tok\n  client_id: app\n",
			want: "{{file}}:4: salesforce.instance_url: is required with access_token\n" +
				"{{file}}:4: salesforce.org_id: is required with access_token\n" +
				"{{file}}:6: salesforce.client_id: is only for an OAuth grant, not with access_token"},
		{scenario: "static token malformed", yaml: sf + "  access_token: \" tok\"\n  instance_url: https://x.my.salesforce.com/services\n  org_id: 001000000000001\n",
			want: "{{file}}:5: salesforce.access_token: must not have surrounding spaces\n" +
				"{{file}}:6: salesforce.instance_url: must be an http(s) URL without a path such as https://acme.my.salesforce.com, got \"https://x.my.salesforce.com/services\"\n" +
				"{{file}}:7: salesforce.org_id: must be a 15- or 18-character org id starting with 00D, got \"001000000000001\""},
		{scenario: "endpoints", yaml: base + "  client_id: x\nsalesforce:\n", // duplicate section
			want: `{{file}}:9: salesforce: defined twice (first at line 2)`},
		{scenario: "login url and endpoint", yaml: strings.Replace(base, "salesforce:\n", "salesforce:\n  login_url: login.salesforce.com\n  pubsub_endpoint: api.pubsub.salesforce.com\n", 1),
			want: "{{file}}:3: salesforce.login_url: must be an http(s) URL without a path such as https://login.salesforce.com, got \"login.salesforce.com\"\n" +
				"{{file}}:4: salesforce.pubsub_endpoint: must be host:port, got \"api.pubsub.salesforce.com\""},
		{scenario: "ca file with plaintext", yaml: strings.Replace(base, "salesforce:\n", "salesforce:\n  plaintext: true\n  ca_file: ca.pem\n", 1),
			want: `{{file}}:4: salesforce.ca_file: must be empty with salesforce.plaintext: true`},
		{scenario: "ca file not PEM", yaml: strings.Replace(base, "salesforce:\n", "salesforce:\n  ca_file: text.txt\n", 1),
			want: `{{file}}:3: salesforce.ca_file: {{dir}}/text.txt holds no PEM certificate`},

		// Kafka.
		{scenario: "brokers missing", yaml: strings.Replace(base, "  brokers: [127.0.0.1:19092]\n", "  client_id: x\n", 1),
			want: `{{file}}:6: kafka.brokers: at least one broker host:port is required`},
		{scenario: "broker malformed", yaml: strings.Replace(base, "[127.0.0.1:19092]", "\n    - a:9092\n    - b\n", 1),
			want: `{{file}}:9: kafka.brokers[1]: must be host:port, got "b"`},
		{scenario: "writer settings", yaml: base + "  client_id: \"\"\n  required_acks: \"1\"\n  batch_size: -1\n  batch_timeout: -5ms\n  max_in_flight: -3\n",
			want: "{{file}}:9: kafka.required_acks: must be all: a replay id is checkpointed only once all in-sync replicas hold its records, got \"1\"\n" +
				"{{file}}:10: kafka.batch_size: must be >= 1, got -1\n" +
				"{{file}}:11: kafka.batch_timeout: must be > 0, got -5ms\n" +
				"{{file}}:12: kafka.max_in_flight: must be >= 1, got -3"},
		{scenario: "tls settings without tls", yaml: base + "  tls:\n    ca_file: ca.pem\n    insecure_skip_verify: true\n",
			want: "{{file}}:9: kafka.tls.ca_file: needs kafka.tls.enabled: true\n" +
				"{{file}}:10: kafka.tls.insecure_skip_verify: needs kafka.tls.enabled: true"},
		{scenario: "tls cert without key", yaml: base + "  tls:\n    enabled: true\n    cert_file: client.pem\n",
			want: `{{file}}:8: kafka.tls.key_file: is required with kafka.tls.cert_file`},
		{scenario: "tls key without cert", yaml: base + "  tls:\n    enabled: true\n    key_file: client.key\n",
			want: `{{file}}:8: kafka.tls.cert_file: is required with kafka.tls.key_file`},
		{scenario: "tls key pair unreadable", yaml: base + "  tls:\n    enabled: true\n    cert_file: client.pem\n    key_file: none.key\n",
			want: `{{file}}:10: kafka.tls.cert_file: cannot read {{dir}}/none.key: no such file or directory`},
		{scenario: "tls key pair mismatched", yaml: base + "  tls:\n    enabled: true\n    cert_file: client.pem\n    key_file: pkcs8.key\n",
			want: `{{file}}:10: kafka.tls.cert_file: cannot load the key pair {{dir}}/client.pem and {{dir}}/pkcs8.key: tls: private key type does not match public key type`},
		{scenario: "tls ca unreadable", yaml: base + "  tls:\n    enabled: true\n    ca_file: none.pem\n",
			want: `{{file}}:10: kafka.tls.ca_file: cannot read {{dir}}/none.pem: no such file or directory`},
		{scenario: "sasl mechanism unknown", yaml: base + "  sasl:\n    mechanism: SCRAM\n",
			want: `{{file}}:9: kafka.sasl.mechanism: must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM, got "SCRAM"`},
		{scenario: "sasl without mechanism", yaml: base + "  sasl:\n    username: u\n    password: hunter2-secret\n",
			want: "{{file}}:9: kafka.sasl.username: needs kafka.sasl.mechanism\n" +
				"{{file}}:10: kafka.sasl.password: needs kafka.sasl.mechanism"},
		{scenario: "scram incomplete", yaml: base + "  sasl:\n    mechanism: SCRAM-SHA-512\n    aws_region: eu-west-1\n",
			want: "{{file}}:8: kafka.sasl.username: is required with mechanism SCRAM-SHA-512\n" +
				"{{file}}:8: kafka.sasl.password: is required with mechanism SCRAM-SHA-512\n" +
				"{{file}}:10: kafka.sasl.aws_region: is only for mechanism AWS_MSK_IAM"},
		{scenario: "msk iam incomplete", yaml: base + "  sasl:\n    mechanism: AWS_MSK_IAM\n    username: u\n",
			want: "{{file}}:6: kafka.tls.enabled: must be true with mechanism AWS_MSK_IAM: MSK's IAM listener (port 9098) is TLS only\n" +
				"{{file}}:8: kafka.sasl.aws_region: is required with mechanism AWS_MSK_IAM\n" +
				"{{file}}:10: kafka.sasl.username: is not used by mechanism AWS_MSK_IAM, which takes AWS credentials from the environment; remove it"},
		{scenario: "msk iam region", yaml: base + "  tls: {enabled: true}\n  sasl: {mechanism: AWS_MSK_IAM, aws_region: Ireland}\n",
			want: `{{file}}:9: kafka.sasl.aws_region: must be an AWS region such as eu-west-1, got "Ireland"`},
		{scenario: "topics", yaml: base + "  checkpoint_topic: sfsync checkpoints\n  dead_letter_topic: sfsync.reconcile-requests\n  topic_partitions_expected: {\"a/b\": 0}\n",
			want: "{{file}}:8: kafka.checkpoint_topic: must be a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -), got \"sfsync checkpoints\"\n" +
				"{{file}}:10: kafka.topic_partitions_expected[\"a/b\"]: must be a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -), got \"a/b\"\n" +
				"{{file}}:10: kafka.topic_partitions_expected[\"a/b\"]: must be >= 1, got 0\n" +
				"{{file}}: replay.reconcile_topic: \"sfsync.reconcile-requests\" is already kafka.dead_letter_topic"},

		// The rest.
		{scenario: "replay policy", yaml: base + "replay:\n  policy: skip\n",
			want: `{{file}}:9: replay.policy: must be one of fail, earliest, latest, got "skip"`},
		{scenario: "subscription", yaml: base + "subscription:\n  capacity: -1\n  start: now\n  stall_timeout: 1m\n  backoff_min: 2m\n",
			want: "{{file}}:8: subscription.backoff_max: must be >= subscription.backoff_min (2m0s), got 1m0s\n" +
				"{{file}}:9: subscription.capacity: must be >= 1, got -1\n" +
				"{{file}}:10: subscription.start: must be one of earliest, latest, got \"now\"\n" +
				"{{file}}:11: subscription.stall_timeout: must exceed the server's 270s keepalive interval, got 1m0s"},
		{scenario: "limits poll interval too short", yaml: sf + "  access_token: t\n  instance_url: http://127.0.0.1:7012\n  org_id: 00D000000000001EAA\n  limits_poll_interval: 10ms\n",
			want: `{{file}}:8: salesforce.limits_poll_interval: must be at least 1s, as each poll is a REST API request, or negative to disable polling; got 10ms`},
		{scenario: "process settings", yaml: base + "checkpoint_interval: -1s\nmetrics_addr: 9464\nlog_level: verbose\nlog_format: xml\n",
			want: "{{file}}:8: checkpoint_interval: must be > 0, got -1s\n" +
				"{{file}}:9: metrics_addr: must be host:port, got \"9464\"\n" +
				"{{file}}:10: log_level: must be one of debug, info, warn, error, got \"verbose\"\n" +
				"{{file}}:11: log_format: must be one of text, json, got \"xml\""},

		// The environment.
		{scenario: "env integer", yaml: base, env: map[string]string{"SFSYNC_PRODUCER_KAFKA_BATCH_SIZE": "big"},
			want: `$SFSYNC_PRODUCER_KAFKA_BATCH_SIZE: kafka.batch_size: must be an integer, got "big"`},
		{scenario: "env list", yaml: base, env: map[string]string{"SFSYNC_PRODUCER_KAFKA_BROKERS": "a:1,,b:2"},
			want: `$SFSYNC_PRODUCER_KAFKA_BROKERS: kafka.brokers: must be a comma-separated list such as a:9092,b:9092, got an empty item`},
		{scenario: "env map", yaml: base, env: map[string]string{"SFSYNC_PRODUCER_KAFKA_TOPIC_PARTITIONS_EXPECTED": "a=1,b"},
			want: `$SFSYNC_PRODUCER_KAFKA_TOPIC_PARTITIONS_EXPECTED: kafka.topic_partitions_expected: must be comma-separated topic=partitions pairs such as orders=6,accounts=12, got "b"`},
		{scenario: "env value invalid", yaml: base, env: map[string]string{"SFSYNC_PRODUCER_KAFKA_SASL_MECHANISM": "SCRAM"},
			want: `$SFSYNC_PRODUCER_KAFKA_SASL_MECHANISM: kafka.sasl.mechanism: must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM, got "SCRAM"`},
		{scenario: "env list item invalid", yaml: base, env: map[string]string{"SFSYNC_PRODUCER_KAFKA_BROKERS": "a:1,b"},
			want: `$SFSYNC_PRODUCER_KAFKA_BROKERS: kafka.brokers[1]: must be host:port, got "b"`},
		{scenario: "env clears a file value", yaml: base, env: map[string]string{"SFSYNC_PRODUCER_KAFKA_BROKERS": ""},
			want: `$SFSYNC_PRODUCER_KAFKA_BROKERS: kafka.brokers: at least one broker host:port is required`},
		{scenario: "env and file problems together", yaml: base + "log_level: loud\n", env: map[string]string{"SFSYNC_PRODUCER_SHUTDOWN_TIMEOUT": "soon"},
			want: "{{file}}:8: log_level: must be one of debug, info, warn, error, got \"loud\"\n" +
				"$SFSYNC_PRODUCER_SHUTDOWN_TIMEOUT: shutdown_timeout: must be a duration such as 30s or 5m, got \"soon\""},
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
