package config

import (
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig/svcconfigtest"
)

func TestMetricsPublic(t *testing.T) {
	t.Parallel()
	svcconfigtest.MetricsPublic(t, EnvPrefix, func(t *testing.T, extra string, envs map[string]string) []string {
		path, _ := fixture(t, base+extra)
		c, err := Load(path, svcconfigtest.Env(envs))
		if err != nil {
			t.Fatal(err)
		}
		return c.Warnings()
	})
}
