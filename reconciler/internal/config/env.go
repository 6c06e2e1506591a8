package config

// EnvName returns the environment variable overriding the key path, e.g.
// SFSYNC_RECONCILER_KAFKA_TLS_CA_FILE for kafka.tls.ca_file.
func EnvName(path string) string { return service.EnvName(path) }

// EnvNames returns every environment variable [Config.ApplyEnv] reads.
func EnvNames() []string { return service.EnvNames() }

// ApplyEnv overrides c's settings with the environment variables that
// lookup finds (main passes os.LookupEnv; nothing else here reads the
// environment). Each setting has one variable, named by [EnvName]:
// SFSYNC_RECONCILER_ then the key path upper-cased with "_" for ".".
// Lists are comma-separated (SFSYNC_RECONCILER_KAFKA_BROKERS=a:9092,b:9092),
// and an empty value resets the setting to its default. It returns a *[svcconfig.ValidationError] naming the
// variable of each value that does not parse, after applying the others.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	return service.ApplyEnv(c, lookup)
}
