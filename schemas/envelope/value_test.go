package envelope

import (
	"encoding/hex"
	"math"
	"math/big"
	"testing"
	"time"
)

func TestChangeTypeText(t *testing.T) {
	t.Parallel()
	symbols := []string{"CREATE", "UPDATE", "DELETE", "UNDELETE", "GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE", "GAP_OVERFLOW", "SNAPSHOT"}
	types := ChangeTypes()
	if len(types) != len(symbols) {
		t.Fatalf("ChangeTypes() has %d types, want %d", len(types), len(symbols))
	}
	for i, ct := range types {
		if ct.String() != symbols[i] {
			t.Errorf("ChangeTypes()[%d] = %s, want %s (enum order)", i, ct, symbols[i])
		}
		parsed, err := ParseChangeType(symbols[i])
		if err != nil || parsed != ct {
			t.Errorf("ParseChangeType(%q) = %v, %v", symbols[i], parsed, err)
		}
		text, err := ct.MarshalText()
		if err != nil || string(text) != symbols[i] {
			t.Errorf("MarshalText(%v) = %q, %v", ct, text, err)
		}
		var back ChangeType
		if err := back.UnmarshalText(text); err != nil || back != ct {
			t.Errorf("UnmarshalText(%q) = %v, %v", text, back, err)
		}
		wantGap := symbols[i] != "SNAPSHOT" && len(symbols[i]) > 4 && symbols[i][:4] == "GAP_"
		if ct.IsGap() != wantGap {
			t.Errorf("%v.IsGap() = %v", ct, ct.IsGap())
		}
	}
	for _, bad := range []string{"", "create", "Update", "GAP", "UPSERT"} {
		if _, err := ParseChangeType(bad); err == nil {
			t.Errorf("ParseChangeType(%q) succeeded", bad)
		}
	}
	var zero ChangeType
	if zero.Valid() || zero.String() != "ChangeType(0)" {
		t.Errorf("zero ChangeType: Valid %v, String %q", zero.Valid(), zero)
	}
	if _, err := zero.MarshalText(); err == nil {
		t.Error("MarshalText of the zero ChangeType succeeded")
	}
}

func TestDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		date     Date
		valid    bool
		text     string
	}{
		{"epoch", Date{1970, 1, 1}, true, "1970-01-01"},
		{"leap day", Date{2024, 2, 29}, true, "2024-02-29"},
		{"not a leap year", Date{2023, 2, 29}, false, "2023-02-29"},
		{"century not leap", Date{1900, 2, 29}, false, "1900-02-29"},
		{"400 years leap", Date{2000, 2, 29}, true, "2000-02-29"},
		{"day zero", Date{2024, 1, 0}, false, "2024-01-00"},
		{"month 13", Date{2024, 13, 1}, false, "2024-13-01"},
		{"zero value", Date{}, false, "0000-00-00"},
		{"year 0", Date{0, 1, 1}, true, "0000-01-01"},
		{"negative year", Date{-44, 3, 15}, true, "-44-03-15"},
		{"five-digit year", Date{10000, 1, 1}, true, "10000-01-01"},
		{"Avro range end", dateFromDays(math.MaxInt32), true, "5881580-07-11"},
		{"Avro range start", dateFromDays(math.MinInt32), true, "-5877641-06-23"},
		{"beyond Avro range", Date{5881580, 7, 12}, false, "5881580-07-12"},
		{"huge year", Date{math.MaxInt, 1, 1}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			if got := tt.date.IsValid(); got != tt.valid {
				t.Errorf("%v.IsValid() = %v, want %v", tt.date, got, tt.valid)
			}
			if tt.text != "" && tt.date.String() != tt.text {
				t.Errorf("String() = %q, want %q", tt.date.String(), tt.text)
			}
			if tt.valid {
				if back := dateFromDays(tt.date.days()); back != tt.date {
					t.Errorf("days round trip: %v became %v", tt.date, back)
				}
				v := DateValue(tt.date)
				if got, ok := v.AsDate(); !ok || got != tt.date {
					t.Errorf("DateValue(%v).AsDate() = %v, %v", tt.date, got, ok)
				}
			}
		})
	}
	if got := (Date{1969, 12, 31}).days(); got != -1 {
		t.Errorf("1969-12-31 is day %d, want -1", got)
	}
	d, err := ParseDate("1999-12-31")
	if err != nil || d != (Date{1999, 12, 31}) {
		t.Errorf("ParseDate = %v, %v", d, err)
	}
	if _, err := ParseDate("1999-02-30"); err == nil {
		t.Error("ParseDate accepted February 30")
	}
	tokyo := time.FixedZone("JST", 9*3600)
	if got := DateOf(time.Date(2024, 3, 1, 0, 30, 0, 0, tokyo)); got != (Date{2024, 3, 1}) {
		t.Errorf("DateOf keeps the day of the given zone: got %v", got)
	}
	if !(Date{2024, 3, 1}).Before(Date{2024, 3, 2}) || (Date{2025, 1, 1}).Before(Date{2024, 12, 31}) {
		t.Error("Before is wrong")
	}
}

