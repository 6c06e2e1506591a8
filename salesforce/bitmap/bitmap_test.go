package bitmap_test

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/sfsync/sfsync/salesforce/bitmap"
)

// addressComponents is the component order of Address fields observed in
// Salesforce change event schemas.
var addressComponents = []string{
	"Street", "City", "State", "PostalCode", "Country", "StateCode",
	"CountryCode", "Latitude", "Longitude", "Xyz", "GeocodeAccuracy",
}

// personNameComponents are the components of Account's Name union record.
var personNameComponents = []string{
	"Salutation", "FirstName", "LastName", "MiddleName", "InformalName", "Suffix",
}

// accountSchema is AccountChangeEvent with the field indexes of the
// specification's examples (1 Name … 35 OperatingHoursId), followed by
// org-specific custom fields up to index 109 so that long bitmaps fit.
// testdata/AccountChangeEvent.avsc is the same schema in Avro.
var accountSchema = func() bitmap.Schema {
	names := []string{
		"ChangeEventHeader", "Name", "Type", "ParentId", "BillingAddress",
		"ShippingAddress", "Phone", "Fax", "AccountNumber", "Website", "Sic",
		"Industry", "AnnualRevenue", "NumberOfEmployees", "Ownership",
		"TickerSymbol", "Description", "Rating", "Site", "OwnerId",
		"CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
		"Jigsaw", "JigsawCompanyId", "CleanStatus", "AccountSource",
		"DunsNumber", "Tradestyle", "NaicsCode", "NaicsDesc", "YearStarted",
		"SicDesc", "DandbCompanyId", "OperatingHoursId",
	}
	for i := len(names); i < 110; i++ {
		names = append(names, fmt.Sprintf("Custom%03d__c", i))
	}
	s := bitmap.Schema{Fields: make([]bitmap.Field, len(names))}
	for i, n := range names {
		s.Fields[i].Name = n
	}
	s.Fields[1].Components = personNameComponents
	s.Fields[4].Components = addressComponents
	s.Fields[5].Components = addressComponents
	return s
}()

// genericSchema has 32 fields F00…F31, of which F04 and F07 are compound
// with components C0…C7: the shape of the documentation's generic example
// ["0x650004E0", "4-0x10", "7-0x06"].
var genericSchema = func() bitmap.Schema {
	s := bitmap.Schema{Fields: make([]bitmap.Field, 32)}
	for i := range s.Fields {
		s.Fields[i].Name = fmt.Sprintf("F%02d", i)
	}
	comps := []string{"C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7"}
	s.Fields[4].Components = comps
	s.Fields[7].Components = comps
	return s
}()

