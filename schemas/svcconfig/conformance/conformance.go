package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig"
	"github.com/sfsync/sfsync/schemas/svcconfig/svcconfigtest"
)

// Config is what the shared suite needs of a service's configuration.
type Config interface {
	Validate() error
	String() string
	Warnings() []string
}

// Service describes one service's configuration package to the checks
// every service's configuration passes: [Suite] and [Fuzz]. Each
// service's tests fill one in and run both, in the style of watermill's
// TestPubSub(t, features, constructor).
type Service[C Config] struct {
	// Name is the service's name, e.g. "consumer": the configuration
	// file is <Name>.yaml, the example <Name>.example.yaml in the
	// service module's root, and problems name the service.
	Name string
	// EnvPrefix starts the service's environment overrides, e.g.
	// SFSYNC_CONSUMER_.
	EnvPrefix string
	// Base is a minimal valid configuration, {{mapping}} standing for
	// [svcconfigtest.MappingFile]; it has no warnings.
	Base string
	// Load is the service's Load.
	Load func(path string, lookup func(string) (string, bool)) (C, error)
	// Parse is the service's Parse.
	Parse func(name string, data []byte, lookup func(string) (string, bool)) (C, error)
	// Example, when set, returns what the example file must load as,
	// given what it loaded as, c, and may check c further.
	Example func(t *testing.T, c C) (want C)
	// Secrets, when set, is checked by [SecretsNeverShow].
	Secrets *Secrets[C]
	// Seeds are the service's own corner cases for [Fuzz].
	Seeds []string
}

// Fixture writes text, with {{mapping}} replaced, as the service's
// configuration file beside the shared fixture files (see
// [svcconfigtest.Fixture]), and returns its path and directory.
func (s Service[C]) Fixture(t testing.TB, text string) (path, dir string) {
	t.Helper()
	return svcconfigtest.Fixture(t, s.Name+".yaml", text)
}

// example is the service's example file, as the tests of its config
// package (internal/config, two levels below the module root) see it.
func (s Service[C]) example() string { return filepath.Join("..", "..", s.Name+".example.yaml") }

