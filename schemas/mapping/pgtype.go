package mapping

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is a PostgreSQL column type a mapping may use. The zero Kind is
// invalid.
type Kind uint8

// The supported PostgreSQL types. The list is short on purpose: each one
// has a known conversion from Salesforce values.
const (
	KindText            Kind = iota + 1 // text
	KindVarchar                         // varchar(n)
	KindBoolean                         // boolean
	KindSmallint                        // smallint
	KindInteger                         // integer
	KindBigint                          // bigint
	KindReal                            // real
	KindDoublePrecision                 // double precision
	KindNumeric                         // numeric, numeric(p), numeric(p,s)
	KindDate                            // date
	KindTimestamptz                     // timestamptz
	KindTime                            // time
	KindBytea                           // bytea
	KindJSONB                           // jsonb
	KindUUID                            // uuid
)

var kindSQL = [...]string{
	KindText:            "text",
	KindVarchar:         "varchar",
	KindBoolean:         "boolean",
	KindSmallint:        "smallint",
	KindInteger:         "integer",
	KindBigint:          "bigint",
	KindReal:            "real",
	KindDoublePrecision: "double precision",
	KindNumeric:         "numeric",
	KindDate:            "date",
	KindTimestamptz:     "timestamptz",
	KindTime:            "time",
	KindBytea:           "bytea",
	KindJSONB:           "jsonb",
	KindUUID:            "uuid",
}

// String returns the SQL name of k without parameters, such as "varchar".
func (k Kind) String() string {
	if k >= KindText && int(k) < len(kindSQL) {
		return kindSQL[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

func kindByName(name string) (Kind, bool) {
	for k := KindText; int(k) < len(kindSQL); k++ {
		if kindSQL[k] == name {
			return k, true
		}
	}
	return 0, false
}

// typeHints suggest a supported type for common spellings that are not.
var typeHints = map[string]string{
	"int":                         "integer",
	"int2":                        "smallint",
	"int4":                        "integer",
	"int8":                        "bigint",
	"bool":                        "boolean",
	"float":                       "double precision",
	"float4":                      "real",
	"float8":                      "double precision",
	"double":                      "double precision",
	"decimal":                     "numeric(p,s)",
	"string":                      "text",
	"character varying":           "varchar(n)",
	"char":                        "varchar(n)",
	"character":                   "varchar(n)",
	"json":                        "jsonb",
	"timestamp":                   "timestamptz; a timestamp without time zone loses the instant",
	"timestamp without time zone": "timestamptz; a timestamp without time zone loses the instant",
	"timestamp with time zone":    "timestamptz",
	"datetime":                    "timestamptz",
	"timetz":                      "time",
	"serial":                      "integer",
	"bigserial":                   "bigint",
}

const supportedTypes = "text, varchar(n), boolean, smallint, integer, bigint, real, double precision, numeric, numeric(p), numeric(p,s), date, timestamptz, time, bytea, jsonb, uuid"

// Limits of PostgreSQL type parameters.
const (
	MaxVarcharLength    = 10485760
	MaxNumericPrecision = 1000
)

// Type is a PostgreSQL column type with its parameters. Its zero value is
// invalid.
type Type struct {
	Kind Kind
	// Length is n of varchar(n); 0 for other kinds.
	Length int
	// Precision and Scale are p and s of numeric(p,s); both 0 for an
	// unconstrained numeric, and Scale 0 for numeric(p).
	Precision int
	Scale     int
}

// ParseType parses a column type of the supported list, case-insensitively
// and with free spacing around parameters: text, varchar(n) with n from 1 to
// 10485760, boolean, smallint, integer, bigint, real, double precision,
// numeric (unconstrained), numeric(p) and numeric(p,s) with p from 1 to 1000
// and s from 0 to p, date, timestamptz, time, bytea, jsonb, uuid.
func ParseType(s string) (Type, error) {
	text := strings.Join(strings.Fields(strings.ToLower(s)), " ")
	name, args, hasArgs := text, "", false
	if open := strings.IndexByte(text, '('); open >= 0 {
		if !strings.HasSuffix(text, ")") {
			return Type{}, fmt.Errorf("bad type %q: unbalanced parentheses", s)
		}
		name, args, hasArgs = strings.TrimSpace(text[:open]), text[open+1:len(text)-1], true
	}
	kind, ok := kindByName(name)
	if !ok {
		if hint, ok := typeHints[name]; ok {
			return Type{}, fmt.Errorf("unknown type %q (use %s)", s, hint)
		}
		return Type{}, fmt.Errorf("unknown type %q; supported: %s", s, supportedTypes)
	}
	var params []int
	if hasArgs {
		for _, a := range strings.Split(args, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(a))
			if err != nil {
				return Type{}, fmt.Errorf("bad type %q: parameter %q is not an integer", s, strings.TrimSpace(a))
			}
			params = append(params, n)
		}
	}
	t := Type{Kind: kind}
	switch kind {
	case KindVarchar:
		if len(params) != 1 {
			return Type{}, fmt.Errorf("bad type %q: varchar needs one length, as in varchar(255); use text for unlimited", s)
		}
		if params[0] < 1 || params[0] > MaxVarcharLength {
			return Type{}, fmt.Errorf("bad type %q: length must be 1 to %d", s, MaxVarcharLength)
		}
		t.Length = params[0]
	case KindNumeric:
		switch len(params) {
		case 0:
			if hasArgs {
				return Type{}, fmt.Errorf("bad type %q: want numeric, numeric(p) or numeric(p,s)", s)
			}
		case 1, 2:
			t.Precision = params[0]
			if len(params) == 2 {
				t.Scale = params[1]
			}
			if t.Precision < 1 || t.Precision > MaxNumericPrecision {
				return Type{}, fmt.Errorf("bad type %q: precision must be 1 to %d", s, MaxNumericPrecision)
			}
			if t.Scale < 0 || t.Scale > t.Precision {
				return Type{}, fmt.Errorf("bad type %q: scale must be 0 to the precision %d", s, t.Precision)
			}
		default:
			return Type{}, fmt.Errorf("bad type %q: want numeric, numeric(p) or numeric(p,s)", s)
		}
	default:
		if hasArgs {
			return Type{}, fmt.Errorf("bad type %q: %s takes no parameters", s, name)
		}
	}
	return t, nil
}

// String returns the type in canonical SQL, such as "varchar(18)",
// "numeric(18,2)" or "double precision".
func (t Type) String() string {
	switch t.Kind {
	case KindVarchar:
		return fmt.Sprintf("varchar(%d)", t.Length)
	case KindNumeric:
		if t.Precision == 0 {
			return "numeric"
		}
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
	}
	return t.Kind.String()
}