func TestDecodeExamples(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		schema   bitmap.Schema
		bitmap   []string
		names    []string
		// canonical marks bitmaps in the form Encode writes, so encoding
		// names must give them back exactly.
		canonical bool
	}{
		{
			scenario: "Fax updated", schema: accountSchema,
			bitmap:    []string{"0x400080"},
			names:     []string{"Fax", "LastModifiedDate"},
			canonical: true,
		},
		{
			scenario: "billing city and state updated", schema: accountSchema,
			bitmap:    []string{"0x400000", "4-0x06"},
			names:     []string{"BillingAddress.City", "BillingAddress.State", "LastModifiedDate"},
			canonical: true,
		},
		{
			scenario: "Industry and AnnualRevenue updated", schema: accountSchema,
			bitmap:    []string{"0x401800"},
			names:     []string{"Industry", "AnnualRevenue", "LastModifiedDate"},
			canonical: true,
		},
		{
			scenario: "long bitmap, bits 23 and 103", schema: accountSchema,
			bitmap:    []string{"0x80000000000000000000800000"},
			names:     []string{"LastModifiedById", "Custom103__c"},
			canonical: true,
		},
		{
			scenario: "Phone nulled", schema: accountSchema,
			bitmap:    []string{"0x40"},
			names:     []string{"Phone"},
			canonical: true,
		},
		{
			scenario: "only compound components nulled, element 0 is P-0x", schema: accountSchema,
			bitmap:    []string{"5-0x0C"},
			names:     []string{"ShippingAddress.State", "ShippingAddress.PostalCode"},
			canonical: true,
		},
		{
			scenario: "all components of a compound", schema: accountSchema,
			bitmap:    []string{"4-0x07FF"},
			names:     prefixed("BillingAddress.", addressComponents),
			canonical: true,
		},
		{
			scenario: "person account name components", schema: accountSchema,
			bitmap:    []string{"0x400000", "1-0x06"},
			names:     []string{"Name.FirstName", "Name.LastName", "LastModifiedDate"},
			canonical: true,
		},
		{
			scenario: "business account name is the whole field's top-level bit", schema: accountSchema,
			bitmap:    []string{"0x400002"},
			names:     []string{"Name", "LastModifiedDate"},
			canonical: true,
		},
		{
			scenario: "docs' generic example", schema: genericSchema,
			bitmap: []string{"0x650004E0", "4-0x10", "7-0x06"},
			names: []string{
				"F04.C4", "F05", "F06", "F07", "F07.C1", "F07.C2",
				"F10", "F24", "F26", "F29", "F30",
			},
			canonical: true,
		},
		{
			scenario: "leading zero kept", schema: genericSchema,
			bitmap:    []string{"7-0x06"},
			names:     []string{"F07.C1", "F07.C2"},
			canonical: true,
		},
		{
			scenario: "two compounds ordered by index", schema: accountSchema,
			bitmap:    []string{"0x400000", "4-0x01", "5-0x0400"},
			names:     []string{"BillingAddress.Street", "ShippingAddress.GeocodeAccuracy", "LastModifiedDate"},
			canonical: true,
		},
		{scenario: "empty list", schema: accountSchema, bitmap: []string{}, canonical: true},
		{scenario: "nil list", schema: accountSchema},
		{scenario: "lower-case digits", schema: accountSchema, bitmap: []string{"0x401800", "4-0x0c"},
			names: []string{"BillingAddress.State", "BillingAddress.PostalCode", "Industry", "AnnualRevenue", "LastModifiedDate"}},
		{scenario: "lower-case letters", schema: genericSchema, bitmap: []string{"0xe0"},
			names: []string{"F05", "F06", "F07"}},
		{scenario: "odd digit count", schema: accountSchema, bitmap: []string{"0x4"}, names: []string{"Type"}},
		{scenario: "odd digit count in a compound", schema: accountSchema, bitmap: []string{"4-0x6"},
			names: []string{"BillingAddress.City", "BillingAddress.State"}},
		{scenario: "leading zero bytes", schema: accountSchema, bitmap: []string{"0x0000400080"},
			names: []string{"Fax", "LastModifiedDate"}},
		{scenario: "zero top-level bitmap", schema: accountSchema, bitmap: []string{"0x00"}},
		{scenario: "zero compound bitmap", schema: accountSchema, bitmap: []string{"4-0x00"}},
		{scenario: "leading zeros in the index", schema: accountSchema, bitmap: []string{"04-0x02"},
			names: []string{"BillingAddress.City"}},
		{scenario: "repeated compound elements merge", schema: accountSchema, bitmap: []string{"5-0x01", "4-0x02", "4-0x04"},
			names: []string{"BillingAddress.City", "BillingAddress.State", "ShippingAddress.Street"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			got, err := bitmap.Decode(tc.schema, tc.bitmap)
			if err != nil {
				t.Fatalf("Decode(%q): %v", tc.bitmap, err)
			}
			if !slices.Equal(got, tc.names) {
				t.Errorf("Decode(%q) = %q, want %q", tc.bitmap, got, tc.names)
			}
			enc, err := bitmap.Encode(tc.schema, tc.names)
			if err != nil {
				t.Fatalf("Encode(%q): %v", tc.names, err)
			}
			if enc == nil {
				t.Errorf("Encode(%q) = nil, want a non-nil slice", tc.names)
			}
			if tc.canonical && !slices.Equal(enc, tc.bitmap) {
				t.Errorf("Encode(%q) = %q, want %q", tc.names, enc, tc.bitmap)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		schema   bitmap.Schema
		bitmap   []string
		want     error
		// msg is a part of the error message: the element and the problem.
		msg string
	}{
		{"bit beyond the field count", genericSchema, []string{"0x0100000000"}, bitmap.ErrOutOfRange,
			`bitmap element 0 "0x0100000000": out of range: bit 32 set but there are 32 fields`},
		{"bit beyond the field count, odd length", accountSchema, []string{"0x10" + strings.Repeat("0", 27)}, bitmap.ErrOutOfRange,
			"out of range: bit 112 set but there are 110 fields"},
		{"bit beyond the components", accountSchema, []string{"0x400000", "4-0x0800"}, bitmap.ErrOutOfRange,
			`bitmap element 1 "4-0x0800": out of range: bit 11 set but there are 11 components of BillingAddress`},
		{"compound index out of range", accountSchema, []string{"110-0x01"}, bitmap.ErrOutOfRange,
			`bitmap element 0 "110-0x01": out of range: compound index 110 but the schema has 110 fields`},
		{"huge compound index", accountSchema, []string{"99999999999999999999999999-0x01"}, bitmap.ErrOutOfRange,
			"too large"},
		{"index of a field that is not compound", accountSchema, []string{"0x400000", "7-0x06"}, bitmap.ErrNotCompound,
			`bitmap element 1 "7-0x06": not a compound field: index 7 is Fax`},
		{"header is not compound", accountSchema, []string{"0-0x01"}, bitmap.ErrNotCompound, "index 0 is ChangeEventHeader"},
		{"invalid hex digit", accountSchema, []string{"0x40G080"}, bitmap.ErrMalformed,
			`bitmap element 0 "0x40G080": malformed: invalid hex digit 'G'`},
		{"invalid hex digit above an out-of-range bit", genericSchema, []string{"0xZ0100000000"}, bitmap.ErrMalformed,
			"invalid hex digit 'Z'"},
		{"invalid hex digit in a compound", accountSchema, []string{"4-0x0g"}, bitmap.ErrMalformed, "invalid hex digit 'g'"},
		{"missing 0x", accountSchema, []string{"400080"}, bitmap.ErrMalformed,
			`bitmap element 0 "400080": malformed: want "0x<hex>" or "<index>-0x<hex>"`},
		{"upper-case 0X", accountSchema, []string{"0X400080"}, bitmap.ErrMalformed, "malformed"},
		{"missing 0x in a compound", accountSchema, []string{"4-06"}, bitmap.ErrMalformed, `missing "0x" after the index`},
		{"no hex digits", accountSchema, []string{"0x"}, bitmap.ErrMalformed, "no hex digits"},
		{"no hex digits in a compound", accountSchema, []string{"4-0x"}, bitmap.ErrMalformed, "no hex digits"},
		{"top-level bitmap after element 0", accountSchema, []string{"4-0x06", "0x400000"}, bitmap.ErrMalformed,
			`bitmap element 1 "0x400000": malformed: a top-level bitmap may only be element 0`},
		{"empty element", accountSchema, []string{""}, bitmap.ErrMalformed, "bitmap element 0 \"\""},
		{"missing index", accountSchema, []string{"-0x01"}, bitmap.ErrMalformed, "missing compound index"},
		{"signed index", accountSchema, []string{"+4-0x01"}, bitmap.ErrMalformed, "not a decimal number"},
		{"negative index", accountSchema, []string{"-4-0x01"}, bitmap.ErrMalformed, "missing compound index"},
		{"spaces", accountSchema, []string{" 0x40"}, bitmap.ErrMalformed, "malformed"},
		{"long element is shortened in the message", accountSchema, []string{"0x" + strings.Repeat("0", 100) + "Q"}, bitmap.ErrMalformed,
			`"0x` + strings.Repeat("0", 38) + `…"`},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			got, err := bitmap.Decode(tc.schema, tc.bitmap)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode(%q) = %q, %v; want error %v", tc.bitmap, got, err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		names    []string
		msg      string
	}{
		{"unknown field", []string{"Fax", "Nope"}, `encode "Nope": unknown field`},
		{"unknown component", []string{"BillingAddress.Nope"}, "BillingAddress has no component Nope"},
		{"component of a field that is not compound", []string{"Fax.City"}, "Fax has no component City"},
		{"component of an unknown field", []string{"Nope.City"}, `encode "Nope.City": unknown field`},
		{"empty name", []string{""}, `encode "": unknown field`},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			got, err := bitmap.Encode(accountSchema, tc.names)
			if !errors.Is(err, bitmap.ErrUnknownField) {
				t.Fatalf("Encode(%q) = %q, %v; want ErrUnknownField", tc.names, got, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
		})
	}
}

func TestEncodeDuplicates(t *testing.T) {
	t.Parallel()
	got, err := bitmap.Encode(accountSchema, []string{"Fax", "BillingAddress.City", "Fax", "BillingAddress.City", "LastModifiedDate"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"0x400080", "4-0x02"}; !slices.Equal(got, want) {
		t.Errorf("Encode = %q, want %q", got, want)
	}
}

// canonicalElem is the form of every element Encode writes.
var canonicalElem = regexp.MustCompile(`^(0|[1-9][0-9]*-0)x([0-9A-F]{2})+$`)

// checkCanonical fails t unless elems is in the form Encode must write.
func checkCanonical(t interface{ Fatalf(string, ...any) }, elems []string) {
	prev := -1
	for i, e := range elems {
		if !canonicalElem.MatchString(e) {
			t.Fatalf("element %d %q is not upper-case whole-byte hex", i, e)
		}
		_, hex, _ := strings.Cut(e, "x")
		if strings.HasPrefix(hex, "00") {
			t.Fatalf("element %d %q has a leading zero byte", i, e)
		}
		if strings.HasPrefix(e, "0x") {
			if i != 0 {
				t.Fatalf("top-level element %q at %d", e, i)
			}
			continue
		}
		var p int
		fmt.Sscanf(e, "%d-", &p)
		if p <= prev {
			t.Fatalf("compound %d after %d: not ordered by index", p, prev)
		}
		prev = p
	}
}

// allNames lists every name Encode accepts for s, in schema order: each
// top-level field, then its components.
func allNames(s bitmap.Schema) []string {
	var names []string
	for _, f := range s.Fields {
		names = append(names, f.Name)
		names = append(names, prefixed(f.Name+".", f.Components)...)
	}
	return names
}

func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

// TestRoundTrip checks that decoding what Encode writes gives back the
// encoded set of names, in schema order, for random sets.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		schema   bitmap.Schema
	}{
		{"account", accountSchema},
		{"generic", genericSchema},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			all := allNames(tc.schema)
			rapid.Check(t, func(t *rapid.T) {
				picked := rapid.SliceOf(rapid.SampledFrom(all)).Draw(t, "names")
				enc, err := bitmap.Encode(tc.schema, picked)
				if err != nil {
					t.Fatalf("Encode(%q): %v", picked, err)
				}
				checkCanonical(t, enc)
				got, err := bitmap.Decode(tc.schema, enc)
				if err != nil {
					t.Fatalf("Decode(%q): %v", enc, err)
				}
				var want []string
				for _, n := range all {
					if slices.Contains(picked, n) {
						want = append(want, n)
					}
				}
				if !slices.Equal(got, want) {
					t.Fatalf("Decode(Encode(%q)) = %q via %q, want %q", picked, got, enc, want)
				}
			})
		})
	}
}