func TestDecimal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		in       string
		unscaled string
		scale    int32
		text     string
	}{
		{"integer", "42", "42", 0, "42"},
		{"two places", "12.50", "1250", 2, "12.50"},
		{"negative", "-0.05", "-5", 2, "-0.05"},
		{"plus sign", "+1.5", "15", 1, "1.5"},
		{"leading point", ".5", "5", 1, "0.5"},
		{"trailing point", "7.", "7", 0, "7"},
		{"zero with scale", "0.000", "0", 3, "0.000"},
		{"negative zero", "-0.0", "0", 1, "0.0"},
		{"exponent", "3.5E7", "35000000", 0, "35000000"},
		{"negative exponent", "1.25e-3", "125", 5, "0.00125"},
		{"exponent keeps scale", "1.2345E2", "12345", 2, "123.45"},
		{"high scale", "0.000000000000000000000000000001", "1", 30, "0.000000000000000000000000000001"},
		{"beyond int64", "-123456789012345678901234567890.123", "-123456789012345678901234567890123", 3, "-123456789012345678901234567890.123"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			d, err := ParseDecimal(tt.in)
			if err != nil {
				t.Fatalf("ParseDecimal(%q): %v", tt.in, err)
			}
			if d.Unscaled().String() != tt.unscaled || d.Scale() != tt.scale {
				t.Errorf("ParseDecimal(%q) = %s scale %d, want %s scale %d", tt.in, d.Unscaled(), d.Scale(), tt.unscaled, tt.scale)
			}
			if d.String() != tt.text {
				t.Errorf("String() = %q, want %q", d.String(), tt.text)
			}
			back, err := ParseDecimal(d.String())
			if err != nil || !back.Equal(d) {
				t.Errorf("ParseDecimal(String()) = %v, %v; want %v", back, err, d)
			}
		})
	}
	for _, bad := range []string{"", "-", ".", "1e", "e5", "1.2.3", "1,5", "0x10", "1e99999", "NaN", "Inf", " 1", "1e-1001"} {
		if d, err := ParseDecimal(bad); err == nil {
			t.Errorf("ParseDecimal(%q) = %v, want an error", bad, d)
		}
	}
	a, b := DecimalFromInt64(150, 2), DecimalFromInt64(15, 1)
	if a.Equal(b) || a.Cmp(b) != 0 {
		t.Errorf("1.50 vs 1.5: Equal %v (want false), Cmp %d (want 0)", a.Equal(b), a.Cmp(b))
	}
	if DecimalFromInt64(-1, 0).Cmp(Decimal{}) != -1 || (Decimal{}).Sign() != 0 {
		t.Error("Cmp or Sign is wrong")
	}
	if got := DecimalFromInt64(3, -2).String(); got != "300" {
		t.Errorf("negative scale String() = %q", got)
	}
	if r := DecimalFromInt64(-125, 3).Rat(); r.Cmp(big.NewRat(-1, 8)) != 0 {
		t.Errorf("Rat() = %v", r)
	}
	src := big.NewInt(5)
	d := NewDecimal(src, 0)
	src.SetInt64(6)
	d.Unscaled().SetInt64(7)
	if d.String() != "5" {
		t.Errorf("Decimal shares memory with its inputs or outputs: %v", d)
	}
}

func TestTwosComplement(t *testing.T) {
	t.Parallel()
	// Expected bytes are those of Java's BigInteger.toByteArray.
	tests := []struct {
		value string
		hex   string
	}{
		{"0", "00"},
		{"1", "01"},
		{"127", "7f"},
		{"128", "0080"},
		{"255", "00ff"},
		{"256", "0100"},
		{"-1", "ff"},
		{"-128", "80"},
		{"-129", "ff7f"},
		{"-256", "ff00"},
		{"-32768", "8000"},
		{"-32769", "ff7fff"},
		{"18446744073709551616", "010000000000000000"},
		{"-18446744073709551616", "ff0000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Parallel()
			x := bigInt(tt.value)
			got := twosComplement(x)
			if hex.EncodeToString(got) != tt.hex {
				t.Errorf("twosComplement(%s) = %x, want %s", tt.value, got, tt.hex)
			}
			if back := fromTwosComplement(got); back.Cmp(x) != 0 {
				t.Errorf("fromTwosComplement(%x) = %s", got, back)
			}
		})
	}
	if fromTwosComplement(nil).Sign() != 0 {
		t.Error("empty bytes are not zero")
	}
}

