package svcconfig

import (
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"
)

// redactedText is what a secret prints as.
const redactedText = "[REDACTED]"

// Secret is a credential: a password, client secret or access token. It
// prints as "[REDACTED]" with every fmt verb, in log/slog and in JSON and
// text encoders, so that a Secret inside a struct cannot leak through
// logs or errors. Convert it with string(s) where the value is needed.
type Secret string

// String returns "[REDACTED]".
func (Secret) String() string { return redactedText }

// GoString returns `svcconfig.Secret("[REDACTED]")`.
func (Secret) GoString() string { return `svcconfig.Secret("` + redactedText + `")` }

// Format writes "[REDACTED]" whatever the verb.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(s.GoString()))
		return
	}
	_, _ = f.Write([]byte(redactedText))
}

// LogValue returns "[REDACTED]" for log/slog.
func (Secret) LogValue() slog.Value { return slog.StringValue(redactedText) }

// MarshalJSON returns "[REDACTED]" as a JSON string.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redactedText + `"`), nil }

// MarshalText returns "[REDACTED]".
func (Secret) MarshalText() ([]byte, error) { return []byte(redactedText), nil }

// URL is a connection string that may hold a password: a URL such as
// postgres://user:password@host/db or redis://:password@host:6379/0, or
// PostgreSQL's keyword=value form. It prints, with every fmt verb, in
// log/slog and in JSON and text encoders, as [URL.Redacted]. Convert it
// with string(u) to connect.
type URL string

// Redacted returns u with its password, if any, replaced by xxxxx,
// whether in the user information, a password or sslpassword query
// parameter, or a keyword=value setting; a string that does not parse as
// a URL prints as "[REDACTED]" whole.
func (u URL) Redacted() string {
	s := string(u)
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "://") {
		return kvPassword.ReplaceAllString(s, "${1}xxxxx")
	}
	p, err := url.Parse(s)
	if err != nil {
		return redactedText
	}
	q := p.Query()
	masked := false
	for k := range q {
		if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
			q.Set(k, "xxxxx")
			masked = true
		}
	}
	if masked {
		p.RawQuery = q.Encode()
	}
	return p.Redacted()
}

// kvPassword matches the password settings of a keyword=value string.
var kvPassword = regexp.MustCompile(`(?i)((?:^|\s)(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)

// String returns [URL.Redacted].
func (u URL) String() string { return u.Redacted() }

// GoString returns [URL.Redacted], quoted.
func (u URL) GoString() string { return fmt.Sprintf("svcconfig.URL(%q)", u.Redacted()) }

// Format writes [URL.Redacted] whatever the verb.
func (u URL) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(u.GoString()))
		return
	}
	_, _ = f.Write([]byte(u.Redacted()))
}

// LogValue returns [URL.Redacted] for log/slog.
func (u URL) LogValue() slog.Value { return slog.StringValue(u.Redacted()) }

// MarshalText returns [URL.Redacted], for JSON and other encoders.
func (u URL) MarshalText() ([]byte, error) { return []byte(u.Redacted()), nil }

// Format returns every setting of the struct dst points to (or of the
// struct dst is) as "key.path=value" pairs separated by spaces, in
// declaration order: strings quoted, durations as 1m30s, a set [Secret]
// as [REDACTED] and a [URL] without its password. A service's
// Config.String wraps it.
func Format(dst any) string {
	var b strings.Builder
	first := true
	walk(structOf(dst), "", func(path string, v reflect.Value, _ reflect.StructField) {
		if !first {
			b.WriteByte(' ')
		}
		first = false
		b.WriteString(path)
		b.WriteByte('=')
		b.WriteString(display(v))
	})
	return b.String()
}

// LogValue returns the settings of the struct dst points to (or of the
// struct dst is) as nested log/slog groups, redacted as by [Format]. A
// service's Config.LogValue returns it.
func LogValue(dst any) slog.Value { return groupValue(structOf(dst)) }

// structOf returns the struct dst is or points to.
func structOf(dst any) reflect.Value {
	v := reflect.ValueOf(dst)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		panic(fmt.Sprintf("svcconfig: want a struct or a pointer to one, got %T", dst))
	}
	return v
}

func groupValue(v reflect.Value) slog.Value {
	var attrs []slog.Attr
	for _, s := range settings(v) {
		if isStruct(s.v) {
			attrs = append(attrs, slog.Attr{Key: s.name, Value: groupValue(s.v)})
			continue
		}
		attrs = append(attrs, slog.String(s.name, display(s.v)))
	}
	return slog.GroupValue(attrs...)
}

// display formats a leaf value; secrets show only whether they are set.
func display(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "null"
		}
		return display(v.Elem())
	}
	switch v.Type() {
	case secretType:
		if v.String() == "" {
			return `""`
		}
		return redactedText
	case urlType:
		return fmt.Sprintf("%q", URL(v.String()).Redacted())
	case durationType:
		return time.Duration(v.Int()).String()
	}
	if st, ok := v.Interface().(fmt.Stringer); ok && v.Kind() == reflect.String {
		// A secret type of another package, such as oauth.Secret, redacts
		// itself in String; reflect's String would not.
		return fmt.Sprintf("%q", st.String())
	}
	switch v.Kind() {
	case reflect.String:
		return fmt.Sprintf("%q", v.String())
	case reflect.Slice:
		return fmt.Sprintf("%q", v.Interface())
	default:
		return fmt.Sprint(v.Interface())
	}
}