// FuzzDecode feeds Decode arbitrary lists (elements separated by commas).
// Decode must never panic, and whatever it accepts must survive an Encode
// and Decode round trip unchanged.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"0x400080",
		"0x400000,4-0x06",
		"0x401800",
		"0x80000000000000000000800000",
		"5-0x0C",
		"0x650004E0,4-0x10,7-0x06",
		"0x4000a0,4-0x6,5-0x0400",
		"0x",
		"4-0x",
		"-0x",
		"0x0,0x0",
		"7-0x06",
		"0X40",
		"99999999999999999999-0x01",
		"1-0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
		"0xFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
		"",
		",",
		"4-0x02,4-0x04,4-0x02",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		elems := strings.Split(in, ",")
		for _, s := range []bitmap.Schema{accountSchema, genericSchema} {
			names, err := bitmap.Decode(s, elems)
			if err != nil {
				if names != nil {
					t.Fatalf("Decode(%q) returned names %q with error %v", elems, names, err)
				}
				if !errors.Is(err, bitmap.ErrMalformed) && !errors.Is(err, bitmap.ErrOutOfRange) && !errors.Is(err, bitmap.ErrNotCompound) {
					t.Fatalf("Decode(%q) error %v wraps no sentinel", elems, err)
				}
				continue
			}
			enc, err := bitmap.Encode(s, names)
			if err != nil {
				t.Fatalf("Encode(Decode(%q) = %q): %v", elems, names, err)
			}
			checkCanonical(t, enc)
			again, err := bitmap.Decode(s, enc)
			if err != nil {
				t.Fatalf("Decode(%q): %v", enc, err)
			}
			if !slices.Equal(again, names) {
				t.Fatalf("Decode(%q) = %q, but Decode(Encode(…) = %q) = %q", elems, names, enc, again)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	for _, bc := range []struct {
		scenario string
		bitmap   []string
	}{
		{"top-level", []string{"0x401800"}},
		{"compound", []string{"0x400000", "4-0x06"}},
		{"long", []string{"0x80000000000000000000800000"}},
		{"many", []string{"0x3FFFFFFFFFFFFFFFFFFFFFFFFFCE", "1-0x3F", "4-0x07FF", "5-0x07FF"}},
	} {
		b.Run(bc.scenario, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bitmap.Decode(accountSchema, bc.bitmap); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	names := []string{"BillingAddress.City", "BillingAddress.State", "Industry", "AnnualRevenue", "LastModifiedDate"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bitmap.Encode(accountSchema, names); err != nil {
			b.Fatal(err)
		}
	}
}

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
