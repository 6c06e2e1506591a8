package svcconfig

import (
	"reflect"
	"testing"
)

func TestMetricsWarnings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		addr     string
		public   bool
		want     []string
	}{
		{scenario: "loopback", addr: "127.0.0.1:9464"},
		{scenario: "localhost", addr: "localhost:9464"},
		{scenario: "loopback, public", addr: "[::1]:9464", public: true},
		{scenario: "all interfaces", addr: "0.0.0.0:9464", want: []string{"metrics_addr: metrics are served beyond this host on 0.0.0.0:9464 (set metrics_public: true if intended)"}},
		{scenario: "all interfaces, public", addr: "0.0.0.0:9464", public: true},
		{scenario: "empty host, public", addr: ":9464", public: true},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			if got := MetricsWarnings(tc.addr, tc.public); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
