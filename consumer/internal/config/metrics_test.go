package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestMetricsPublic checks that a metrics_addr beyond loopback is warned
// about unless metrics_public says it is intended, from the file or the
// environment.
func TestMetricsPublic(t *testing.T) {
	t.Parallel()
	const warning = "metrics_addr: metrics are served beyond this host on 0.0.0.0:9465 (set metrics_public: true if intended)"
	for _, tc := range []struct {
		scenario string
		yaml     string
		env      map[string]string
		want     []string
	}{
		{scenario: "loopback default", yaml: base},
		{scenario: "loopback, public", yaml: base + "metrics_public: true\n"},
		{scenario: "all interfaces", yaml: base + "metrics_addr: 0.0.0.0:9465\n", want: []string{warning}},
		{scenario: "all interfaces, not public", yaml: base + "metrics_addr: 0.0.0.0:9465\nmetrics_public: false\n", want: []string{warning}},
		{scenario: "all interfaces, public", yaml: base + "metrics_addr: 0.0.0.0:9465\nmetrics_public: true\n"},
		{scenario: "all interfaces, public from env", yaml: base + "metrics_addr: 0.0.0.0:9465\n", env: map[string]string{"SFSYNC_CONSUMER_METRICS_PUBLIC": "true"}},
		{scenario: "env address, public from env", yaml: base, env: map[string]string{"SFSYNC_CONSUMER_METRICS_ADDR": "0.0.0.0:9465", "SFSYNC_CONSUMER_METRICS_PUBLIC": "true"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			path, _ := fixture(t, tc.yaml)
			c, err := Load(path, env(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range c.Warnings() {
				if strings.HasPrefix(w, "metrics_addr:") {
					got = append(got, w)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
