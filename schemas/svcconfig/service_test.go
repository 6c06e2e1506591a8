package svcconfig

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// runtimeConfig is a service configuration made of the shared sections
// only.
type runtimeConfig struct {
	Salesforce Salesforce `yaml:"salesforce"`
	Runtime    `yaml:",inline"`
}

var runtimeService = Service[runtimeConfig]{
	Name: "test", EnvPrefix: "SFSYNC_TEST_",
	Defaults: func(c *runtimeConfig) {
		c.Salesforce.SetDefaults()
		c.Runtime.SetDefaults(7*time.Second, "127.0.0.1:9999")
	},
	Check: func(c *runtimeConfig) []Problem {
		k := &Checker{}
		c.Runtime.Check(k)
		return k.Problems
	},
}

func TestServiceRuntime(t *testing.T) {
	t.Parallel()
	c, err := runtimeService.Parse("test.yaml", []byte("log_format: json\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Runtime{ShutdownTimeout: 7 * time.Second, MetricsAddr: "127.0.0.1:9999", LogLevel: DefaultLogLevel, LogFormat: "json"}
	if c.Runtime != want || runtimeService.Validate(c) != nil || c.MetricsWarnings() != nil {
		t.Errorf("runtime %+v", c.Runtime)
	}
	if s := Format(c); !strings.Contains(s, "shutdown_timeout=7s metrics_addr=\"127.0.0.1:9999\" metrics_public=false log_level=\"info\" log_format=\"json\"") {
		t.Errorf("format %s", s)
	}

	c.MetricsAddr, c.MetricsPublic = "0.0.0.0:9999", false
	if w := c.MetricsWarnings(); len(w) != 1 || !strings.HasPrefix(w[0], "metrics_addr: metrics are served beyond this host") {
		t.Errorf("warnings %q", w)
	}
	c.ShutdownTimeout, c.MetricsAddr, c.LogLevel = -time.Second, "9999", "loud"
	err = runtimeService.Validate(c)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Service != "test" || len(ve.Problems) != 3 {
		t.Fatalf("validate: %v", err)
	}
	for i, path := range []string{"shutdown_timeout", "metrics_addr", "log_level"} {
		if ve.Problems[i].Path != path {
			t.Errorf("problem %d %+v, want %s", i, ve.Problems[i], path)
		}
	}
}

func TestServiceEnv(t *testing.T) {
	t.Parallel()
	if got := runtimeService.EnvName("metrics_addr"); got != "SFSYNC_TEST_METRICS_ADDR" {
		t.Errorf("EnvName %s", got)
	}
	names := runtimeService.EnvNames()
	if !reflect.DeepEqual(names[len(names)-5:], []string{"SFSYNC_TEST_SHUTDOWN_TIMEOUT", "SFSYNC_TEST_METRICS_ADDR", "SFSYNC_TEST_METRICS_PUBLIC", "SFSYNC_TEST_LOG_LEVEL", "SFSYNC_TEST_LOG_FORMAT"}) {
		t.Errorf("EnvNames %q", names)
	}
	c := &runtimeConfig{}
	lookup := func(k string) (string, bool) {
		return map[string]string{"SFSYNC_TEST_SHUTDOWN_TIMEOUT": "soon"}[k], k == "SFSYNC_TEST_SHUTDOWN_TIMEOUT"
	}
	if err := runtimeService.ApplyEnv(c, lookup); err == nil || !strings.HasPrefix(err.Error(), "$SFSYNC_TEST_SHUTDOWN_TIMEOUT: shutdown_timeout: must be a duration") {
		t.Errorf("ApplyEnv: %v", err)
	}
	path, _ := fixture(t, "log_level: debug\n")
	if c, err := runtimeService.LoadEnv(path, nil, []string{"SFSYNC_TEST_LOG_LEVEL=x", "HOME=/"}); err != nil || c.Process().LogLevel != "debug" {
		t.Errorf("LoadEnv: %v", err)
	}
	_, err := runtimeService.LoadEnv(path, nil, []string{"SFSYNC_TEST_LOG_LEVL=debug", "HOME=/"})
	if err == nil || !strings.Contains(err.Error(), "$SFSYNC_TEST_LOG_LEVL: overrides no setting; did you mean SFSYNC_TEST_LOG_LEVEL?") {
		t.Errorf("UnknownEnv: %v", err)
	}
	if _, err := runtimeService.Load("/nonexistent/test.yaml", nil); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}
