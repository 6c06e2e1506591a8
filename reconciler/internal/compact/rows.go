package compact

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/sfsync/sfsync/reconciler/internal/source"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// selectExpr returns the SQL that reads column f in a text form
// [fieldValue] parses, independent of the session's DateStyle and time
// zone.
func selectExpr(f *mapping.Field) string {
	col := pgx.Identifier{f.Column}.Sanitize()
	switch f.Type.Kind {
	case mapping.KindTimestamptz:
		return fmt.Sprintf(`to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`, col)
	case mapping.KindDate:
		return fmt.Sprintf(`to_char(%s, 'YYYY-MM-DD')`, col)
	case mapping.KindTime:
		return fmt.Sprintf(`to_char(DATE '2000-01-01' + %s, 'HH24:MI:SS.MS')`, col)
	case mapping.KindBytea:
		return fmt.Sprintf(`encode(%s, 'hex')`, col)
	}
	return col + "::text"
}

// fieldValue converts the text selectExpr read for f (nil for NULL) into
// the envelope value its column type takes.
func fieldValue(f *mapping.Field, s *string) (envelope.Value, error) {
	if s == nil {
		return envelope.NullValue(), nil
	}
	if f.Type.Kind == mapping.KindBytea {
		b, err := hex.DecodeString(*s)
		if err != nil {
			return envelope.Value{}, err
		}
		return envelope.BytesValue(b), nil
	}
	return source.Value(f.Type, *s)
}

// selectList returns the SELECT list of obj's mapped columns, in field
// order.
func selectList(obj *mapping.Object) string {
	exprs := make([]string, len(obj.Fields))
	for i, f := range obj.Fields {
		exprs[i] = selectExpr(f)
	}
	return strings.Join(exprs, ", ")
}
