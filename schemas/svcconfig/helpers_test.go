package svcconfig

import (
	"testing"
	"time"

	"github.com/sfsync/sfsync/schemas/svcconfig/svcconfigtest"
)

// testConfig is a service configuration using every kind of setting.
type testConfig struct {
	MappingFile string         `yaml:"mapping" svcconfig:"file"`
	Salesforce  testSalesforce `yaml:"salesforce"`
	Postgres    struct {
		URL URL `yaml:"url"`
	} `yaml:"postgres"`
	Topics     []string       `yaml:"topics"`
	Partitions map[string]int `yaml:"partitions"`
	Tuning     struct {
		Size     int            `yaml:"size"`
		Wait     time.Duration  `yaml:"wait"`
		Repair   *bool          `yaml:"repair"`
		Every    *time.Duration `yaml:"every"`
		Verbose  bool           `yaml:"verbose"`
		internal int
	} `yaml:"tuning"`
	LogLevel  string `yaml:"log_level"`
	LogFormat string `yaml:"log_format"`
	Ignored   string `yaml:"-"`
}

// testSalesforce embeds the shared settings with one of its own.
type testSalesforce struct {
	Salesforce `yaml:",inline"`
	PollEvery  time.Duration `yaml:"poll_every"`
}

func (c *testConfig) setDefaults() {
	c.Salesforce.SetDefaults()
	if c.Tuning.Size == 0 {
		c.Tuning.Size = 100
	}
	if c.Tuning.Repair == nil {
		t := true
		c.Tuning.Repair = &t
	}
	if c.Tuning.Every == nil {
		d := time.Hour
		c.Tuning.Every = &d
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.LogFormat == "" {
		c.LogFormat = "text"
	}
}

func (c *testConfig) check() []Problem {
	k := &Checker{}
	k.Mapping("mapping", c.MappingFile)
	k.Add(c.Salesforce.Problems()...)
	for i, t := range c.Topics {
		k.Topics(nil, Topic{Path: "topics[" + string(rune('0'+i%10)) + "]", Name: t})
	}
	k.AtLeast("tuning.size", c.Tuning.Size, 1)
	if c.Tuning.Wait != 0 {
		k.Positive("tuning.wait", c.Tuning.Wait)
	}
	k.Logging(c.LogLevel, c.LogFormat)
	return k.Problems
}

func (c *testConfig) options(env map[string]string) Options {
	o := Options{Service: "test", EnvPrefix: "SFSYNC_TEST_", Defaults: c.setDefaults, Check: c.check}
	if env != nil {
		o.Env = func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		}
	}
	return o
}

// mappingFile is the absolute path of the bundled mapping.
var mappingFile = svcconfigtest.MappingFile

// fixture writes text, with {{mapping}} replaced, as service.yaml in a
// new directory with the shared fixture files (an RSA key in rsa.key, a
// file without PEM in text.txt, an invalid mapping in bad-mapping.yaml,
// and more); it returns the file's path and the directory.
func fixture(t *testing.T, text string) (path, dir string) {
	t.Helper()
	return svcconfigtest.Fixture(t, "service.yaml", text)
}
