package svcconfig

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/sfsync/sfsync/schemas/internal/typo"
)

var (
	secretType   = reflect.TypeFor[Secret]()
	urlType      = reflect.TypeFor[URL]()
	durationType = reflect.TypeFor[time.Duration]()
	listType     = reflect.TypeFor[[]string]()
	// countsType is the one kind of map a setting may be: Kafka topic to
	// partition count.
	countsType = reflect.TypeFor[map[string]int]()
)

// yamlName returns the key of a struct field, or "" for fields that are
// not configuration.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

// isInline reports whether f is an embedded struct whose keys belong to
// the enclosing level: `yaml:",inline"`.
func isInline(f reflect.StructField) bool {
	name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct && strings.Contains(","+opts+",", ",inline,")
}

// isFile reports whether the setting f names a file: `svcconfig:"file"`.
func isFile(f reflect.StructField) bool { return f.Tag.Get("svcconfig") == "file" }

// setting is one key of a struct of settings.
type setting struct {
	name  string
	v     reflect.Value
	field reflect.StructField
}

// settings returns the keys of the struct v in declaration order, those
// of inline embedded structs in their place.
func settings(v reflect.Value) []setting {
	var ss []setting
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if isInline(f) {
			ss = append(ss, settings(v.Field(i))...)
			continue
		}
		if name := yamlName(f); name != "" {
			ss = append(ss, setting{name, v.Field(i), f})
		}
	}
	return ss
}

// walk calls fn with the path, value and field of every leaf setting of
// the struct v, in declaration order.
func walk(v reflect.Value, prefix string, fn func(path string, v reflect.Value, f reflect.StructField)) {
	for _, s := range settings(v) {
		if isStruct(s.v) {
			walk(s.v, prefix+s.name+".", fn)
			continue
		}
		fn(prefix+s.name, s.v, s.field)
	}
}

// field returns the setting of the struct v named by the key, or false.
func field(v reflect.Value, key string) (reflect.Value, bool) {
	for _, s := range settings(v) {
		if s.name == key {
			return s.v, true
		}
	}
	return reflect.Value{}, false
}

// keys returns the keys the struct type t accepts.
func keys(t reflect.Type) []string {
	var ks []string
	for _, s := range settings(reflect.New(t).Elem()) {
		ks = append(ks, s.name)
	}
	return ks
}

// leafPaths returns the path of every leaf setting of the struct type t.
func leafPaths(t reflect.Type) []string {
	var ps []string
	walk(reflect.New(t).Elem(), "", func(path string, _ reflect.Value, _ reflect.StructField) { ps = append(ps, path) })
	return ps
}

// Keys returns the key path of every setting of the struct dst points
// to, in declaration order, e.g. "kafka.tls.ca_file".
func Keys(dst any) []string { return leafPaths(target(dst).Type()) }

// isStruct reports whether v is a group of settings rather than a leaf.
func isStruct(v reflect.Value) bool {
	return v.Kind() == reflect.Struct && v.Type() != durationType
}

// setScalar sets the scalar leaf v from its text. The error is the
// problem's message; it never contains the text of a secret, as secrets
// are strings and always parse.
func setScalar(v reflect.Value, s string) error {
	if v.Kind() == reflect.Pointer {
		// A pointer setting tells "absent" (nil, for the default) from
		// the zero value, e.g. false for a setting defaulting to true.
		p := reflect.New(v.Type().Elem())
		if err := setScalar(p.Elem(), s); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	if v.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("must be a duration such as 30s or 5m, got %q", s)
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("must be true or false, got %q", s)
		}
		v.SetBool(b)
	case reflect.Int:
		n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 0)
		if err != nil {
			return fmt.Errorf("must be an integer, got %q", s)
		}
		v.SetInt(n)
	default:
		return fmt.Errorf("must be a %s", kindName(v))
	}
	return nil
}

// kindName says what a setting must be, for messages.
func kindName(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		return kindName(reflect.New(v.Type().Elem()).Elem())
	}
	switch {
	case isStruct(v):
		return "mapping of keys"
	case v.Kind() == reflect.Slice:
		return "list"
	case v.Kind() == reflect.Map:
		return "mapping"
	case v.Type() == durationType:
		return "duration"
	case v.Kind() == reflect.Bool:
		return "boolean"
	case v.Kind() == reflect.Int:
		return "integer"
	default:
		return "string"
	}
}

// suggest returns a "; did you mean …?" hint for the unknown key at the
// path prefix+key of the configuration type root: the same key under
// another parent, or a key of the same level within two edits.
func suggest(root reflect.Type, prefix, key string, level []string) string {
	for _, p := range leafPaths(root) {
		if p != prefix+key && (p == key || strings.HasSuffix(p, "."+key)) {
			return fmt.Sprintf("; did you mean %s?", p)
		}
	}
	if best := typo.Closest(key, level, 2); best != "" {
		return fmt.Sprintf("; did you mean %s?", best)
	}
	return ""
}
