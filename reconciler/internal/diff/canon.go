package diff

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// The canonical text of a row is what both sides hash: the key and every
// mapped field but the key, in mapping order, each as a cell
// "<characters>:<text>" or "~" for NULL, where <text> is the value as
// PostgreSQL renders it with the expression of [cellSQL]:
//
//	text, varchar, uuid, jsonb, boolean, integers  the value's ::text
//	real, double precision                         ::text (shortest exact, extra_float_digits > 0)
//	numeric                                        trim_scale(v)::text: no trailing zeros
//	date                                           days since 1970-01-01
//	timestamptz, time                              microseconds since the epoch, since midnight
//	bytea                                          lower-case hex
//
// The length prefix makes the concatenation unambiguous. The row hash is
// the first 8 bytes of the md5 of the text, big-endian; a range's hash is
// the XOR of its rows' hashes with their count, so that order does not
// matter and both sides can aggregate as rows come.

// nullCell is the cell of a NULL value.
const nullCell = "~"

// cell returns the cell of a rendered value.
func cell(text string, ok bool) string {
	if !ok {
		return nullCell
	}
	return strconv.Itoa(utf8.RuneCountInString(text)) + ":" + text
}

// rowHash returns the hash of a canonical row text as PostgreSQL's
// ('x' || left(md5(text), 16))::bit(64)::bigint computes it.
func rowHash(text string) int64 {
	sum := md5.Sum([]byte(text))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// render returns the canonical text of v for a column of type t, and
// false for NULL.
func render(t mapping.Type, v envelope.Value) (string, bool) {
	if v.IsNull() {
		return "", false
	}
	switch t.Kind {
	case mapping.KindText, mapping.KindVarchar, mapping.KindJSONB:
		if s, ok := v.AsString(); ok {
			return s, true
		}
	case mapping.KindUUID:
		if s, ok := v.AsString(); ok {
			return strings.ToLower(s), true
		}
	case mapping.KindBoolean:
		if b, ok := v.AsBool(); ok {
			return strconv.FormatBool(b), true
		}
	case mapping.KindSmallint, mapping.KindInteger, mapping.KindBigint:
		if i, ok := asInt(v); ok {
			return strconv.FormatInt(i, 10), true
		}
	case mapping.KindReal:
		if f, ok := asFloat(v); ok {
			return pgFloat(float64(float32(f)), 32), true
		}
	case mapping.KindDoublePrecision:
		if f, ok := asFloat(v); ok {
			return pgFloat(f, 64), true
		}
	case mapping.KindNumeric:
		if r, ok := asRat(v); ok {
			return pgNumeric(r, t), true
		}
	case mapping.KindDate:
		if d, ok := v.AsDate(); ok {
			return strconv.FormatInt(d.In(time.UTC).Unix()/86400, 10), true
		}
	case mapping.KindTimestamptz:
		if ts, ok := v.AsDateTime(); ok {
			return strconv.FormatInt(ts.UnixMicro(), 10), true
		}
	case mapping.KindTime:
		if d, ok := v.AsTime(); ok {
			return strconv.FormatInt(d.Microseconds(), 10), true
		}
	case mapping.KindBytea:
		if b, ok := v.AsBytes(); ok {
			return hex.EncodeToString(b), true
		}
	}
	// A value of another kind than the column's: its literal, which
	// differs from what PostgreSQL holds and so shows as a difference.
	return "?" + v.String(), true
}

func asInt(v envelope.Value) (int64, bool) {
	if i, ok := v.AsInt(); ok {
		return int64(i), true
	}
	if i, ok := v.AsLong(); ok {
		return i, true
	}
	if f, ok := asFloat(v); ok && f == math.Trunc(f) {
		return int64(f), true
	}
	return 0, false
}

func asFloat(v envelope.Value) (float64, bool) {
	if f, ok := v.AsDouble(); ok {
		return f, true
	}
	if f, ok := v.AsFloat(); ok {
		return float64(f), true
	}
	if i, ok := v.AsInt(); ok {
		return float64(i), true
	}
	if i, ok := v.AsLong(); ok {
		return float64(i), true
	}
	if d, ok := v.AsDecimal(); ok {
		f, _ := d.Rat().Float64()
		return f, true
	}
	return 0, false
}

func asRat(v envelope.Value) (*big.Rat, bool) {
	if d, ok := v.AsDecimal(); ok {
		return d.Rat(), true
	}
	if i, ok := v.AsInt(); ok {
		return new(big.Rat).SetInt64(int64(i)), true
	}
	if i, ok := v.AsLong(); ok {
		return new(big.Rat).SetInt64(i), true
	}
	if f, ok := asFloat(v); ok && !math.IsInf(f, 0) && !math.IsNaN(f) {
		r, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'f', -1, 64))
		return r, ok
	}
	return nil, false
}

