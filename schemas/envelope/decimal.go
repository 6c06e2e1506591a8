package envelope

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// MaxDecimalScale is the largest scale a [Decimal] may have, the largest
// scale PostgreSQL accepts in a numeric(p,s) column.
const MaxDecimalScale = 1000

// Decimal is an exact decimal number, unscaled × 10^-scale, for Salesforce
// Number, Currency and Percent values whose digits must not pass through a
// float. The scale is part of the value: 1.5 and 1.50 are different
// Decimals that compare equal with [Decimal.Cmp]. The zero value is 0 with
// scale 0. A Decimal is immutable and safe for concurrent use.
type Decimal struct {
	unscaled *big.Int // nil means zero; never changed after construction
	scale    int32
}

// NewDecimal returns unscaled × 10^-scale. It copies unscaled (nil means
// zero). A scale outside 0 to [MaxDecimalScale] makes a Decimal that
// [Decimal.IsValid] rejects.
func NewDecimal(unscaled *big.Int, scale int32) Decimal {
	d := Decimal{scale: scale}
	if unscaled != nil && unscaled.Sign() != 0 {
		d.unscaled = new(big.Int).Set(unscaled)
	}
	return d
}

// DecimalFromInt64 returns unscaled × 10^-scale.
func DecimalFromInt64(unscaled int64, scale int32) Decimal {
	return NewDecimal(big.NewInt(unscaled), scale)
}

// ParseDecimal parses a decimal number such as "-12.50", "0.001" or
// "3.5E7" exactly. The scale is the number of digits after the point, less
// the exponent, and at least 0: "1.50" has scale 2 and "3.5E7" is 35000000
// with scale 0.
func ParseDecimal(s string) (Decimal, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return Decimal{}, fmt.Errorf("parse decimal %q: %w", s, err)
	}
	return d, nil
}

func parseDecimal(s string) (Decimal, error) {
	mantissa, exponent, hasExponent := s, "", false
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mantissa, exponent, hasExponent = s[:i], s[i+1:], true
	}
	sign := ""
	if mantissa != "" && (mantissa[0] == '-' || mantissa[0] == '+') {
		sign, mantissa = mantissa[:1], mantissa[1:]
	}
	whole, frac, _ := strings.Cut(mantissa, ".")
	if whole == "" && frac == "" {
		return Decimal{}, fmt.Errorf("no digits")
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return Decimal{}, fmt.Errorf("unexpected %q", r)
			}
		}
	}
	scale := int64(len(frac))
	if hasExponent {
		exp, err := strconv.ParseInt(exponent, 10, 32)
		if err != nil {
			return Decimal{}, fmt.Errorf("bad exponent %q", exponent)
		}
		scale -= exp
	}
	if scale > MaxDecimalScale || scale < -MaxDecimalScale {
		return Decimal{}, fmt.Errorf("scale %d out of range", scale)
	}
	unscaled, ok := new(big.Int).SetString(sign+whole+frac, 10)
	if !ok {
		return Decimal{}, fmt.Errorf("bad digits")
	}
	if scale < 0 {
		unscaled.Mul(unscaled, pow10(-scale))
		scale = 0
	}
	return NewDecimal(unscaled, int32(scale)), nil
}

// Unscaled returns a copy of the unscaled integer of d.
func (d Decimal) Unscaled() *big.Int {
	if d.unscaled == nil {
		return new(big.Int)
	}
	return new(big.Int).Set(d.unscaled)
}

// Scale returns the number of digits after the decimal point.
func (d Decimal) Scale() int32 {
	return d.scale
}

// Sign returns -1, 0 or +1 as d is negative, zero or positive.
func (d Decimal) Sign() int {
	if d.unscaled == nil {
		return 0
	}
	return d.unscaled.Sign()
}

// IsValid reports whether the scale of d is within 0 to [MaxDecimalScale].
func (d Decimal) IsValid() bool {
	return d.scale >= 0 && d.scale <= MaxDecimalScale
}

// Rat returns d as a fraction.
func (d Decimal) Rat() *big.Rat {
	r := new(big.Rat).SetInt(d.Unscaled())
	if d.scale > 0 {
		r.Quo(r, new(big.Rat).SetInt(pow10(int64(d.scale))))
	} else if d.scale < 0 {
		r.Mul(r, new(big.Rat).SetInt(pow10(-int64(d.scale))))
	}
	return r
}

// Cmp compares the numbers d and other: -1 if d < other, 0 if they are
// equal (whatever their scales), +1 if d > other.
func (d Decimal) Cmp(other Decimal) int {
	return d.Rat().Cmp(other.Rat())
}

// Equal reports whether d and other have the same unscaled value and scale.
func (d Decimal) Equal(other Decimal) bool {
	return d.scale == other.scale && d.Unscaled().Cmp(other.Unscaled()) == 0
}

// String returns d in plain notation with exactly Scale digits after the
// point, such as "-0.050" for unscaled -50 and scale 3.
func (d Decimal) String() string {
	digits := d.Unscaled().String()
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch {
	case d.scale < 0:
		b.WriteString(digits)
		if digits != "0" {
			b.WriteString(strings.Repeat("0", int(-d.scale)))
		}
	case d.scale == 0:
		b.WriteString(digits)
	default:
		scale := int(d.scale)
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		b.WriteString(digits[:len(digits)-scale])
		b.WriteByte('.')
		b.WriteString(digits[len(digits)-scale:])
	}
	return b.String()
}

// pow10 returns 10^n for n >= 0.
func pow10(n int64) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(n), nil)
}

// twosComplement returns x as a minimal big-endian two's-complement integer,
// as Java's BigInteger.toByteArray and the Avro decimal type encode it.
func twosComplement(x *big.Int) []byte {
	switch x.Sign() {
	case 0:
		return []byte{0}
	case 1:
		b := x.Bytes()
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// For x < 0, n bytes hold 2^(8n) + x, where n is the smallest count
	// whose sign bit is set: enough bits for |x|-1, plus the sign bit.
	n := (new(big.Int).Not(x).BitLen())/8 + 1
	v := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
	v.Add(v, x)
	return v.Bytes() // exactly n bytes, as v >= 2^(8n-1)
}

// fromTwosComplement is the inverse of [twosComplement]; an empty slice is 0.
func fromTwosComplement(b []byte) *big.Int {
	x := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return x
}
