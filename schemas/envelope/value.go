package envelope

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"
)

// Kind is the type of a [Value]. Each kind is one branch of the Avro union
// of the envelope's values map.
type Kind uint8

// The kinds of [Value]. KindNull is the zero value.
const (
	KindNull     Kind = iota // no value
	KindBool                 // Salesforce Checkbox
	KindInt                  // 32-bit integer
	KindLong                 // 64-bit integer
	KindFloat                // 32-bit float
	KindDouble               // 64-bit float: Salesforce Number, Currency, Percent as Pub/Sub sends them
	KindString               // text, picklists, ids
	KindBytes                // binary data
	KindDate                 // Salesforce Date: a [Date]
	KindDateTime             // Salesforce DateTime: a UTC instant with millisecond precision
	KindTime                 // Salesforce Time: time of day with millisecond precision
	KindDecimal              // an exact [Decimal]
)

var kindNames = [...]string{
	KindNull:     "null",
	KindBool:     "boolean",
	KindInt:      "int",
	KindLong:     "long",
	KindFloat:    "float",
	KindDouble:   "double",
	KindString:   "string",
	KindBytes:    "bytes",
	KindDate:     "date",
	KindDateTime: "datetime",
	KindTime:     "time",
	KindDecimal:  "decimal",
}

// String returns the name of k, such as "long" or "datetime".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Value is one typed field value: a kind and its payload. The zero Value is
// null. Build values with the XValue constructors and read them with the
// AsX accessors, which report whether the value has that kind. A Value is
// immutable and safe for concurrent use.
type Value struct {
	kind Kind
	// num holds booleans (0 or 1), integers, float bits, the packed date,
	// epoch milliseconds, milliseconds since midnight, or the decimal scale.
	num uint64
	// str holds strings and bytes (immutable, so that Value needs no copy).
	str string
	// dec holds the unscaled decimal; nil for zero.
	dec *big.Int
}

// NullValue returns the null value, the same as Value{}.
func NullValue() Value { return Value{} }

// BoolValue returns a boolean value.
func BoolValue(b bool) Value {
	v := Value{kind: KindBool}
	if b {
		v.num = 1
	}
	return v
}

// IntValue returns a 32-bit integer value.
func IntValue(i int32) Value { return Value{kind: KindInt, num: uint64(int64(i))} }

// LongValue returns a 64-bit integer value.
func LongValue(i int64) Value { return Value{kind: KindLong, num: uint64(i)} }

// FloatValue returns a 32-bit floating point value.
func FloatValue(f float32) Value { return Value{kind: KindFloat, num: uint64(math.Float32bits(f))} }

// DoubleValue returns a 64-bit floating point value.
func DoubleValue(f float64) Value { return Value{kind: KindDouble, num: math.Float64bits(f)} }

// StringValue returns a string value.
func StringValue(s string) Value { return Value{kind: KindString, str: s} }

// BytesValue returns a bytes value holding a copy of b.
func BytesValue(b []byte) Value { return Value{kind: KindBytes, str: string(b)} }

// DateValue returns a date value. An invalid d makes a value that
// [Envelope.Validate] rejects.
func DateValue(d Date) Value { return Value{kind: KindDate, num: packDate(d)} }

// DateTimeValue returns a date-time value of t truncated to the millisecond.
// The value is in UTC; t's location is not kept.
func DateTimeValue(t time.Time) Value { return Value{kind: KindDateTime, num: uint64(t.UnixMilli())} }

// TimeValue returns a time-of-day value, d after midnight truncated to the
// millisecond. A d outside [0, 24h) makes a value that [Envelope.Validate]
// rejects.
func TimeValue(d time.Duration) Value { return Value{kind: KindTime, num: uint64(d.Milliseconds())} }

// DecimalValue returns an exact decimal value.
func DecimalValue(d Decimal) Value {
	return Value{kind: KindDecimal, num: uint64(int64(d.scale)), dec: d.unscaled}
}

// Kind returns the kind of v.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.kind == KindNull }

// AsBool returns the boolean held by v and whether v is a boolean.
func (v Value) AsBool() (bool, bool) { return v.num == 1, v.kind == KindBool }

// AsInt returns the 32-bit integer held by v and whether v is an int.
func (v Value) AsInt() (int32, bool) {
	if v.kind != KindInt {
		return 0, false
	}
	return int32(int64(v.num)), true
}

// AsLong returns the 64-bit integer held by v and whether v is a long.
func (v Value) AsLong() (int64, bool) {
	if v.kind != KindLong {
		return 0, false
	}
	return int64(v.num), true
}

// AsFloat returns the 32-bit float held by v and whether v is a float.
func (v Value) AsFloat() (float32, bool) {
	if v.kind != KindFloat {
		return 0, false
	}
	return math.Float32frombits(uint32(v.num)), true
}

// AsDouble returns the 64-bit float held by v and whether v is a double.
func (v Value) AsDouble() (float64, bool) {
	if v.kind != KindDouble {
		return 0, false
	}
	return math.Float64frombits(v.num), true
}

// AsString returns the string held by v and whether v is a string.
func (v Value) AsString() (string, bool) {
	if v.kind != KindString {
		return "", false
	}
	return v.str, true
}