func TestValueAccessors(t *testing.T) {
	t.Parallel()
	when := time.Date(2026, 1, 2, 3, 4, 5, 678_900_000, time.FixedZone("X", 3600))
	tests := []struct {
		scenario string
		value    Value
		kind     Kind
		text     string
		check    func(v Value) bool
	}{
		{"null", NullValue(), KindNull, "null", func(v Value) bool { return v.IsNull() }},
		{"bool", BoolValue(true), KindBool, "true", func(v Value) bool { b, ok := v.AsBool(); return ok && b }},
		{"int", IntValue(-3), KindInt, "-3", func(v Value) bool { i, ok := v.AsInt(); return ok && i == -3 }},
		{"long", LongValue(1 << 62), KindLong, "4611686018427387904", func(v Value) bool { i, ok := v.AsLong(); return ok && i == 1<<62 }},
		{"float", FloatValue(0.5), KindFloat, "0.5", func(v Value) bool { f, ok := v.AsFloat(); return ok && f == 0.5 }},
		{"double", DoubleValue(-2.25), KindDouble, "-2.25", func(v Value) bool { f, ok := v.AsDouble(); return ok && f == -2.25 }},
		{"string", StringValue("héllo"), KindString, `"héllo"`, func(v Value) bool { s, ok := v.AsString(); return ok && s == "héllo" }},
		{"bytes", BytesValue([]byte{1, 0xab}), KindBytes, "0x01ab", func(v Value) bool { b, ok := v.AsBytes(); return ok && string(b) == "\x01\xab" }},
		{"empty bytes", BytesValue(nil), KindBytes, "0x", func(v Value) bool { b, ok := v.AsBytes(); return ok && b != nil && len(b) == 0 }},
		{"date", DateValue(Date{1969, 7, 20}), KindDate, "1969-07-20", func(v Value) bool { d, ok := v.AsDate(); return ok && d == Date{1969, 7, 20} }},
		{"datetime truncates to ms and UTC", DateTimeValue(when), KindDateTime, "2026-01-02T02:04:05.678Z", func(v Value) bool {
			got, ok := v.AsDateTime()
			return ok && got.Equal(when.Truncate(time.Millisecond)) && got.Location() == time.UTC
		}},
		{"time", TimeValue(23*time.Hour + 59*time.Minute + 59*time.Second + 999*time.Millisecond), KindTime, "23:59:59.999", func(v Value) bool {
			d, ok := v.AsTime()
			return ok && d == 24*time.Hour-time.Millisecond
		}},
		{"invalid time prints", TimeValue(-time.Second), KindTime, "time(-1000ms)", nil},
		{"decimal", DecimalValue(DecimalFromInt64(-1050, 2)), KindDecimal, "-10.50", func(v Value) bool {
			d, ok := v.AsDecimal()
			return ok && d.Equal(DecimalFromInt64(-1050, 2))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			if tt.value.Kind() != tt.kind {
				t.Errorf("Kind() = %v, want %v", tt.value.Kind(), tt.kind)
			}
			if tt.value.String() != tt.text {
				t.Errorf("String() = %q, want %q", tt.value.String(), tt.text)
			}
			if tt.check != nil && !tt.check(tt.value) {
				t.Errorf("accessor of %v failed", tt.value)
			}
			// Every other accessor reports a kind mismatch.
			accessors := map[Kind]bool{}
			_, accessors[KindBool] = tt.value.AsBool()
			_, accessors[KindInt] = tt.value.AsInt()
			_, accessors[KindLong] = tt.value.AsLong()
			_, accessors[KindFloat] = tt.value.AsFloat()
			_, accessors[KindDouble] = tt.value.AsDouble()
			_, accessors[KindString] = tt.value.AsString()
			_, accessors[KindBytes] = tt.value.AsBytes()
			_, accessors[KindDate] = tt.value.AsDate()
			_, accessors[KindDateTime] = tt.value.AsDateTime()
			_, accessors[KindTime] = tt.value.AsTime()
			_, accessors[KindDecimal] = tt.value.AsDecimal()
			for kind, ok := range accessors {
				if ok != (kind == tt.kind) {
					t.Errorf("As%v reports %v for a %v", kind, ok, tt.kind)
				}
			}
		})
	}
	if BoolValue(false).Equal(NullValue()) || !DoubleValue(math.NaN()).Equal(DoubleValue(math.NaN())) {
		t.Error("Equal is wrong")
	}
	if DecimalValue(DecimalFromInt64(15, 1)).Equal(DecimalValue(DecimalFromInt64(150, 2))) {
		t.Error("1.5 and 1.50 are Equal values")
	}
	if Kind(200).String() != "Kind(200)" || KindDateTime.String() != "datetime" {
		t.Error("Kind.String is wrong")
	}
	b := []byte("abc")
	v := BytesValue(b)
	b[0] = 'X'
	got, _ := v.AsBytes()
	got[1] = 'Y'
	if again, _ := v.AsBytes(); string(again) != "abc" {
		t.Errorf("BytesValue shares memory: %q", again)
	}
}
