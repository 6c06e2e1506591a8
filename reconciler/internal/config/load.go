package config

import (
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// ErrInvalid is wrapped by every configuration error; it is
// [svcconfig.ErrInvalid], shared by every service.
var ErrInvalid = svcconfig.ErrInvalid

// Problem is one thing wrong with a configuration: where, the key path,
// and the message.
type Problem = svcconfig.Problem

// ValidationError lists every problem of a configuration, one per line.
// It wraps [ErrInvalid]; its Service is "reconciler".
type ValidationError = svcconfig.ValidationError

// Load reads the YAML file at path, applies the environment overrides
// that lookup finds (pass os.LookupEnv; see [Config.ApplyEnv]), fills in
// defaults and validates the result (see [Config.Validate]). Relative
// file names in the file are taken from the file's directory; those in
// the environment, from the working directory. It reports every problem
// at once, as a *[ValidationError] whose lines name the file and line, or
// the variable, of each.
func Load(path string, lookup func(string) (string, bool)) (*Config, error) {
	c := &Config{}
	if err := svcconfig.Load(path, c, c.options(lookup)); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse is [Load] for data read from a file called name.
func Parse(name string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	c := &Config{}
	if err := svcconfig.Parse(name, data, c, c.options(lookup)); err != nil {
		return nil, err
	}
	return c, nil
}

// options are the reconciler's conventions for svcconfig.
func (c *Config) options(lookup func(string) (string, bool)) svcconfig.Options {
	return svcconfig.Options{Service: "reconciler", EnvPrefix: EnvPrefix, Env: lookup, Defaults: c.setDefaults, Check: c.check}
}
