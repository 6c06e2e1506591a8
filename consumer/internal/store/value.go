package store

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// ErrBadValue marks a value that its column cannot hold: a poison
// envelope, not a transient failure.
var ErrBadValue = errors.New("value does not fit its column")

// text renders v in PostgreSQL's text input format for a column of type
// t; nil for NULL. Values travel to PostgreSQL as text and are cast in
// SQL, so one statement handles every column type.
func text(v envelope.Value, t mapping.Type) (*string, error) {
	if v.IsNull() {
		return nil, nil
	}
	s, ok := "", false
	switch t.Kind {
	case mapping.KindText, mapping.KindJSONB, mapping.KindUUID:
		s, ok = v.AsString()
	case mapping.KindVarchar:
		if s, ok = v.AsString(); ok && utf8.RuneCountInString(s) > t.Length {
			return nil, fmt.Errorf("%w: %d characters for %s", ErrBadValue, utf8.RuneCountInString(s), t)
		}
	case mapping.KindBoolean:
		var b bool
		if b, ok = v.AsBool(); ok {
			s = strconv.FormatBool(b)
		}
	case mapping.KindSmallint, mapping.KindInteger, mapping.KindBigint:
		var n int64
		if i, isInt := v.AsInt(); isInt {
			n, ok = int64(i), true
		} else {
			n, ok = v.AsLong()
		}
		if ok && t.Kind == mapping.KindSmallint && (n < -32768 || n > 32767) {
			return nil, fmt.Errorf("%w: %d is out of range for smallint", ErrBadValue, n)
		}
		s = strconv.FormatInt(n, 10)
	case mapping.KindReal, mapping.KindDoublePrecision:
		var f float64
		if f, ok = v.AsDouble(); !ok {
			var f32 float32
			f32, ok = v.AsFloat()
			f = float64(f32)
		}
		s = strconv.FormatFloat(f, 'g', -1, 64)
	case mapping.KindNumeric:
		if d, isDec := v.AsDecimal(); isDec {
			s, ok = d.String(), true
		} else if f, isDouble := v.AsDouble(); isDouble {
			s, ok = strconv.FormatFloat(f, 'f', -1, 64), true
		}
	case mapping.KindDate:
		var d envelope.Date
		if d, ok = v.AsDate(); ok {
			s = d.String()
		}
	case mapping.KindTimestamptz:
		var ts time.Time
		if ts, ok = v.AsDateTime(); ok {
			s = ts.UTC().Format("2006-01-02T15:04:05.000Z")
		}
	case mapping.KindTime:
		var d time.Duration
		if d, ok = v.AsTime(); ok {
			s = time.Time{}.Add(d).Format("15:04:05.000")
		}
	case mapping.KindBytea:
		var b []byte
		if b, ok = v.AsBytes(); ok {
			s = `\x` + hex.EncodeToString(b)
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w: a %s value for a %s column", ErrBadValue, v.Kind(), t)
	}
	return &s, nil
}
