package envelope

import (
	"fmt"
	"time"

	"github.com/linkedin/goavro/v2"
)

// Full names of the named records in the values union.
const (
	avroDate     = "dev.sfsync.Date"
	avroDateTime = "dev.sfsync.DateTime"
	avroTime     = "dev.sfsync.Time"
	avroDecimal  = "dev.sfsync.Decimal"
)

// toNative returns e in goavro's native form. Times are passed as epoch
// milliseconds, which goavro's timestamp-millis codec accepts as they are.
func toNative(e *Envelope) map[string]any {
	values := make(map[string]any, len(e.Values))
	for name, v := range e.Values {
		values[name] = valueToNative(v)
	}
	replayID := e.ReplayID
	if replayID == nil {
		replayID = []byte{}
	}
	return map[string]any{
		"eventId":         e.EventID,
		"orgId":           e.OrgID,
		"sourceChannel":   e.SourceChannel,
		"replayId":        replayID,
		"entity":          e.Entity,
		"recordId":        e.RecordID,
		"changeType":      e.ChangeType.String(),
		"commitTimestamp": e.CommitTimestamp.UnixMilli(),
		"commitNumber":    e.CommitNumber,
		"sequenceNumber":  e.SequenceNumber,
		"transactionKey":  e.TransactionKey,
		"commitUser":      e.CommitUser,
		"changedFields":   stringsToNative(e.ChangedFields),
		"nulledFields":    stringsToNative(e.NulledFields),
		"values":          values,
		"partitionKey":    e.PartitionKey,
		"producedAt":      e.ProducedAt.UnixMilli(),
	}
}

func stringsToNative(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// valueToNative returns v as a goavro union datum; v must have passed check.
func valueToNative(v Value) any {
	switch v.kind {
	case KindBool:
		b, _ := v.AsBool()
		return goavro.Union("boolean", b)
	case KindInt:
		i, _ := v.AsInt()
		return goavro.Union("int", i)
	case KindLong:
		i, _ := v.AsLong()
		return goavro.Union("long", i)
	case KindFloat:
		f, _ := v.AsFloat()
		return goavro.Union("float", f)
	case KindDouble:
		f, _ := v.AsDouble()
		return goavro.Union("double", f)
	case KindString:
		return goavro.Union("string", v.str)
	case KindBytes:
		return goavro.Union("bytes", v.str)
	case KindDate:
		d, _ := v.AsDate()
		return goavro.Union(avroDate, map[string]any{"days": int32(d.days())})
	case KindDateTime:
		return goavro.Union(avroDateTime, map[string]any{"millis": int64(v.num)})
	case KindTime:
		return goavro.Union(avroTime, map[string]any{"millis": int32(int64(v.num))})
	case KindDecimal:
		d, _ := v.AsDecimal()
		return goavro.Union(avroDecimal, map[string]any{
			"unscaled": twosComplement(d.Unscaled()),
			"scale":    d.scale,
		})
	}
	return nil
}

// fromNative converts a record decoded with any registered writer schema
// into an Envelope. Fields the writer lacks take their Go zero value, which
// is the default the current schema declares for them; fields the reader
// does not know are ignored. Byte slices are copied, as goavro returns
// slices of the frame.
func fromNative(native any) (*Envelope, error) {
	m, ok := native.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("record decoded as %T", native)
	}
	r := nativeReader{m: m}
	e := &Envelope{
		EventID:         r.string("eventId"),
		OrgID:           r.string("orgId"),
		SourceChannel:   r.string("sourceChannel"),
		ReplayID:        r.bytes("replayId"),
		Entity:          r.string("entity"),
		RecordID:        r.string("recordId"),
		ChangeType:      r.changeType("changeType"),
		CommitTimestamp: r.timestamp("commitTimestamp"),
		CommitNumber:    r.long("commitNumber"),
		SequenceNumber:  r.int("sequenceNumber"),
		TransactionKey:  r.string("transactionKey"),
		CommitUser:      r.string("commitUser"),
		ChangedFields:   r.strings("changedFields"),
		NulledFields:    r.strings("nulledFields"),
		Values:          r.values("values"),
		PartitionKey:    r.string("partitionKey"),
		ProducedAt:      r.timestamp("producedAt"),
	}
	if r.err != nil {
		return nil, r.err
	}
	return e, nil
}

// nativeReader reads fields of a decoded record, tolerating missing fields
// and the promotions Avro schema resolution allows (int to long), and
// keeps the first type error.
type nativeReader struct {
	m   map[string]any
	err error
}

func (r *nativeReader) fail(field string, got any, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("field %s: decoded %T, want %s", field, got, want)
	}
}

func (r *nativeReader) string(field string) string {
	v, ok := r.m[field]
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		r.fail(field, v, "string")
	}
	return s
}

