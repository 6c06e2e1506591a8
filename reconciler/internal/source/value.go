package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// ErrBadValue marks a field value that its mapped column type cannot
// take.
var ErrBadValue = errors.New("value does not fit the mapped type")

// Value converts a field value as the REST API (JSON: string,
// json.Number, bool, nil) or Bulk API 2.0 (CSV: every value a string,
// empty for null) returns it into the envelope value that column type t
// takes, as the producer types change-event values.
func Value(t mapping.Type, raw any) (envelope.Value, error) {
	var s string
	switch x := raw.(type) {
	case nil:
		return envelope.NullValue(), nil
	case bool:
		if t.Kind == mapping.KindBoolean {
			return envelope.BoolValue(x), nil
		}
		s = strconv.FormatBool(x)
	case json.Number:
		s = x.String()
	case string:
		s = x
	default:
		b, err := json.Marshal(x)
		if err != nil || t.Kind != mapping.KindJSONB {
			return envelope.Value{}, fmt.Errorf("%w: a %T for %s", ErrBadValue, raw, t)
		}
		return envelope.StringValue(string(b)), nil
	}
	v, err := fromText(t, s)
	if err != nil {
		return envelope.Value{}, fmt.Errorf("%w: %q for %s: %w", ErrBadValue, s, t, err)
	}
	return v, nil
}

// fromText parses s, a value in Salesforce's text form, for type t.
func fromText(t mapping.Type, s string) (envelope.Value, error) {
	switch t.Kind {
	case mapping.KindText, mapping.KindVarchar, mapping.KindUUID, mapping.KindJSONB:
		return envelope.StringValue(s), nil
	}
	if s == "" { // Bulk API 2.0 writes null as an empty field
		return envelope.NullValue(), nil
	}
	switch t.Kind {
	case mapping.KindBoolean:
		b, err := strconv.ParseBool(s)
		return envelope.BoolValue(b), err
	case mapping.KindSmallint, mapping.KindInteger:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f != float64(int32(f)) {
			return envelope.Value{}, fmt.Errorf("not a 32-bit integer")
		}
		return envelope.IntValue(int32(f)), nil
	case mapping.KindBigint:
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return envelope.LongValue(i), nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f != float64(int64(f)) {
			return envelope.Value{}, fmt.Errorf("not a 64-bit integer")
		}
		return envelope.LongValue(int64(f)), nil
	case mapping.KindReal, mapping.KindDoublePrecision:
		f, err := strconv.ParseFloat(s, 64)
		return envelope.DoubleValue(f), err
	case mapping.KindNumeric:
		d, err := envelope.ParseDecimal(s)
		if err != nil {
			// 1.0E7 and the like: through a double, as the producer does.
			f, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil {
				return envelope.Value{}, err
			}
			d, err = envelope.ParseDecimal(strconv.FormatFloat(f, 'f', -1, 64))
		}
		return envelope.DecimalValue(d), err
	case mapping.KindDate:
		d, err := envelope.ParseDate(s)
		return envelope.DateValue(d), err
	case mapping.KindTimestamptz:
		ts, err := parseDateTime(s)
		return envelope.DateTimeValue(ts), err
	case mapping.KindTime:
		ts, err := time.Parse("15:04:05.000", strings.TrimSuffix(s, "Z"))
		if err != nil {
			return envelope.Value{}, err
		}
		return envelope.TimeValue(ts.Sub(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC))), nil
	case mapping.KindBytea:
		return envelope.BytesValue([]byte(s)), nil
	}
	return envelope.Value{}, fmt.Errorf("unsupported column type %s", t)
}

// parseDateTime parses Salesforce's datetime forms: 2024-01-02T03:04:05.000+0000
// (REST), 2024-01-02T03:04:05.000Z (Bulk), and RFC 3339.
func parseDateTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05.000Z", time.RFC3339Nano} {
		if ts, err := time.Parse(layout, s); err == nil {
			return ts.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a datetime")
}
