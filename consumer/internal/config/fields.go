package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

var (
	secretType   = reflect.TypeFor[Secret]()
	urlType      = reflect.TypeFor[URL]()
	durationType = reflect.TypeFor[time.Duration]()
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

// walk calls fn with the path and value of every leaf setting of the
// struct v, in declaration order.
func walk(v reflect.Value, prefix string, fn func(path string, v reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		if name == "" {
			continue
		}
		f := v.Field(i)
		if f.Kind() == reflect.Struct && f.Type() != durationType {
			walk(f, prefix+name+".", fn)
			continue
		}
		fn(prefix+name, f)
	}
}

// field returns the struct field of v named by the key, or false.
func field(v reflect.Value, key string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		if yamlName(t.Field(i)) == key {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// keys returns the keys the struct type t accepts.
func keys(t reflect.Type) []string {
	var ks []string
	for i := range t.NumField() {
		if n := yamlName(t.Field(i)); n != "" {
			ks = append(ks, n)
		}
	}
	return ks
}

// leafPaths returns the path of every leaf setting of a Config.
func leafPaths() []string {
	var ps []string
	walk(reflect.ValueOf(&Config{}).Elem(), "", func(path string, _ reflect.Value) { ps = append(ps, path) })
	return ps
}

// isStruct reports whether v is a group of settings rather than a leaf.
func isStruct(v reflect.Value) bool {
	return v.Kind() == reflect.Struct && v.Type() != durationType
}

// setScalar sets the scalar leaf v from its text. The error is the
// problem's message; it never contains the text of a secret, as secrets
// are strings and always parse.
func setScalar(v reflect.Value, s string) error {
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
	switch {
	case isStruct(v):
		return "mapping of keys"
	case v.Kind() == reflect.Slice:
		return "list"
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

// suggest returns a " (did you mean …?)" hint for the unknown key at
// the path prefix+key: the same key under another parent, or a key of
// the same level within two edits.
func suggest(prefix, key string, level []string) string {
	for _, p := range leafPaths() {
		if p != prefix+key && (p == key || strings.HasSuffix(p, "."+key)) {
			return fmt.Sprintf("; did you mean %s?", p)
		}
	}
	best, bestD := "", 3
	for _, k := range level {
		if d := distance(strings.ToLower(key), k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %s?", best)
	}
	return ""
}

// distance is the Levenshtein distance of a and b, counting an adjacent
// swap as one edit.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range cur {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
