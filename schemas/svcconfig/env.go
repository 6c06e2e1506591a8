package svcconfig

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/sfsync/sfsync/schemas/internal/typo"
)

// EnvName returns the environment variable overriding the key path: the
// prefix, then the path upper-cased with "_" for ".", e.g.
// SFSYNC_PRODUCER_KAFKA_TLS_CA_FILE for kafka.tls.ca_file with the prefix
// SFSYNC_PRODUCER_.
func EnvName(prefix, path string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// EnvNames returns every environment variable [ApplyEnv] reads for the
// struct dst points to, in declaration order.
func EnvNames(prefix string, dst any) []string {
	ps := Keys(dst)
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = EnvName(prefix, p)
	}
	return names
}

// ApplyEnv overrides the settings of the struct dst points to with the
// environment variables that opts.Env finds (main passes os.LookupEnv;
// nothing here reads the environment itself). Each setting has one
// variable, named by [EnvName] with opts.EnvPrefix. Lists are
// comma-separated (SFSYNC_PRODUCER_KAFKA_BROKERS=a:9092,b:9092), maps
// are comma-separated topic=count pairs, and an empty value resets the
// setting to its zero value, hence to its default. It returns a
// *[ValidationError] naming the variable of each value that does not
// parse, after applying the others. [Load] calls it.
func ApplyEnv(dst any, opts Options) error {
	if opts.Env == nil {
		return nil
	}
	src := &source{lines: map[string]int{}, env: map[string]string{}}
	ps := applyEnv(target(dst), opts.EnvPrefix, opts.Env, src)
	if len(ps) == 0 {
		return nil
	}
	for i := range ps {
		ps[i].Where = src.where(ps[i].Path)
	}
	return &ValidationError{Service: opts.Service, Problems: ps}
}

// applyEnv applies the overrides and records in src which settings they
// set and which failed.
func applyEnv(root reflect.Value, prefix string, lookup func(string) (string, bool), src *source) []Problem {
	var ps []Problem
	bad := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
		src.bad = append(src.bad, path)
	}
	walk(root, "", func(path string, v reflect.Value, _ reflect.StructField) {
		name := EnvName(prefix, path)
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
		switch v.Type() {
		case listType:
			items := strings.Split(s, ",")
			for i := range items {
				items[i] = strings.TrimSpace(items[i])
				if items[i] == "" {
					bad(path, "must be a comma-separated list such as a:9092,b:9092, got an empty item")
					return
				}
			}
			v.Set(reflect.ValueOf(items))
		case countsType:
			m := map[string]int{}
			for item := range strings.SplitSeq(s, ",") {
				topic, count, ok := strings.Cut(strings.TrimSpace(item), "=")
				n, err := strconv.Atoi(strings.TrimSpace(count))
				topic = strings.TrimSpace(topic)
				if !ok || err != nil || topic == "" {
					bad(path, "must be comma-separated topic=partitions pairs such as orders=6,accounts=12, got %q", item)
					return
				}
				m[topic] = n
			}
			v.Set(reflect.ValueOf(m))
		default:
			if err := setScalar(v, strings.TrimSpace(s)); err != nil {
				bad(path, "%v", err)
			}
		}
	})
	return ps
}

// UnknownEnv returns a *[ValidationError] naming every variable of
// environ ("NAME=value" entries, as os.Environ returns them) that starts
// with prefix but overrides no setting of the struct dst points to, with
// the nearest variable that does as a hint; nil when there is none. A
// mistyped override would otherwise leave the file's value in force
// without a word. Values are never read, let alone shown.
func UnknownEnv(service, prefix string, dst any, environ []string) error {
	known := EnvNames(prefix, dst)
	var ps []Problem
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, prefix) || slices.Contains(known, name) {
			continue
		}
		msg := "overrides no setting"
		if best := typo.Closest(name, known, 3); best != "" {
			msg += "; did you mean " + best + "?"
		} else {
			msg += "; the settings' variables are " + prefix + "<KEY_PATH>, such as " + known[0]
		}
		ps = append(ps, Problem{Where: "$" + name, Message: msg})
	}
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Service: service, Problems: ps}
}
