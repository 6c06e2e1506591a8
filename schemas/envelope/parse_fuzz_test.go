package envelope

import (
	"math/big"
	"testing"
)

// FuzzParseDecimal checks that a decimal ParseDecimal accepts is valid,
// is the number the text spells (as math/big reads it), and prints as
// text that parses back to the same unscaled value and scale.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"-12.50", "0.001", "3.5E7", "1e-1000", "1e1001", "+.5", "5.", "-0", "007", "1.2.3", "e5", "1e+2", "999999999999999999999999999.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDecimal(s)
		if err != nil {
			return
		}
		if !d.IsValid() {
			t.Fatalf("ParseDecimal(%q) = invalid %v (scale %d)", s, d, d.Scale())
		}
		if r, ok := new(big.Rat).SetString(s); ok && r.Cmp(d.Rat()) != 0 {
			t.Fatalf("ParseDecimal(%q) = %v, math/big reads %v", s, d, r.RatString())
		}
		again, err := ParseDecimal(d.String())
		if err != nil || !again.Equal(d) {
			t.Fatalf("ParseDecimal(%q) = %v (scale %d), which parses back as %v (scale %d), %v", s, d, d.Scale(), again, again.Scale(), err)
		}
	})
}

// FuzzParseDate checks that a date ParseDate accepts is valid and is
// exactly the text it was read from.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-01-15", "0000-01-01", "9999-12-31", "2024-02-30", "2024-1-5", "2024-01-15T00:00:00Z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if !d.IsValid() {
			t.Fatalf("ParseDate(%q) = invalid %+v", s, d)
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q) = %v", s, d)
		}
		if dateFromDays(d.days()) != d {
			t.Fatalf("ParseDate(%q) = %v, whose day number %d is %v", s, d, d.days(), dateFromDays(d.days()))
		}
	})
}
