package config

import (
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// service is the reconciler's configuration conventions: its environment
// prefix, defaults and checks.
var service = svcconfig.Service[Config]{Name: "reconciler", EnvPrefix: EnvPrefix, Defaults: (*Config).setDefaults, Check: (*Config).check}

// Load reads the reconciler's configuration file at path as [svcconfig.Load]
// does: the file, then the environment overrides that lookup finds (pass
// os.LookupEnv; see [Config.ApplyEnv]), then defaults and [Config.Validate].
// Every problem is reported at once, placed by file and line or variable.
func Load(path string, lookup svcconfig.Lookup) (*Config, error) { return service.Load(path, lookup) }

// Parse is [Load] for data read from a file called name.
func Parse(name string, data []byte, lookup svcconfig.Lookup) (*Config, error) {
	return service.Parse(name, data, lookup)
}

// UnknownEnv returns a *[svcconfig.ValidationError] naming every
// variable of environ that starts with [EnvPrefix] and overrides no
// setting; see [svcconfig.UnknownEnv].
func UnknownEnv(environ []string) error { return service.UnknownEnv(&Config{}, environ) }