func (r *nativeReader) bytes(field string) []byte {
	v, ok := r.m[field]
	if !ok {
		return nil
	}
	b, ok := v.([]byte)
	if !ok {
		r.fail(field, v, "bytes")
		return nil
	}
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

func (r *nativeReader) long(field string) int64 {
	switch v := r.m[field].(type) {
	case nil:
		return 0
	case int64:
		return v
	case int32:
		return int64(v)
	default:
		r.fail(field, v, "long")
		return 0
	}
}

func (r *nativeReader) int(field string) int32 {
	switch v := r.m[field].(type) {
	case nil:
		return 0
	case int32:
		return v
	default:
		r.fail(field, v, "int")
		return 0
	}
}

func (r *nativeReader) timestamp(field string) time.Time {
	switch v := r.m[field].(type) {
	case nil:
		return time.Time{}
	case time.Time:
		return v.UTC()
	case int64:
		return time.UnixMilli(v).UTC()
	default:
		r.fail(field, v, "timestamp-millis")
		return time.Time{}
	}
}

func (r *nativeReader) changeType(field string) ChangeType {
	v, ok := r.m[field]
	if !ok {
		return 0
	}
	s, ok := v.(string)
	if !ok {
		r.fail(field, v, "enum symbol")
		return 0
	}
	t, err := ParseChangeType(s)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("field %s: %w", field, err)
	}
	return t
}

func (r *nativeReader) strings(field string) []string {
	v, ok := r.m[field]
	if !ok {
		return nil
	}
	items, ok := v.([]any)
	if !ok {
		r.fail(field, v, "array of string")
		return nil
	}
	if len(items) == 0 {
		return nil
	}
	out := make([]string, len(items))
	for i, item := range items {
		s, ok := item.(string)
		if !ok {
			r.fail(field, item, "string item")
			return nil
		}
		out[i] = s
	}
	return out
}

func (r *nativeReader) values(field string) map[string]Value {
	v, ok := r.m[field]
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		r.fail(field, v, "map")
		return nil
	}
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]Value, len(m))
	for name, item := range m {
		val, err := valueFromNative(item)
		if err != nil {
			if r.err == nil {
				r.err = fmt.Errorf("field %s[%q]: %w", field, name, err)
			}
			return nil
		}
		out[name] = val
	}
	return out
}

// valueFromNative converts one decoded member of the values union.
func valueFromNative(native any) (Value, error) {
	if native == nil {
		return Value{}, nil
	}
	union, ok := native.(map[string]any)
	if !ok || len(union) != 1 {
		return Value{}, fmt.Errorf("union decoded as %T", native)
	}
	for branch, datum := range union {
		switch branch {
		case "boolean":
			if b, ok := datum.(bool); ok {
				return BoolValue(b), nil
			}
		case "int":
			if i, ok := datum.(int32); ok {
				return IntValue(i), nil
			}
		case "long":
			if i, ok := datum.(int64); ok {
				return LongValue(i), nil
			}
		case "float":
			if f, ok := datum.(float32); ok {
				return FloatValue(f), nil
			}
		case "double":
			if f, ok := datum.(float64); ok {
				return DoubleValue(f), nil
			}
		case "string":
			if s, ok := datum.(string); ok {
				return StringValue(s), nil
			}
		case "bytes":
			if b, ok := datum.([]byte); ok {
				return BytesValue(b), nil
			}
		case avroDate:
			switch d := recordField(datum, "days").(type) {
			case time.Time:
				return DateValue(DateOf(d.UTC())), nil
			case int32:
				return DateValue(dateFromDays(int64(d))), nil
			}
		case avroDateTime:
			switch t := recordField(datum, "millis").(type) {
			case time.Time:
				return Value{kind: KindDateTime, num: uint64(t.UnixMilli())}, nil
			case int64:
				return Value{kind: KindDateTime, num: uint64(t)}, nil
			}
		case avroTime:
			switch t := recordField(datum, "millis").(type) {
			case time.Duration:
				return Value{kind: KindTime, num: uint64(t.Milliseconds())}, nil
			case int32:
				return Value{kind: KindTime, num: uint64(int64(t))}, nil
			}
		case avroDecimal:
			unscaled, ok1 := recordField(datum, "unscaled").([]byte)
			scale, ok2 := recordField(datum, "scale").(int32)
			if ok1 && ok2 {
				return DecimalValue(NewDecimal(fromTwosComplement(unscaled), scale)), nil
			}
		default:
			return Value{}, fmt.Errorf("unknown union branch %s", branch)
		}
		return Value{}, fmt.Errorf("union branch %s decoded as %T", branch, datum)
	}
	return Value{}, nil // not reached: the union has one entry
}

// recordField returns a field of a decoded record, or nil.
func recordField(datum any, name string) any {
	m, _ := datum.(map[string]any)
	return m[name]
}
