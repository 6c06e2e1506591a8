package config

import (
	"errors"
	"strings"
	"testing"
)

func TestPartitionKeyCache(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		yaml     string
		env      map[string]string
		want     int
		problem  string
	}{
		{scenario: "default", yaml: base, want: DefaultPartitionKeyCache},
		{scenario: "zero takes the default", yaml: base + "partition_key_cache: 0\n", want: DefaultPartitionKeyCache},
		{scenario: "file", yaml: base + "partition_key_cache: 250_000\n", want: 250_000},
		{scenario: "env", yaml: base, env: map[string]string{"SFSYNC_PRODUCER_PARTITION_KEY_CACHE": "5000"}, want: 5000},
		{scenario: "negative", yaml: base + "partition_key_cache: -1\n", problem: ":8: partition_key_cache: must be >= 1, got -1"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			path, _ := fixture(t, tc.yaml)
			c, err := Load(path, env(tc.env))
			if tc.problem != "" {
				if !errors.Is(err, ErrInvalid) || !strings.HasSuffix(err.Error(), tc.problem) {
					t.Fatalf("got %v, want a problem ending %q", err, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.PartitionKeyCache != tc.want {
				t.Errorf("partition_key_cache %d, want %d", c.PartitionKeyCache, tc.want)
			}
		})
	}
}
