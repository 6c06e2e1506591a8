package config

import (
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// Load reads the consumer's configuration file at path as [svcconfig.Load]
// does: the file, then the environment overrides that lookup finds (pass
// os.LookupEnv; see [Config.ApplyEnv]), then defaults and [Config.Validate].
// Every problem is reported at once, placed by file and line or variable.
func Load(path string, lookup svcconfig.Lookup) (*Config, error) {
	return svcconfig.LoadNew(path, lookup, (*Config).options)
}

// Parse is [Load] for data read from a file called name.
func Parse(name string, data []byte, lookup svcconfig.Lookup) (*Config, error) {
	return svcconfig.ParseNew(name, data, lookup, (*Config).options)
}

// options are the consumer's conventions for svcconfig.
func (c *Config) options(lookup svcconfig.Lookup) svcconfig.Options {
	return svcconfig.Options{Service: "consumer", EnvPrefix: EnvPrefix, Env: lookup, Defaults: c.setDefaults, Check: c.check}
}
