package normalize

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// convert turns a goavro native value into the envelope value that field
// f's column type needs. Salesforce sends Number, Currency and Percent as
// doubles: a numeric column gets the double's shortest decimal form, which
// is the value Salesforce stored for any field of up to 15 significant
// digits. DateTimes arrive as epoch milliseconds (a plain long) or, under
// a timestamp-millis logical type, as time.Time; Dates as days (int) or,
// under the date logical type, as time.Time.
func convert(f *mapping.Field, raw any) (envelope.Value, error) {
	v, err := convertKind(f.Type.Kind, raw)
	if err != nil {
		return envelope.Value{}, fmt.Errorf("field %s (%s): %w: %w", f.Name, f.Type, ErrBadValue, err)
	}
	return v, nil
}

func convertKind(kind mapping.Kind, raw any) (envelope.Value, error) {
	switch kind {
	case mapping.KindText, mapping.KindVarchar, mapping.KindUUID:
		switch x := raw.(type) {
		case string:
			return envelope.StringValue(x), nil
		case bool, int32, int64, float32, float64:
			return envelope.StringValue(fmt.Sprint(x)), nil
		}
	case mapping.KindJSONB:
		if s, ok := raw.(string); ok && json.Valid([]byte(s)) {
			return envelope.StringValue(s), nil
		}
		b, err := json.Marshal(raw)
		if err != nil {
			return envelope.Value{}, err
		}
		return envelope.StringValue(string(b)), nil
	case mapping.KindBoolean:
		if b, ok := raw.(bool); ok {
			return envelope.BoolValue(b), nil
		}
	case mapping.KindSmallint, mapping.KindInteger:
		if i, ok := integral(raw); ok && i >= math.MinInt32 && i <= math.MaxInt32 {
			return envelope.IntValue(int32(i)), nil
		}
	case mapping.KindBigint:
		if i, ok := integral(raw); ok {
			return envelope.LongValue(i), nil
		}
	case mapping.KindReal, mapping.KindDoublePrecision:
		switch x := raw.(type) {
		case float64:
			return envelope.DoubleValue(x), nil
		case float32:
			return envelope.DoubleValue(float64(x)), nil
		case int32:
			return envelope.DoubleValue(float64(x)), nil
		case int64:
			return envelope.DoubleValue(float64(x)), nil
		}
	case mapping.KindNumeric:
		var s string
		switch x := raw.(type) {
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return envelope.Value{}, fmt.Errorf("%v is not a number numeric can hold", x)
			}
			s = strconv.FormatFloat(x, 'f', -1, 64)
		case float32:
			s = strconv.FormatFloat(float64(x), 'f', -1, 32)
		case int32, int64:
			s = fmt.Sprint(x)
		case string:
			s = x
		}
		if s != "" {
			d, err := envelope.ParseDecimal(s)
			if err != nil {
				return envelope.Value{}, err
			}
			return envelope.DecimalValue(d), nil
		}
	case mapping.KindDate:
		switch x := raw.(type) {
		case time.Time:
			return envelope.DateValue(envelope.DateOf(x.UTC())), nil
		case int32:
			return envelope.DateValue(envelope.DateOf(time.Unix(0, 0).UTC().AddDate(0, 0, int(x)))), nil
		}
	case mapping.KindTimestamptz:
		switch x := raw.(type) {
		case time.Time:
			return envelope.DateTimeValue(x), nil
		case int64:
			return envelope.DateTimeValue(time.UnixMilli(x).UTC()), nil
		}
	case mapping.KindTime:
		switch x := raw.(type) {
		case time.Duration:
			return envelope.TimeValue(x), nil
		case int32:
			return envelope.TimeValue(time.Duration(x) * time.Millisecond), nil
		case int64:
			return envelope.TimeValue(time.Duration(x) * time.Millisecond), nil
		}
	case mapping.KindBytea:
		switch x := raw.(type) {
		case []byte:
			return envelope.BytesValue(x), nil
		case string:
			return envelope.BytesValue([]byte(x)), nil
		}
	}
	return envelope.Value{}, fmt.Errorf("cannot store %T %v", raw, raw)
}

// integral returns raw as an int64 when it is an integer, or a double
// holding a whole number (Salesforce sends Number fields with scale 0 as
// doubles).
func integral(raw any) (int64, bool) {
	switch x := raw.(type) {
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		if x == math.Trunc(x) && x >= math.MinInt64 && x < math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}
