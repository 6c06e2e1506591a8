package config

import (
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// EnvPrefix starts the name of every environment override: the key path
// upper-cased, dots and underscores both becoming "_", e.g.
// SFSYNC_PRODUCER_KAFKA_SASL_PASSWORD for kafka.sasl.password.
const EnvPrefix = "SFSYNC_PRODUCER_"

// service is the producer's configuration conventions: its environment
// prefix, defaults and checks.
var service = svcconfig.Service[Config]{Name: "producer", EnvPrefix: EnvPrefix, Defaults: (*Config).setDefaults, Check: (*Config).check}

// Load reads the producer's configuration file at path as [svcconfig.Load]
// does: the file, then the environment overrides that lookup finds (pass
// os.LookupEnv; see [Config.ApplyEnv]), then defaults and [Config.Validate].
// Every problem is reported at once, placed by file and line or variable.
func Load(path string, lookup svcconfig.Lookup) (*Config, error) { return service.Load(path, lookup) }

// Parse is [Load] for data read from a file called name.
func Parse(name string, data []byte, lookup svcconfig.Lookup) (*Config, error) {
	return service.Parse(name, data, lookup)
}

// LoadEnv is [Load] for main: it also refuses the variables of environ
// that start with [EnvPrefix] and override no setting (a mistyped
// override would otherwise leave the file's value in force); see
// [svcconfig.UnknownEnv].
func LoadEnv(path string, lookup svcconfig.Lookup, environ []string) (*Config, error) {
	return service.LoadEnv(path, lookup, environ)
}
