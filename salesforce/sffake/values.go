package sffake

import (
	"fmt"
	"math"
	"time"

	"github.com/linkedin/goavro/v2"
)

// normalize checks that v suits a field of type t and returns it in the
// form records hold: string, float64, int32, bool, time.Time (UTC, whole
// days for dates, whole milliseconds for date-times) or time.Duration
// (whole milliseconds). nil stays nil.
func normalize(t FieldType, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func() error { return fmt.Errorf("%w: %T for a %v field", ErrInvalidValue, v, t) }
	switch t {
	case TypeDouble, TypeCurrency, TypePercent:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		case int:
			return float64(x), nil
		case int32:
			return float64(x), nil
		case int64:
			return float64(x), nil
		}
		return nil, bad()
	case TypeInt:
		var n int64
		switch x := v.(type) {
		case int:
			n = int64(x)
		case int32:
			n = int64(x)
		case int64:
			n = x
		default:
			return nil, bad()
		}
		if n < math.MinInt32 || n > math.MaxInt32 {
			return nil, fmt.Errorf("%w: %d out of int32 range", ErrInvalidValue, n)
		}
		return int32(n), nil
	case TypeBoolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, bad()
	case TypeDate:
		if tm, ok := v.(time.Time); ok {
			y, m, d := tm.Date()
			day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
			// Avro's date is an int of days since the epoch.
			if days := day.Unix() / 86400; days < math.MinInt32 || days > math.MaxInt32 {
				return nil, fmt.Errorf("%w: date %d-%02d-%02d out of range", ErrInvalidValue, y, m, d)
			}
			return day, nil
		}
		return nil, bad()
	case TypeDateTime:
		if tm, ok := v.(time.Time); ok {
			// Avro's date-time is a long of epoch milliseconds.
			if sec := tm.Unix(); sec < math.MinInt64/1000 || sec >= math.MaxInt64/1000 {
				return nil, fmt.Errorf("%w: date-time in year %d out of range", ErrInvalidValue, tm.Year())
			}
			return tm.UTC().Truncate(time.Millisecond), nil
		}
		return nil, bad()
	case TypeTime:
		if d, ok := v.(time.Duration); ok {
			if d < 0 || d >= 24*time.Hour {
				return nil, fmt.Errorf("%w: time of day %v out of range", ErrInvalidValue, d)
			}
			return d.Truncate(time.Millisecond), nil
		}
		return nil, bad()
	default:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, bad()
	}
}

// avroUnion returns the non-null value v of a field of type t as goavro
// wants it inside the field's nullable union.
func avroUnion(t FieldType, v any) any {
	switch t {
	case TypeDouble, TypeCurrency, TypePercent:
		return goavro.Union("double", v)
	case TypeInt:
		return goavro.Union("int", v)
	case TypeBoolean:
		return goavro.Union("boolean", v)
	case TypeDate:
		return goavro.Union("int.date", v)
	case TypeDateTime, TypeTime:
		return goavro.Union("long", avroLong(v))
	default:
		return goavro.Union("string", v)
	}
}

// avroLong returns a date-time as epoch milliseconds and a time of day as
// milliseconds since midnight.
func avroLong(v any) int64 {
	switch x := v.(type) {
	case time.Time:
		return x.UnixMilli()
	case time.Duration:
		return x.Milliseconds()
	}
	return 0
}

// equalValues reports whether two normalized values are equal.
func equalValues(a, b any) bool {
	ta, ok := a.(time.Time)
	if tb, ok2 := b.(time.Time); ok && ok2 {
		return ta.Equal(tb)
	}
	return a == b
}