// AsBytes returns a copy of the bytes held by v and whether v is bytes. An
// empty bytes value returns an empty, non-nil slice.
func (v Value) AsBytes() ([]byte, bool) {
	if v.kind != KindBytes {
		return nil, false
	}
	return []byte(v.str), true
}

// AsDate returns the date held by v and whether v is a date.
func (v Value) AsDate() (Date, bool) {
	if v.kind != KindDate {
		return Date{}, false
	}
	return unpackDate(v.num), true
}

// AsDateTime returns the instant held by v, in UTC, and whether v is a
// date-time.
func (v Value) AsDateTime() (time.Time, bool) {
	if v.kind != KindDateTime {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(v.num)).UTC(), true
}

// AsTime returns the time of day held by v, as the duration since midnight,
// and whether v is a time.
func (v Value) AsTime() (time.Duration, bool) {
	if v.kind != KindTime {
		return 0, false
	}
	return time.Duration(int64(v.num)) * time.Millisecond, true
}

// AsDecimal returns the decimal held by v and whether v is a decimal.
func (v Value) AsDecimal() (Decimal, bool) {
	if v.kind != KindDecimal {
		return Decimal{}, false
	}
	return Decimal{unscaled: v.dec, scale: int32(int64(v.num))}, true
}

// Equal reports whether v and other have the same kind and payload. Floats
// compare by bits, so NaN equals NaN; decimals compare by unscaled value and
// scale, so 1.5 does not equal 1.50.
func (v Value) Equal(other Value) bool {
	if v.kind != other.kind || v.num != other.num || v.str != other.str {
		return false
	}
	if v.kind == KindDecimal {
		a, _ := v.AsDecimal()
		b, _ := other.AsDecimal()
		return a.Equal(b)
	}
	return true
}

// String returns v as a literal for logs and test failures: null, true,
// 42, 1.5, "text" (quoted), 0x0102 (bytes), 2024-02-29,
// 2024-02-29T13:45:00.123Z, 13:45:00.123, or -12.50 (decimal).
func (v Value) String() string {
	switch v.kind {
	case KindNull:
		return "null"
	case KindBool:
		b, _ := v.AsBool()
		return strconv.FormatBool(b)
	case KindInt:
		i, _ := v.AsInt()
		return strconv.FormatInt(int64(i), 10)
	case KindLong:
		i, _ := v.AsLong()
		return strconv.FormatInt(i, 10)
	case KindFloat:
		f, _ := v.AsFloat()
		return strconv.FormatFloat(float64(f), 'g', -1, 32)
	case KindDouble:
		f, _ := v.AsDouble()
		return strconv.FormatFloat(f, 'g', -1, 64)
	case KindString:
		return strconv.Quote(v.str)
	case KindBytes:
		return "0x" + hex.EncodeToString([]byte(v.str))
	case KindDate:
		d, _ := v.AsDate()
		return d.String()
	case KindDateTime:
		t, _ := v.AsDateTime()
		return t.Format("2006-01-02T15:04:05.000Z07:00")
	case KindTime:
		ms := int64(v.num)
		if ms < 0 || ms >= msPerDay {
			return fmt.Sprintf("time(%dms)", ms)
		}
		return time.UnixMilli(ms).UTC().Format("15:04:05.000")
	case KindDecimal:
		d, _ := v.AsDecimal()
		return d.String()
	}
	return v.kind.String()
}

const msPerDay = 24 * 60 * 60 * 1000

// check returns an error when v cannot be encoded: an invalid date, a time
// of day outside [0, 24h), or a decimal scale outside 0 to MaxDecimalScale.
func (v Value) check() error {
	switch v.kind {
	case KindDate:
		if d, _ := v.AsDate(); !d.IsValid() {
			return fmt.Errorf("invalid date %s", d)
		}
	case KindTime:
		if ms := int64(v.num); ms < 0 || ms >= msPerDay {
			return fmt.Errorf("time of day %dms outside [0, 24h)", ms)
		}
	case KindDecimal:
		if d, _ := v.AsDecimal(); !d.IsValid() {
			return fmt.Errorf("decimal scale %d outside 0 to %d", d.scale, MaxDecimalScale)
		}
	default:
		if v.kind > KindDecimal {
			return fmt.Errorf("unknown kind %d", uint8(v.kind))
		}
	}
	return nil
}

// packDate stores a date in 64 bits: year (as int32) above month and day. A
// component outside its field is replaced by one that is never valid.
func packDate(d Date) uint64 {
	year := int64(d.Year)
	if year < -maxDateYear-1 || year > maxDateYear+1 {
		year = maxDateYear + 1 // out of range, so invalid
	}
	month, day := uint64(d.Month), uint64(d.Day)
	if d.Month < 0 || d.Month > 0xff {
		month = 0
	}
	if d.Day < 0 || d.Day > 0xff {
		day = 0
	}
	return uint64(uint32(int32(year)))<<32 | month<<8 | day
}

func unpackDate(n uint64) Date {
	return Date{Year: int(int32(uint32(n >> 32))), Month: time.Month(n >> 8 & 0xff), Day: int(n & 0xff)}
}
