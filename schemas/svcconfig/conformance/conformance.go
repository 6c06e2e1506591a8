package conformance

import (
	"errors"
	"os"
	"path/filepath"
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
}

// example is the service's example file, as the tests of its config
// package (internal/config, two levels below the module root) see it.
func (s Service[C]) example() string { return filepath.Join("..", "..", s.Name+".example.yaml") }

// Suite runs the checks every service's configuration passes: the
// example file and the base configuration load cleanly, problems are
// placed by file and line and wrap [svcconfig.ErrInvalid], and
// metrics_public governs the warning about a public metrics_addr.
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

// problems checks the problems every service reports alike.
func problems[C Config](t *testing.T, s Service[C]) {
	for _, tc := range []struct {
		scenario, yaml string
		env            map[string]string
		want           string // {{file}} and {{line}} are replaced
		after          int    // the problem's line, counted from the base's last
	}{
		{scenario: "two documents", yaml: s.Base + "---\nlog_level: info\n",
			after: 2, want: "{{file}}:{{line}}: want one YAML document, found a second"},
		{scenario: "unknown key, near miss", yaml: s.Base + "log_levl: debug\n",
			after: 1, want: "{{file}}:{{line}}: log_levl: unknown key; did you mean log_level?"},
		{scenario: "bad value", yaml: s.Base + "log_format: xml\n",
			after: 1, want: "{{file}}:{{line}}: log_format: "},
		{scenario: "bad variable", yaml: s.Base, env: map[string]string{s.EnvPrefix + "SHUTDOWN_TIMEOUT": "soon"},
			want: s.EnvPrefix + "SHUTDOWN_TIMEOUT: "},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			path, _ := svcconfigtest.Fixture(t, s.Name+".yaml", tc.yaml)
			line := strconv.Itoa(strings.Count(s.Base, "\n") + tc.after)
			want := strings.NewReplacer("{{file}}", path, "{{line}}", line).Replace(tc.want)
			_, err := s.Load(path, svcconfigtest.Env(tc.env))
			var ve *svcconfig.ValidationError
			if !errors.Is(err, svcconfig.ErrInvalid) || !errors.As(err, &ve) || ve.Service != s.Name {
				t.Fatalf("error %v does not wrap ErrInvalid or name the %s", err, s.Name)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q; want a line starting %q", err, want)
			}
		})
	}
}

// Fuzz feeds arbitrary text to the service's Parse: it must never panic,
// must fail only with a *[svcconfig.ValidationError] whose every problem
// names a place or a key, and must accept only what Validate accepts.
// The corpus starts with the example file, the base configuration, and
// seeds, the service's own.
func Fuzz[C Config](f *testing.F, s Service[C], seeds ...string) {
	example, err := os.ReadFile(s.example())
	if err != nil {
		f.Fatal(err)
	}
	mapping := svcconfigtest.MappingFile()
	f.Add(strings.Replace(string(example), "../schemas/mappings/territory.yaml", mapping, 1))
	f.Add(strings.ReplaceAll(s.Base, "{{mapping}}", mapping))
	f.Add("a: &x [1, *x]\n---\n")
	f.Add("kafka: {brokers: !!str 1, tls: [x]}\n<<: {a: 1}\n")
	for _, seed := range seeds {
		f.Add(seed)
	}
	name := filepath.Join(f.TempDir(), s.Name+".yaml")
	f.Fuzz(func(t *testing.T, data string) {
		c, err := s.Parse(name, []byte(data), nil)
		if err != nil {
			var ve *svcconfig.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error %T %v", err, err)
			}
			for _, p := range ve.Problems {
				if p.Where == "" && p.Path == "" || p.Message == "" {
					t.Fatalf("unplaced problem %+v", p)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate refuses: %v", err)
		}
		_ = c.String()
	})
}