// Suite runs the checks every service's configuration passes: the
// example file and the base configuration load cleanly; the problems of
// the shared settings (the file itself, the mapping, the brokers, the
// process settings, the variables) are placed by file and line or
// variable and wrap [svcconfig.ErrInvalid]; metrics_public governs the
// warning about a public metrics_addr; no secret prints (see [Secrets]).
// Base must start with the mapping and end with the kafka section, with
// brokers: [127.0.0.1:19092].
func Suite[C Config](t *testing.T, s Service[C]) {
	t.Helper()
	t.Run("example file", func(t *testing.T) {
		t.Parallel()
		c, err := s.Load(s.example(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if w := c.Warnings(); len(w) != 0 {
			t.Errorf("warnings: %q", w)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Validate after Load: %v", err)
		}
		if s.Example == nil {
			return
		}
		if want := s.Example(t, c); !reflect.DeepEqual(c, want) {
			t.Errorf("got  %v\nwant %v", c, want)
		}
	})
	t.Run("base", func(t *testing.T) {
		t.Parallel()
		path, _ := svcconfigtest.Fixture(t, s.Name+".yaml", s.Base)
		c, err := s.Load(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if w := c.Warnings(); len(w) != 0 {
			t.Errorf("warnings: %q", w)
		}
	})
	t.Run("problems", func(t *testing.T) { problems(t, s) })
	if s.Secrets != nil {
		t.Run("secrets never show", func(t *testing.T) { SecretsNeverShow(t, s, *s.Secrets) })
	}
	t.Run("metrics public", func(t *testing.T) {
		svcconfigtest.MetricsPublic(t, s.EnvPrefix, func(t *testing.T, extra string, envs map[string]string) []string {
			path, _ := svcconfigtest.Fixture(t, s.Name+".yaml", s.Base+extra)
			c, err := s.Load(path, svcconfigtest.Env(envs))
			if err != nil {
				t.Fatal(err)
			}
			return c.Warnings()
		})
	})
}

// problems checks the problems every service reports alike, placed in
// the base configuration by the line of the key they name.
func problems[C Config](t *testing.T, s Service[C]) {
	end := strings.Count(s.Base, "\n")
	line := func(n int) string { return strconv.Itoa(n) }
	kafka := line(strings.Count(s.Base[:strings.Index(s.Base, "kafka:\n")], "\n") + 1)
	Problems(t, s, []svcconfigtest.Case{
		{Scenario: "syntax error", YAML: "kafka:\n  brokers: [a:1\n", Want: "{{file}}:2: sequence end token ']' not found"},
		{Scenario: "two documents", YAML: s.Base + "---\nlog_level: info\n",
			Want: "{{file}}:" + line(end+2) + ": want one YAML document, found a second"},
		{Scenario: "unknown key, near miss", YAML: s.Base + "log_levl: debug\n",
			Want: "{{file}}:" + line(end+1) + ": log_levl: unknown key; did you mean log_level?"},
		{Scenario: "mapping missing", YAML: strings.Replace(s.Base, "mapping: {{mapping}}\n", "", 1),
			Want: "{{file}}: mapping: is required: the mapping file naming the objects to sync"},
		{Scenario: "mapping unreadable", YAML: strings.Replace(s.Base, "{{mapping}}", "nowhere.yaml", 1),
			Want: "{{file}}:1: mapping: cannot read {{dir}}/nowhere.yaml: no such file or directory"},
		{Scenario: "mapping invalid", YAML: strings.Replace(s.Base, "{{mapping}}", "bad-mapping.yaml", 1),
			Want: "{{dir}}/bad-mapping.yaml:3:3: Account: missing fields\n" +
				`{{dir}}/bad-mapping.yaml:5:5: Account: unknown key "fieldz" (did you mean fields?)`},
		{Scenario: "brokers missing", YAML: strings.Replace(s.Base, "  brokers: [127.0.0.1:19092]\n", "  client_id: x\n", 1),
			Want: "{{file}}:" + kafka + ": kafka.brokers: at least one broker host:port is required"},
		{Scenario: "kafka security", YAML: s.Base + "  sasl: {mechanism: AWS_MSK_IAM, aws_region: eu-west-1}\n",
			Want: "{{file}}:" + kafka + ": kafka.tls.enabled: must be true with mechanism AWS_MSK_IAM: MSK's IAM listener (port 9098) is TLS only"},
		{Scenario: "not a duration", YAML: s.Base + "shutdown_timeout: 30\n",
			Want: "{{file}}:" + line(end+1) + `: shutdown_timeout: must be a duration such as 30s or 5m, got "30"`},
		{Scenario: "process settings", YAML: s.Base + "shutdown_timeout: -1s\nmetrics_addr: 9999\nlog_level: verbose\nlog_format: xml\n",
			Want: "{{file}}:" + line(end+1) + ": shutdown_timeout: must be > 0, got -1s\n" +
				"{{file}}:" + line(end+2) + ": metrics_addr: must be host:port, got \"9999\"\n" +
				"{{file}}:" + line(end+3) + ": log_level: must be one of debug, info, warn, error, got \"verbose\"\n" +
				"{{file}}:" + line(end+4) + ": log_format: must be one of text, json, got \"xml\""},
		{Scenario: "bad variable", YAML: s.Base, Env: map[string]string{s.EnvPrefix + "SHUTDOWN_TIMEOUT": "soon"},
			Want: "$" + s.EnvPrefix + "SHUTDOWN_TIMEOUT: shutdown_timeout: must be a duration such as 30s or 5m, got \"soon\""},
		{Scenario: "variable list", YAML: s.Base, Env: map[string]string{s.EnvPrefix + "KAFKA_BROKERS": "a:1,,b:2"},
			Want: "$" + s.EnvPrefix + "KAFKA_BROKERS: kafka.brokers: must be a comma-separated list such as a:9092,b:9092, got an empty item"},
	})
}

// Problems runs the service's cases (see [svcconfigtest.Problems]): each
// file with its environment must fail to load with the case's error, a
// *[svcconfig.ValidationError] naming the service and wrapping
// [svcconfig.ErrInvalid], or load when the case wants no error.
func Problems[C Config](t *testing.T, s Service[C], cases []svcconfigtest.Case) {
	t.Helper()
	load := func(path string, env map[string]string) error {
		_, err := s.Load(path, svcconfigtest.Env(env))
		return err
	}
	svcconfigtest.Problems(t, s.Name+".yaml", load, func(t *testing.T, err error) {
		var ve *svcconfig.ValidationError
		if !errors.Is(err, svcconfig.ErrInvalid) || !errors.As(err, &ve) || ve.Service != s.Name {
			t.Errorf("error %v does not wrap ErrInvalid or name the %s", err, s.Name)
		}
	}, cases)
}

// Setting is a configuration file and environment that load, and what
// the configuration they load as must satisfy.
type Setting[C Config] struct {
	Scenario, YAML string
	Env            map[string]string
	// Check reports whether c is as the case wants.
	Check func(c C) bool
}

// Settings loads each case's file, with its environment, in parallel,
// and checks what it loads as.
func Settings[C Config](t *testing.T, s Service[C], cases []Setting[C]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Scenario, func(t *testing.T) {
			t.Parallel()
			path, _ := s.Fixture(t, tc.YAML)
			c, err := s.Load(path, svcconfigtest.Env(tc.Env))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.Check(c) {
				t.Errorf("config %v", c)
			}
		})
	}
}

// Secrets says where a service's configuration holds secrets, for
// [SecretsNeverShow]. Every secret contains [Marker].
type Secrets[C Config] struct {
	// Refused is a configuration holding secrets that fails to load.
	Refused svcconfigtest.Case
	// Loaded is a configuration that loads with secrets set.
	Loaded svcconfigtest.Case
	// Parts returns what the loaded configuration c is made of and
	// makes, to be printed besides c: its sections, the Kafka transport
	// and dialer.
	Parts func(c C) ([]any, error)
	// Marked are texts that c's String must hold: its secrets shown as
	// set, without their value.
	Marked []string
}

// Marker is in every secret of [Secrets]' configurations.
const Marker = "S3CRET-MARKER"

// SecretsNeverShow looks for [Marker] in every way the configurations of
// sec, or their parts, can be printed or logged, and in the error of the
// refused one.
func SecretsNeverShow[C Config](t *testing.T, s Service[C], sec Secrets[C]) {
	t.Helper()
	path, _ := s.Fixture(t, sec.Refused.YAML)
	_, err := s.Load(path, svcconfigtest.Env(sec.Refused.Env))
	if err == nil {
		t.Fatal("Load succeeded")
	}
	texts := []string{err.Error(), fmt.Sprintf("%+v", err)}

	path, _ = s.Fixture(t, sec.Loaded.YAML)
	c, err := s.Load(path, svcconfigtest.Env(sec.Loaded.Env))
	if err != nil {
		t.Fatal(err)
	}
	parts, err := sec.Parts(c)
	if err != nil {
		t.Fatal(err)
	}
	parts = append([]any{c}, parts...)
	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		log := slog.New(h)
		for i, v := range parts {
			log.Info("config", "part"+strconv.Itoa(i), v)
		}
	}
	texts = append(texts, logs.String())
	for _, v := range parts {
		texts = append(texts, fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), fmt.Sprintf("%s", v), fmt.Sprint(v))
	}
	for _, text := range texts {
		if strings.Contains(text, Marker) {
			t.Errorf("secret shown in %s", text)
		}
	}
	for _, m := range sec.Marked {
		if !strings.Contains(c.String(), m) || !strings.Contains(logs.String(), "[REDACTED]") {
			t.Errorf("secrets not marked as set (%s): %s", m, c)
		}
	}
}