// pgFloat renders f as PostgreSQL 12+ renders a float8 (bits 64) or
// float4 (bits 32) with extra_float_digits > 0: the shortest exact
// digits, in exponent form when the decimal exponent is below -4 or at
// least 15 (float8) or 6 (float4).
func pgFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(f, 'e', -1, bits)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	limit := 15
	if bits == 32 {
		limit = 6
	}
	if exp < -4 || exp >= limit {
		return e // Go writes the exponent as PostgreSQL does: e+20, e-05
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// pgNumeric renders r as trim_scale(v)::text renders the value a column
// of type t holds: rounded half away from zero to the column's scale when
// it has a precision, without trailing zeros.
func pgNumeric(r *big.Rat, t mapping.Type) string {
	if t.Precision > 0 {
		scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Scale)), nil)
		x := new(big.Rat).Mul(r, new(big.Rat).SetInt(scale))
		num, den := x.Num(), x.Denom()
		q, m := new(big.Int).QuoRem(num, den, new(big.Int))
		if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(den) >= 0 {
			if num.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
		r = new(big.Rat).SetFrac(q, scale)
	}
	s := r.FloatString(decimalPlaces(r))
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// decimalPlaces returns how many decimals r needs to be written exactly;
// r comes from a decimal, so its denominator is 2^a·5^b.
func decimalPlaces(r *big.Rat) int {
	den := new(big.Int).Set(r.Denom())
	two, five, one := big.NewInt(2), big.NewInt(5), big.NewInt(1)
	m := new(big.Int)
	n := 0
	for den.Cmp(one) != 0 && n < 1000 {
		switch {
		case m.Mod(den, two).Sign() == 0:
			den.Quo(den, two)
		case m.Mod(den, five).Sign() == 0:
			den.Quo(den, five)
		default:
			return 1000 // not a decimal: as many places as numeric shows
		}
		n++
	}
	return n
}

// valueSQL returns the SQL expression rendering column col (quoted) of
// type t as [render] does.
func valueSQL(col string, t mapping.Type) string {
	switch t.Kind {
	case mapping.KindNumeric:
		return "trim_scale(" + col + ")::text"
	case mapping.KindDate:
		return "(" + col + " - DATE '1970-01-01')::text"
	case mapping.KindTimestamptz, mapping.KindTime:
		return "(extract(epoch FROM " + col + ") * 1000000)::bigint::text"
	case mapping.KindBytea:
		return "encode(" + col + ", 'hex')"
	}
	return col + "::text"
}

// cellSQL returns the SQL expression of the cell of column col.
func cellSQL(col string, t mapping.Type) string {
	v := valueSQL(col, t)
	return "coalesce(length(" + v + ")::text || ':' || " + v + ", '" + nullCell + "')"
}

// fold returns the order key of a record key: its ASCII letters in lower
// case, as lower(key COLLATE "C") gives, compared byte-wise. Salesforce
// compares ids ignoring case, and an 18-character id is unique ignoring
// case.
func fold(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// foldCompare compares a and b as fold(a) and fold(b) compare, without
// allocating.
func foldCompare(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// maxNameBytes is the length of PostgreSQL's name type, whose values are
// cut beyond it.
const maxNameBytes = 63

// table holds the SQL of one mapped object's table.
type table struct {
	obj    *mapping.Object
	name   string // quoted table
	key    string // quoted key column
	part   string // quoted partition key column, "" when it is the key
	fields []*mapping.Field
	// hash is the row hash expression; foldKey the order key expression.
	hash, foldKey string
	// bucketType is the type keys are bucketed as: name when every key
	// fits its 63 bytes, text otherwise.
	bucketType string
}

func newTable(obj *mapping.Object) *table {
	t := &table{
		obj:  obj,
		name: pgx.Identifier{obj.Table}.Sanitize(),
		key:  pgx.Identifier{obj.KeyField().Column}.Sanitize(),
	}
	if obj.PartitionKey != obj.Key {
		t.part = pgx.Identifier{obj.PartitionField().Column}.Sanitize()
	}
	cells := []string{cellSQL(t.key, obj.KeyField().Type)}
	for _, f := range obj.Fields {
		if f.Name == obj.Key {
			continue
		}
		t.fields = append(t.fields, f)
		cells = append(cells, cellSQL(pgx.Identifier{f.Column}.Sanitize(), f.Type))
	}
	t.hash = "('x' || left(md5(" + strings.Join(cells, " || ") + "), 16))::bit(64)::bigint"
	t.foldKey = "lower(" + t.key + "::text COLLATE \"C\")"
	t.bucketType = "text"
	if kt := obj.KeyField().Type; obj.Key == "Id" || kt.Kind == mapping.KindVarchar && kt.Length*utf8.UTFMax <= maxNameBytes {
		t.bucketType = "name"
	}
	return t
}

// sfHash returns the row hash of a Salesforce record's values.
func (t *table) sfHash(id string, values map[string]envelope.Value) int64 {
	var b strings.Builder
	b.WriteString(cell(id, true))
	for _, f := range t.fields {
		b.WriteString(cell(render(f.Type, values[f.Name])))
	}
	return rowHash(b.String())
}
