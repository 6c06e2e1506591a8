package svcconfig

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/schemas/svcconfig/svcconfigtest"
)

// base is a valid configuration of five lines; cases append to it.
const base = `mapping: {{mapping}}
salesforce:
  access_token: sfemu-local-dev-token
  instance_url: http://127.0.0.1:7012
  org_id: 00D000000000001EAA
`

// sf is a configuration of four lines whose salesforce section the
// cases write from line 5.
const sf = "mapping: {{mapping}}\nlog_level: info\nlog_format: text\nsalesforce:\n"

func TestLoad(t *testing.T) {
	t.Parallel()
	path, dir := fixture(t, base+"  ca_file: text.txt\n  plaintext: true\n  poll_every: 2m\ntopics: [a, b]\npartitions: {a: 3}\ntuning:\n  size: 1_000\n  repair: false\n  every: 0s\n")
	// ca_file with plaintext is a problem; take it away through the
	// environment, which also names files from the working directory.
	c := &testConfig{}
	err := Load(path, c, c.options(map[string]string{"SFSYNC_TEST_SALESFORCE_CA_FILE": "", "SFSYNC_TEST_TUNING_WAIT": "20ms"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.MappingFile != mappingFile() || c.Salesforce.PubSubEndpoint != DefaultPubSubEndpoint || c.Salesforce.LoginURL != DefaultLoginURL ||
		c.Salesforce.PollEvery != 2*time.Minute || c.Salesforce.AccessToken != "sfemu-local-dev-token" || !c.Salesforce.Plaintext {
		t.Errorf("config %s", Format(c))
	}
	if !reflect.DeepEqual(c.Topics, []string{"a", "b"}) || !reflect.DeepEqual(c.Partitions, map[string]int{"a": 3}) || c.Tuning.Size != 1000 ||
		c.Tuning.Wait != 20*time.Millisecond || *c.Tuning.Repair || *c.Tuning.Every != 0 {
		t.Errorf("config %s", Format(c))
	}
	if w := c.Salesforce.Warnings(); len(w) != 1 || w[0] != "salesforce.plaintext: access tokens go unencrypted to api.pubsub.salesforce.com:7443" {
		t.Errorf("warnings %q", w)
	}
	_ = dir

	// Relative file names from the file are taken from its directory.
	path, dir = fixture(t, "mapping: bad-mapping.yaml\n")
	c = &testConfig{}
	err = Load(path, c, Options{})
	if err != nil || c.MappingFile != filepath.Join(dir, "bad-mapping.yaml") {
		t.Errorf("mapping %q, %v", c.MappingFile, err)
	}
}

func TestLoadProblems(t *testing.T) {
	t.Parallel()
	load := func(path string, env map[string]string) error {
		c := &testConfig{}
		return Load(path, c, c.options(env))
	}
	svcconfigtest.Problems(t, "service.yaml", load, func(t *testing.T, err error) {
		var ve *ValidationError
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &ve) || ve.Service != "test" {
			t.Errorf("error %T does not wrap ErrInvalid or name the service: %v", err, err)
		}
	}, []svcconfigtest.Case{
		// The file itself.
		{Scenario: "syntax error", YAML: "tuning:\n  size: [1\n", Want: `{{file}}:2: sequence end token ']' not found`},
		{Scenario: "two documents", YAML: base + "---\nlog_level: info\n", Want: `{{file}}:7: want one YAML document, found a second`},
		{Scenario: "top level not a mapping", YAML: "- a\n- b\n", Want: `{{file}}: must be a mapping of keys, got a list`},
		{Scenario: "unknown key, near miss", YAML: base + "tunnig: {}\n", Want: `{{file}}:6: tunnig: unknown key; did you mean tuning?`},
		{Scenario: "unknown key, elsewhere", YAML: base + "size: 3\n", Want: `{{file}}:6: size: unknown key; did you mean tuning.size?`},
		{Scenario: "unknown key, inline level", YAML: base + "  acess_token: x\n", Want: `{{file}}:6: salesforce.acess_token: unknown key; did you mean access_token?`},
		{Scenario: "unknown key, no hint", YAML: base + "compression: zstd\n", Want: `{{file}}:6: compression: unknown key`},
		{Scenario: "tag - is no key", YAML: base + "ignored: x\n", Want: `{{file}}:6: ignored: unknown key`},
		{Scenario: "unexported is no key", YAML: base + "tuning: {internal: 1}\n", Want: `{{file}}:6: tuning.internal: unknown key`},
		{Scenario: "duplicate key", YAML: base + "  org_id: 00D000000000002EAA\n", Want: `{{file}}:6: salesforce.org_id: defined twice (first at line 5)`},
		{Scenario: "not an integer", YAML: base + "tuning:\n  size: lots\n", Want: `{{file}}:7: tuning.size: must be an integer, got "lots"`},
		{Scenario: "not a duration", YAML: base + "tuning:\n  wait: 30\n", Want: `{{file}}:7: tuning.wait: must be a duration such as 30s or 5m, got "30"`},
		{Scenario: "not a boolean", YAML: base + "tuning:\n  repair: sometimes\n", Want: `{{file}}:7: tuning.repair: must be true or false, got "sometimes"`},
		{Scenario: "pointer given a list", YAML: base + "tuning:\n  every: [1s]\n", Want: `{{file}}:7: tuning.every: must be a duration, got a list`},
		{Scenario: "list item not a string", YAML: base + "topics: [{a: b}]\n", Want: `{{file}}:6: topics[0]: must be a string, got a mapping`},
		{Scenario: "list given a string", YAML: base + "topics: a\n", Want: `{{file}}:6: topics: must be a list such as [a, b], got a string`},
		{Scenario: "section not a mapping", YAML: base + "tuning: fast\n", Want: `{{file}}:6: tuning: must be a mapping of keys, got a string`},
		{Scenario: "alias", YAML: base + "tuning: {size: &n 3, wait: *n}\n", Want: `{{file}}:6: tuning.wait: aliases are not supported`},
		{Scenario: "partition count", YAML: base + "partitions:\n  orders: six\n", Want: `{{file}}:7: partitions["orders"]: must be a partition count, got "six"`},
		{Scenario: "decode problems hide their validation", YAML: base + "tuning: {size: x, wait: -1s}\n",
			Want: "{{file}}:6: tuning.size: must be an integer, got \"x\"\n{{file}}:6: tuning.wait: must be > 0, got -1s"},
		{Scenario: "shared checks", YAML: base + "topics: [\"a b\"]\nlog_level: loud\nlog_format: xml\n",
			Want: "{{file}}:6: topics[0]: must be a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -), got \"a b\"\n" +
				"{{file}}:7: log_level: must be one of debug, info, warn, error, got \"loud\"\n" +
				"{{file}}:8: log_format: must be one of text, json, got \"xml\""},

		// The mapping.
		{Scenario: "mapping missing", YAML: strings.Replace(base, "mapping: {{mapping}}\n", "", 1),
			Want: `{{file}}: mapping: is required: the mapping file naming the objects to sync`},
		{Scenario: "mapping unreadable", YAML: strings.Replace(base, "{{mapping}}", "nowhere.yaml", 1),
			Want: `{{file}}:1: mapping: cannot read {{dir}}/nowhere.yaml: no such file or directory`},
		{Scenario: "mapping invalid", YAML: strings.Replace(base, "{{mapping}}", "bad-mapping.yaml", 1),
			Want: "{{dir}}/bad-mapping.yaml:3:3: Account: missing fields\n" +
				`{{dir}}/bad-mapping.yaml:5:5: Account: unknown key "fieldz" (did you mean fields?)`},

		// Salesforce.
		{Scenario: "no credentials", YAML: "mapping: {{mapping}}\nsalesforce:\n  plaintext: true\n",
			Want: `{{file}}:2: salesforce: needs credentials: grant (jwt_bearer or client_credentials) with client_id, or access_token with instance_url and org_id`},
		{Scenario: "both auth forms", YAML: base + "  grant: jwt_bearer\n",
			Want: `{{file}}:2: salesforce: set either grant (OAuth) or access_token (a static token), not both`},
		{Scenario: "jwt bearer", YAML: "mapping: {{mapping}}\nsalesforce:\n  grant: jwt_bearer\n  client_id: app\n  username: u@x\n  private_key_file: text.txt\n",
			Want: `{{file}}:6: salesforce.private_key_file: {{dir}}/text.txt holds no PEM block`},
		{Scenario: "client credentials", YAML: "mapping: {{mapping}}\nsalesforce:\n  grant: client_credentials\n  client_id: app\n  client_secret: \" s3cr3t\"\n",
			Want: "{{file}}:2: salesforce.login_url: must be the org's My Domain URL with grant client_credentials, got \"https://login.salesforce.com\"\n" +
				"{{file}}:5: salesforce.client_secret: must not have surrounding spaces"},
		{Scenario: "static token malformed", YAML: strings.Replace(base, "00D000000000001EAA", "001", 1) + "  pubsub_endpoint: h\n",
			Want: "{{file}}:5: salesforce.org_id: must be a 15- or 18-character org id starting with 00D, got \"001\"\n" +
				"{{file}}:6: salesforce.pubsub_endpoint: must be host:port, got \"h\""},

		{Scenario: "grant missing", YAML: sf + "  client_id: app\n",
			Want: `{{file}}:4: salesforce.grant: is required with client_id, client_secret, username or private_key_file: one of jwt_bearer, client_credentials`},
		{Scenario: "access token missing", YAML: sf + "  org_id: 00D000000000001EAA\n",
			Want: `{{file}}:4: salesforce.access_token: is required with instance_url and org_id`},
		{Scenario: "unknown grant", YAML: sf + "  grant: password\n  client_id: app\n",
			Want: `{{file}}:5: salesforce.grant: must be one of jwt_bearer, client_credentials, got "password"`},
		{Scenario: "jwt bearer incomplete", YAML: sf + "  grant: jwt_bearer\n  client_secret: s3cr3t-value\n",
			Want: "{{file}}:4: salesforce.client_id: is required with grant jwt_bearer\n" +
				"{{file}}:4: salesforce.username: is required with grant jwt_bearer: the integration user, the JWT's subject\n" +
				"{{file}}:4: salesforce.private_key_file: is required with grant jwt_bearer\n" +
				"{{file}}:6: salesforce.client_secret: is not used by grant jwt_bearer; remove it"},
		{Scenario: "private key unreadable", YAML: sf + "  grant: jwt_bearer\n  client_id: app\n  username: u@x\n  private_key_file: none.key\n",
			Want: `{{file}}:8: salesforce.private_key_file: cannot read {{dir}}/none.key: no such file or directory`},
		{Scenario: "private key not PEM", YAML: sf + "  grant: jwt_bearer\n  client_id: app\n  username: u@x\n  private_key_file: text.txt\n",
			Want: `{{file}}:8: salesforce.private_key_file: {{dir}}/text.txt holds no PEM block`},
		{Scenario: "private key a certificate", YAML: sf + "  grant: jwt_bearer\n  client_id: app\n  username: u@x\n  private_key_file: ca.pem\n",
			Want: `{{file}}:8: salesforce.private_key_file: {{dir}}/ca.pem holds a "CERTIFICATE" PEM block, want RSA PRIVATE KEY or PRIVATE KEY`},
		{Scenario: "private key garbled", YAML: sf + "  grant: jwt_bearer\n  client_id: app\n  username: u@x\n  private_key_file: garbled.key\n",
			Want: `{{file}}:8: salesforce.private_key_file: {{dir}}/garbled.key: cannot parse the private key`},
		{Scenario: "private key not RSA", YAML: sf + "  grant: jwt_bearer\n  client_id: app\n  username: u@x\n  private_key_file: ec.key\n",
			Want: `{{file}}:8: salesforce.private_key_file: {{dir}}/ec.key: the private key is not RSA`},
		{Scenario: "client credentials incomplete", YAML: sf + "  grant: client_credentials\n  client_id: app\n  username: u@x\n  instance_url: https://x.my.salesforce.com\n",
			Want: "{{file}}:4: salesforce.client_secret: is required with grant client_credentials\n" +
				"{{file}}:4: salesforce.login_url: must be the org's My Domain URL with grant client_credentials, got \"https://login.salesforce.com\"\n" +
				"{{file}}:7: salesforce.username: is not used by grant client_credentials; remove it\n" +
				"{{file}}:8: salesforce.instance_url: is only for a static access_token; OAuth returns it"},
		{Scenario: "static token incomplete", YAML: sf + "  access_token: tok\n  client_id: app\n",
			Want: "{{file}}:4: salesforce.instance_url: is required with access_token\n" +
				"{{file}}:4: salesforce.org_id: is required with access_token\n" +
				"{{file}}:6: salesforce.client_id: is only for an OAuth grant, not with access_token"},
		{Scenario: "static token malformed, every field", YAML: sf + "  access_token: \" tok\"\n  instance_url: https://x.my.salesforce.com/services\n  org_id: 001000000000001\n",
			Want: "{{file}}:5: salesforce.access_token: must not have surrounding spaces\n" +
				"{{file}}:6: salesforce.instance_url: must be an http(s) URL without a path such as https://acme.my.salesforce.com, got \"https://x.my.salesforce.com/services\"\n" +
				"{{file}}:7: salesforce.org_id: must be a 15- or 18-character org id starting with 00D, got \"001000000000001\""},
		{Scenario: "login url and endpoint", YAML: strings.Replace(base, "salesforce:\n", "salesforce:\n  login_url: login.salesforce.com\n  pubsub_endpoint: api.pubsub.salesforce.com\n", 1),
			Want: "{{file}}:3: salesforce.login_url: must be an http(s) URL without a path such as https://login.salesforce.com, got \"login.salesforce.com\"\n" +
				"{{file}}:4: salesforce.pubsub_endpoint: must be host:port, got \"api.pubsub.salesforce.com\""},
		{Scenario: "ca file with plaintext", YAML: strings.Replace(base, "salesforce:\n", "salesforce:\n  plaintext: true\n  ca_file: ca.pem\n", 1),
			Want: `{{file}}:4: salesforce.ca_file: must be empty with salesforce.plaintext: true`},
		{Scenario: "ca file not PEM", YAML: strings.Replace(base, "salesforce:\n", "salesforce:\n  ca_file: text.txt\n", 1),
			Want: `{{file}}:3: salesforce.ca_file: {{dir}}/text.txt holds no PEM certificate`},

		// The environment.
		{Scenario: "env integer", YAML: base, Env: map[string]string{"SFSYNC_TEST_TUNING_SIZE": "big"},
			Want: `$SFSYNC_TEST_TUNING_SIZE: tuning.size: must be an integer, got "big"`},
		{Scenario: "env pointer", YAML: base, Env: map[string]string{"SFSYNC_TEST_TUNING_REPAIR": "no"},
			Want: `$SFSYNC_TEST_TUNING_REPAIR: tuning.repair: must be true or false, got "no"`},
		{Scenario: "env list", YAML: base, Env: map[string]string{"SFSYNC_TEST_TOPICS": "a,,b"},
			Want: `$SFSYNC_TEST_TOPICS: topics: must be a comma-separated list such as a:9092,b:9092, got an empty item`},
		{Scenario: "env map", YAML: base, Env: map[string]string{"SFSYNC_TEST_PARTITIONS": "a=1,b"},
			Want: `$SFSYNC_TEST_PARTITIONS: partitions: must be comma-separated topic=partitions pairs such as orders=6,accounts=12, got "b"`},
		{Scenario: "env clears a file value", YAML: base, Env: map[string]string{"SFSYNC_TEST_SALESFORCE_ORG_ID": ""},
			Want: `$SFSYNC_TEST_SALESFORCE_ORG_ID: salesforce.org_id: is required with access_token`},
		{Scenario: "env and file problems together", YAML: base + "log_level: loud\n", Env: map[string]string{"SFSYNC_TEST_TUNING_WAIT": "soon"},
			Want: "{{file}}:6: log_level: must be one of debug, info, warn, error, got \"loud\"\n" +
				"$SFSYNC_TEST_TUNING_WAIT: tuning.wait: must be a duration such as 30s or 5m, got \"soon\""},
	})
}

func TestEnv(t *testing.T) {
	t.Parallel()
	c := &testConfig{}
	err := ApplyEnv(c, c.options(map[string]string{
		"SFSYNC_TEST_TOPICS":               " a , b ",
		"SFSYNC_TEST_PARTITIONS":           "a=1, b = 2",
		"SFSYNC_TEST_TUNING_REPAIR":        "false",
		"SFSYNC_TEST_TUNING_EVERY":         "0s",
		"SFSYNC_TEST_SALESFORCE_GRANT":     "jwt_bearer",
		"SFSYNC_TEST_SALESFORCE_PLAINTEXT": "maybe",
	}))
	want := `$SFSYNC_TEST_SALESFORCE_PLAINTEXT: salesforce.plaintext: must be true or false, got "maybe"`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if !reflect.DeepEqual(c.Topics, []string{"a", "b"}) || !reflect.DeepEqual(c.Partitions, map[string]int{"a": 1, "b": 2}) ||
		c.Tuning.Repair == nil || *c.Tuning.Repair || c.Tuning.Every == nil || *c.Tuning.Every != 0 || c.Salesforce.Grant != "jwt_bearer" {
		t.Errorf("config %s", Format(c))
	}
	if err := ApplyEnv(c, c.options(map[string]string{"SFSYNC_TEST_TUNING_REPAIR": ""})); err != nil || c.Tuning.Repair != nil {
		t.Errorf("empty value did not reset: %v, %v", c.Tuning.Repair, err)
	}
	names := strings.Join(EnvNames("SFSYNC_TEST_", &testConfig{}), " ")
	for _, n := range []string{"SFSYNC_TEST_MAPPING", "SFSYNC_TEST_SALESFORCE_CLIENT_SECRET", "SFSYNC_TEST_SALESFORCE_POLL_EVERY", "SFSYNC_TEST_POSTGRES_URL", "SFSYNC_TEST_TUNING_REPAIR"} {
		if !strings.Contains(names, n) {
			t.Errorf("EnvNames lacks %s: %s", n, names)
		}
	}
	if strings.Contains(names, "IGNORED") || strings.Contains(names, "INTERNAL") {
		t.Errorf("EnvNames has non-settings: %s", names)
	}
	if got := EnvName("SFSYNC_X_", "kafka.tls.ca_file"); got != "SFSYNC_X_KAFKA_TLS_CA_FILE" {
		t.Errorf("EnvName %s", got)
	}
}
