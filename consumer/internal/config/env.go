package config

import (
	"fmt"
	"reflect"
	"strings"
)

// EnvName returns the environment variable overriding the key path, e.g.
// SFSYNC_CONSUMER_KAFKA_TLS_CA_FILE for kafka.tls.ca_file.
func EnvName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// EnvNames returns every environment variable [Config.ApplyEnv] reads.
func EnvNames() []string {
	ps := leafPaths()
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = EnvName(p)
	}
	return names
}

// ApplyEnv overrides c's settings with the environment variables that
// lookup finds (main passes os.LookupEnv; nothing else here reads the
// environment). Each setting has one variable, named by [EnvName]:
// SFSYNC_CONSUMER_ then the key path upper-cased with "_" for ".".
// Lists are comma-separated (SFSYNC_CONSUMER_KAFKA_BROKERS=a:9092,b:9092), and an empty value resets
// the setting to its default. It returns a *[ValidationError] naming the
// variable of each value that does not parse, after applying the others.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	src := &source{lines: map[string]int{}, env: map[string]string{}}
	ps := c.applyEnv(lookup, src)
	if len(ps) == 0 {
		return nil
	}
	for i := range ps {
		ps[i].Where = src.where(ps[i].Path)
	}
	return &ValidationError{Problems: ps}
}

// applyEnv applies the overrides and records in src which settings they
// set and which failed.
func (c *Config) applyEnv(lookup func(string) (string, bool), src *source) []Problem {
	var ps []Problem
	bad := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
		src.bad = append(src.bad, path)
	}
	walk(reflect.ValueOf(c).Elem(), "", func(path string, v reflect.Value) {
		name := EnvName(path)
		s, ok := lookup(name)
		if !ok {
			return
		}
		src.forget(path)
		src.env[path] = name
		if strings.TrimSpace(s) == "" {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		switch v.Kind() {
		case reflect.Slice:
			items := strings.Split(s, ",")
			for i := range items {
				items[i] = strings.TrimSpace(items[i])
				if items[i] == "" {
					bad(path, "must be a comma-separated list such as a:9092,b:9092, got an empty item")
					return
				}
			}
			v.Set(reflect.ValueOf(items))
		default:
			if err := setScalar(v, strings.TrimSpace(s)); err != nil {
				bad(path, "%v", err)
			}
		}
	})
	return ps
}
