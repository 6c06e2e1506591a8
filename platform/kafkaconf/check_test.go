package kafkaconf

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// TestProblems checks the messages of the connection's checks, placed
// by the loader as a service's Load places them.
func TestProblems(t *testing.T) {
	t.Parallel()
	const base = "kafka:\n  brokers: [127.0.0.1:19092]\n" // two lines
	for _, tc := range []struct {
		scenario string
		yaml     string
		want     string // {{file}} and {{dir}} are replaced
	}{
		{scenario: "valid", yaml: base + "  tls: {enabled: true, ca_file: ca.pem, cert_file: client.pem, key_file: client.key}\n  sasl: {mechanism: SCRAM-SHA-512, username: u, password: p}\n"},
		{scenario: "brokers missing", yaml: "kafka:\n  client_id: x\n",
			want: `{{file}}:1: kafka.brokers: at least one broker host:port is required`},
		{scenario: "broker malformed", yaml: "kafka:\n  brokers:\n    - a:9092\n    - b\n",
			want: "{{file}}:4: kafka.brokers[1]: must be host:port, got \"b\""},
		{scenario: "unknown key in the section", yaml: base + "  sals: {}\n",
			want: `{{file}}:3: kafka.sals: unknown key; did you mean sasl?`},
		{scenario: "service key suggested", yaml: base + "  grop: g\n",
			want: `{{file}}:3: kafka.grop: unknown key; did you mean group?`},
		{scenario: "tls settings without tls", yaml: base + "  tls:\n    ca_file: ca.pem\n    insecure_skip_verify: true\n",
			want: "{{file}}:4: kafka.tls.ca_file: needs kafka.tls.enabled: true\n" +
				"{{file}}:5: kafka.tls.insecure_skip_verify: needs kafka.tls.enabled: true"},
		{scenario: "tls cert without key", yaml: base + "  tls:\n    enabled: true\n    cert_file: client.pem\n",
			want: `{{file}}:3: kafka.tls.key_file: is required with kafka.tls.cert_file`},
		{scenario: "tls key without cert", yaml: base + "  tls:\n    enabled: true\n    key_file: client.key\n",
			want: `{{file}}:3: kafka.tls.cert_file: is required with kafka.tls.key_file`},
		{scenario: "tls key pair unreadable", yaml: base + "  tls:\n    enabled: true\n    cert_file: client.pem\n    key_file: none.key\n",
			want: `{{file}}:5: kafka.tls.cert_file: cannot read {{dir}}/none.key: no such file or directory`},
		{scenario: "tls ca not PEM", yaml: base + "  tls: {enabled: true, ca_file: text.txt}\n",
			want: "{{file}}:3: kafka.tls.ca_file: {{dir}}/text.txt holds no PEM certificate"},
		{scenario: "sasl mechanism unknown", yaml: base + "  sasl:\n    mechanism: SCRAM\n",
			want: `{{file}}:4: kafka.sasl.mechanism: must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM, got "SCRAM"`},
		{scenario: "sasl without mechanism", yaml: base + "  sasl:\n    username: u\n    password: hunter2-secret\n",
			want: "{{file}}:4: kafka.sasl.username: needs kafka.sasl.mechanism\n" +
				"{{file}}:5: kafka.sasl.password: needs kafka.sasl.mechanism"},
		{scenario: "scram incomplete", yaml: base + "  sasl:\n    mechanism: SCRAM-SHA-512\n    aws_region: eu-west-1\n",
			want: "{{file}}:3: kafka.sasl.username: is required with mechanism SCRAM-SHA-512\n" +
				"{{file}}:3: kafka.sasl.password: is required with mechanism SCRAM-SHA-512\n" +
				"{{file}}:5: kafka.sasl.aws_region: is only for mechanism AWS_MSK_IAM"},
		{scenario: "password with spaces", yaml: base + "  sasl: {mechanism: PLAIN, username: u, password: \" p\"}\n",
			want: `{{file}}:3: kafka.sasl.password: must not have surrounding spaces`},
		{scenario: "msk iam incomplete", yaml: base + "  sasl:\n    mechanism: AWS_MSK_IAM\n    username: u\n",
			want: "{{file}}:1: kafka.tls.enabled: must be true with mechanism AWS_MSK_IAM: MSK's IAM listener (port 9098) is TLS only\n" +
				"{{file}}:3: kafka.sasl.aws_region: is required with mechanism AWS_MSK_IAM\n" +
				"{{file}}:5: kafka.sasl.username: is not used by mechanism AWS_MSK_IAM, which takes AWS credentials from the environment; remove it"},
		{scenario: "msk iam region", yaml: base + "  tls: {enabled: true}\n  sasl: {mechanism: AWS_MSK_IAM, aws_region: Ireland}\n",
			want: `{{file}}:4: kafka.sasl.aws_region: must be an AWS region such as eu-west-1, got "Ireland"`},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			files(t, dir)
			path := filepath.Join(dir, "service.yaml")
			c := &config{}
			err := svcconfig.Parse(path, []byte(tc.yaml), c, svcconfig.Options{Defaults: func() {
				if c.Kafka.ClientID == "" {
					c.Kafka.ClientID = "sfsync-test"
				}
			}, Check: func() []svcconfig.Problem {
				return append(c.Kafka.Problems(), c.Kafka.SecurityProblems()...)
			}})
			want := strings.NewReplacer("{{file}}", path, "{{dir}}", dir).Replace(tc.want)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
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
