package kafkaconf

import (
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig"
	"github.com/sfsync/sfsync/schemas/svcconfig/svcconfigtest"
)

// TestProblems checks the messages of the connection's checks, placed
// by the loader as a service's Load places them.
func TestProblems(t *testing.T) {
	t.Parallel()
	const base = "kafka:\n  brokers: [127.0.0.1:19092]\n" // two lines
	load := func(path string, _ map[string]string) error {
		c := &config{}
		return svcconfig.Load(path, c, svcconfig.Options{Defaults: func() {
			if c.Kafka.ClientID == "" {
				c.Kafka.ClientID = "sfsync-test"
			}
		}, Check: func() []svcconfig.Problem {
			return append(c.Kafka.Problems(), c.Kafka.SecurityProblems()...)
		}})
	}
	svcconfigtest.Problems(t, "service.yaml", load, nil, []svcconfigtest.Case{
		{Scenario: "valid", YAML: base + "  tls: {enabled: true, ca_file: ca.pem, cert_file: client.pem, key_file: client.key}\n  sasl: {mechanism: SCRAM-SHA-512, username: u, password: p}\n"},
		{Scenario: "brokers missing", YAML: "kafka:\n  client_id: x\n",
			Want: `{{file}}:1: kafka.brokers: at least one broker host:port is required`},
		{Scenario: "broker malformed", YAML: "kafka:\n  brokers:\n    - a:9092\n    - b\n",
			Want: "{{file}}:4: kafka.brokers[1]: must be host:port, got \"b\""},
		{Scenario: "unknown key in the section", YAML: base + "  sals: {}\n",
			Want: `{{file}}:3: kafka.sals: unknown key; did you mean sasl?`},
		{Scenario: "service key suggested", YAML: base + "  grop: g\n",
			Want: `{{file}}:3: kafka.grop: unknown key; did you mean group?`},
		{Scenario: "tls settings without tls", YAML: base + "  tls:\n    ca_file: ca.pem\n    insecure_skip_verify: true\n",
			Want: "{{file}}:4: kafka.tls.ca_file: needs kafka.tls.enabled: true\n" +
				"{{file}}:5: kafka.tls.insecure_skip_verify: needs kafka.tls.enabled: true"},
		{Scenario: "tls cert without key", YAML: base + "  tls:\n    enabled: true\n    cert_file: client.pem\n",
			Want: `{{file}}:3: kafka.tls.key_file: is required with kafka.tls.cert_file`},
		{Scenario: "tls key without cert", YAML: base + "  tls:\n    enabled: true\n    key_file: client.key\n",
			Want: `{{file}}:3: kafka.tls.cert_file: is required with kafka.tls.key_file`},
		{Scenario: "tls key pair unreadable", YAML: base + "  tls:\n    enabled: true\n    cert_file: client.pem\n    key_file: none.key\n",
			Want: `{{file}}:5: kafka.tls.cert_file: cannot read {{dir}}/none.key: no such file or directory`},
		{Scenario: "tls key pair mismatched", YAML: base + "  tls:\n    enabled: true\n    cert_file: client.pem\n    key_file: pkcs8.key\n",
			Want: `{{file}}:5: kafka.tls.cert_file: cannot load the key pair {{dir}}/client.pem and {{dir}}/pkcs8.key: tls: private key type does not match public key type`},
		{Scenario: "tls ca unreadable", YAML: base + "  tls:\n    enabled: true\n    ca_file: none.pem\n",
			Want: `{{file}}:5: kafka.tls.ca_file: cannot read {{dir}}/none.pem: no such file or directory`},
		{Scenario: "tls ca not PEM", YAML: base + "  tls: {enabled: true, ca_file: text.txt}\n",
			Want: "{{file}}:3: kafka.tls.ca_file: {{dir}}/text.txt holds no PEM certificate"},
		{Scenario: "sasl mechanism unknown", YAML: base + "  sasl:\n    mechanism: SCRAM\n",
			Want: `{{file}}:4: kafka.sasl.mechanism: must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM, got "SCRAM"`},
		{Scenario: "sasl without mechanism", YAML: base + "  sasl:\n    username: u\n    password: hunter2-secret\n",
			Want: "{{file}}:4: kafka.sasl.username: needs kafka.sasl.mechanism\n" +
				"{{file}}:5: kafka.sasl.password: needs kafka.sasl.mechanism"},
		{Scenario: "scram incomplete", YAML: base + "  sasl:\n    mechanism: SCRAM-SHA-512\n    aws_region: eu-west-1\n",
			Want: "{{file}}:3: kafka.sasl.username: is required with mechanism SCRAM-SHA-512\n" +
				"{{file}}:3: kafka.sasl.password: is required with mechanism SCRAM-SHA-512\n" +
				"{{file}}:5: kafka.sasl.aws_region: is only for mechanism AWS_MSK_IAM"},
		{Scenario: "password with spaces", YAML: base + "  sasl: {mechanism: PLAIN, username: u, password: \" p\"}\n",
			Want: `{{file}}:3: kafka.sasl.password: must not have surrounding spaces`},
		{Scenario: "msk iam incomplete", YAML: base + "  sasl:\n    mechanism: AWS_MSK_IAM\n    username: u\n",
			Want: "{{file}}:1: kafka.tls.enabled: must be true with mechanism AWS_MSK_IAM: MSK's IAM listener (port 9098) is TLS only\n" +
				"{{file}}:3: kafka.sasl.aws_region: is required with mechanism AWS_MSK_IAM\n" +
				"{{file}}:5: kafka.sasl.username: is not used by mechanism AWS_MSK_IAM, which takes AWS credentials from the environment; remove it"},
		{Scenario: "msk iam region", YAML: base + "  tls: {enabled: true}\n  sasl: {mechanism: AWS_MSK_IAM, aws_region: Ireland}\n",
			Want: `{{file}}:4: kafka.sasl.aws_region: must be an AWS region such as eu-west-1, got "Ireland"`},
	})
}

func TestWarnings(t *testing.T) {
	t.Parallel()
	c := Conn{Brokers: []string{"a:1"}, ClientID: "x", TLS: TLS{Enabled: false}, SASL: SASL{Mechanism: MechanismSCRAMSHA256, Username: "u", Password: "p"}}
	want := "kafka.sasl.mechanism: SCRAM-SHA-256 without kafka.tls.enabled exposes the SASL exchange to the network"
	if w := c.Warnings(); len(w) != 1 || w[0] != want {
		t.Errorf("warnings %q", w)
	}
	c.TLS = TLS{Enabled: true, InsecureSkipVerify: true}
	if w := c.Warnings(); len(w) != 1 || w[0] != "kafka.tls.insecure_skip_verify: broker certificates are not verified" {
		t.Errorf("warnings %q", w)
	}
}