// Fuzz feeds arbitrary text to the service's Parse: it must never panic,
// must fail only with a *[svcconfig.ValidationError] whose every problem
// names a place or a key, and must accept only what Validate accepts.
// The corpus starts with the example file, the base configuration, and
// the service's own Seeds.
func Fuzz[C Config](f *testing.F, s Service[C]) {
	example, err := os.ReadFile(s.example())
	if err != nil {
		f.Fatal(err)
	}
	mapping := svcconfigtest.MappingFile()
	f.Add(strings.Replace(string(example), "../schemas/mappings/territory.yaml", mapping, 1))
	f.Add(strings.ReplaceAll(s.Base, "{{mapping}}", mapping))
	f.Add("a: &x [1, *x]\n---\n")
	f.Add("kafka: {brokers: !!str 1, tls: [x]}\n<<: {a: 1}\n")
	for _, seed := range s.Seeds {
		f.Add(seed)
	}
	name := filepath.Join(f.TempDir(), s.Name+".yaml")
	f.Fuzz(func(t *testing.T, data string) {
		c, err := s.Parse(name, []byte(data), nil)
		Parsed(t, err, func() error { _ = c.String(); return c.Validate() })
	})
}

// Parsed checks what a parser made of arbitrary text: its error must be
// a *[svcconfig.ValidationError] whose every problem names a place or a
// key and says something; without an error, check (the checks, after
// formatting the configuration) must pass, as Parse accepts only what
// they accept.
func Parsed(t *testing.T, err error, check func() error) {
	t.Helper()
	if err == nil {
		if err := check(); err != nil {
			t.Fatalf("Parse accepted what the checks refuse: %v", err)
		}
		return
	}
	var ve *svcconfig.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) == 0 {
		t.Fatalf("error %T %v", err, err)
	}
	for _, p := range ve.Problems {
		if p.Where == "" && p.Path == "" || p.Message == "" {
			t.Fatalf("unplaced problem %+v", p)
		}
	}
}

// StaticToken is the static-token form of the salesforce section, its
// keys indented below "salesforce:": sfemu's development token, its REST
// API on loopback and its org id, as in [LocalSalesforce].
const StaticToken = "  access_token: sfemu-local-dev-token\n  instance_url: http://127.0.0.1:7012\n  org_id: 00D000000000001EAA\n"

// LocalSalesforce sets s to what the example files of the producer and
// the reconciler say: sfemu's Pub/Sub API (plaintext) and REST API on
// loopback, with its development token and org id.
func LocalSalesforce(s *svcconfig.Salesforce) {
	s.PubSubEndpoint, s.Plaintext = "127.0.0.1:7011", true
	s.AccessToken, s.InstanceURL, s.OrgID = "sfemu-local-dev-token", "http://127.0.0.1:7012", "00D000000000001EAA"
}
