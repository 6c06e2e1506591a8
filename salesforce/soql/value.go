package soql

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a [Value].
type Kind int

// The kinds of values. The zero Value has KindNull.
const (
	KindNull Kind = iota
	KindString
	KindNumber
	KindBool
	KindDate
	KindDateTime
)

// String returns the kind's name, such as "string" or "dateTime".
func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindBool:
		return "boolean"
	case KindDate:
		return "date"
	case KindDateTime:
		return "dateTime"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is a field value of a record or a literal of a query: null, a
// string, a number, a boolean, a date or a datetime. The zero Value is null.
// Values are comparable with == and safe to copy.
type Value struct {
	kind Kind
	str  string
	num  float64
	t    time.Time // UTC; midnight UTC of the calendar day for dates
}

// Null returns the null value.
func Null() Value { return Value{} }

// String returns a text value (also used for ids, picklists and other
// text-like fields).
func String(s string) Value { return Value{kind: KindString, str: s} }

// Number returns a numeric value.
func Number(f float64) Value { return Value{kind: KindNumber, num: f} }

// Bool returns a boolean value.
func Bool(b bool) Value {
	v := Value{kind: KindBool}
	if b {
		v.num = 1
	}
	return v
}

// Date returns the date value of t's calendar day in t's location.
func Date(t time.Time) Value {
	y, m, d := t.Date()
	return Value{kind: KindDate, t: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// DateTime returns the datetime value of the instant t.
func DateTime(t time.Time) Value {
	return Value{kind: KindDateTime, t: t.UTC()}
}

// Kind returns v's kind.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.kind == KindNull }

// Str returns the text of a string value, or "" for other kinds.
func (v Value) Str() string { return v.str }

// Num returns the number of a numeric value, or 0 for other kinds.
func (v Value) Num() float64 {
	if v.kind != KindNumber {
		return 0
	}
	return v.num
}

// Bool returns the boolean of a boolean value, or false for other kinds.
func (v Value) Bool() bool { return v.kind == KindBool && v.num != 0 }

// Time returns the instant of a datetime value (in UTC), midnight UTC of
// the day of a date value, or the zero time for other kinds.
func (v Value) Time() time.Time { return v.t }

// String returns v as a SOQL literal: 'quoted' text, a number, true, false,
// null, 2024-01-15 or 2024-01-15T10:30:00Z.
func (v Value) String() string {
	switch v.kind {
	case KindString:
		return Quote(v.str)
	case KindNumber:
		return strconv.FormatFloat(v.num, 'f', -1, 64)
	case KindBool:
		return strconv.FormatBool(v.Bool())
	case KindDate:
		return FormatDate(v.t)
	case KindDateTime:
		return FormatDateTime(v.t)
	}
	return "null"
}

// GoString returns v in Go-like syntax, for test failure messages.
func (v Value) GoString() string {
	return fmt.Sprintf("soql.Value(%s %s)", v.kind, v)
}

// Quote returns s as a SOQL string literal: in single quotes, with
// backslash, quotes, newline, carriage return, tab, backspace and form feed
// escaped. In a LIKE pattern the result's % and _ are wildcards; use
// [QuoteLike] to match them literally.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// QuoteLike returns s as a SOQL string literal for a LIKE pattern that
// matches s exactly: [Quote] of [LikeEscape] of s. For a prefix match,
// quote LikeEscape(prefix)+"%" instead.
func QuoteLike(s string) string { return Quote(LikeEscape(s)) }

// LikeEscape returns s with % and _ preceded by a backslash, so that in a
// LIKE pattern they match themselves; a backslash in s is left alone.
func LikeEscape(s string) string {
	r := strings.NewReplacer("%", `\%`, "_", `\_`)
	return r.Replace(s)
}

// FormatDate returns t's calendar day as a SOQL date literal, 2024-01-15.
func FormatDate(t time.Time) string { return t.Format(time.DateOnly) }

// FormatDateTime returns the instant t as a SOQL datetime literal in UTC,
// 2024-01-15T10:30:00Z, with fractional seconds only when t has them.
func FormatDateTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999999999Z07:00")
}
