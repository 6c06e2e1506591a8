package soql_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/soql"
)

// now is the fixed evaluation time: Wednesday 2024-01-17 15:00 UTC.
var now = time.Date(2024, 1, 17, 15, 0, 0, 0, time.UTC)

func day(y int, m time.Month, d int) soql.Value {
	return soql.Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

func TestMatch(t *testing.T) {
	t.Parallel()
	rec := soql.Map{
		"Id":               soql.String("001000000000001AAA"),
		"Name":             soql.String("Acme Corp"),
		"Region__c":        soql.Null(),
		"AnnualRevenue":    soql.Number(1500),
		"IsDeleted":        soql.Bool(false),
		"LastActivityDate": day(2024, 1, 16),
		"SystemModstamp":   soql.DateTime(time.Date(2024, 1, 17, 8, 0, 0, 0, time.UTC)),
		"Owner.Username":   soql.String("ann@example.com"),
	}
	tests := []struct {
		scenario string
		where    string
		want     bool
	}{
		{"equal text ignores case", "Name = 'acme corp'", true},
		{"unequal text", "Name = 'Acme'", false},
		{"not equal", "Name != 'Acme'", true},
		{"null equals null", "Region__c = null", true},
		{"missing field is null", "Nope__c = null", true},
		{"non-null is not null", "Name = null", false},
		{"not-null test", "Name != null", true},
		{"null not-null test", "Region__c != null", false},
		{"null differs from a value", "Region__c != 'EMEA'", true},
		{"null never equals a value", "Region__c = 'EMEA'", false},
		{"null ordering comparison false", "Region__c < 'z'", false},
		{"null ordering comparison false both ways", "Region__c >= 'a'", false},
		{"null not in", "Region__c NOT IN ('EMEA')", true},
		{"null in list with null", "Region__c IN ('EMEA', null)", true},
		{"null LIKE false", "Region__c LIKE '%'", false},
		{"number greater", "AnnualRevenue > 1000", true},
		{"number less-or-equal", "AnnualRevenue <= 1500.0", true},
		{"number vs text never matches", "AnnualRevenue = '1500'", false},
		{"boolean", "IsDeleted = false", true},
		{"text ordering", "Id > '001000000000000'", true},
		{"like prefix", "Name LIKE 'ac%'", true},
		{"like suffix", "Name LIKE '%CORP'", true},
		{"like infix", "Name LIKE '%me c%'", true},
		{"like single char", "Name LIKE 'Acm_ Corp'", true},
		{"like single char needs one", "Name LIKE 'Acme_ Corp'", false},
		{"like whole string", "Name LIKE 'Acme'", false},
		{"like escaped percent", `Name LIKE 'Acme\%'`, false},
		{"in", "Name IN ('x', 'ACME CORP')", true},
		{"not in", "Name NOT IN ('x', 'ACME CORP')", false},
		{"and", "Name = 'Acme Corp' AND AnnualRevenue > 2000", false},
		{"or", "Name = 'x' OR AnnualRevenue > 1000", true},
		{"not", "NOT Name = 'x'", true},
		{"nested", "(Name = 'x' OR Name LIKE 'A%') AND NOT (IsDeleted = true OR AnnualRevenue < 0)", true},
		{"relationship path", "Owner.Username = 'ANN@example.com'", true},
		{"date equal", "LastActivityDate = 2024-01-16", true},
		{"date today", "LastActivityDate = TODAY", false},
		{"date yesterday", "LastActivityDate = YESTERDAY", true},
		{"date before today", "LastActivityDate < TODAY", true},
		{"date last 1 days", "LastActivityDate = LAST_N_DAYS:1", true},
		{"date last 0 days", "LastActivityDate = LAST_N_DAYS:0", false},
		{"date next days", "LastActivityDate = NEXT_N_DAYS:3", false},
		{"datetime today", "SystemModstamp = TODAY", true},
		{"datetime after today", "SystemModstamp > TODAY", false},
		{"datetime at or after today", "SystemModstamp >= TODAY", true},
		{"datetime before tomorrow", "SystemModstamp < TOMORROW", true},
		{"datetime not yesterday", "SystemModstamp != YESTERDAY", true},
		{"datetime literal", "SystemModstamp > 2024-01-17T07:59:59Z AND SystemModstamp < 2024-01-17T08:00:00.001Z", true},
		{"datetime literal with offset", "SystemModstamp = 2024-01-17T09:00:00+0100", true},
		{"null vs relative date", "Region__c = TODAY", false},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			q, err := soql.Parse("SELECT Id FROM Account WHERE " + tt.where)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.Match(rec, now); got != tt.want {
				t.Errorf("WHERE %s = %v, want %v", tt.where, got, tt.want)
			}
		})
	}
}

func TestMatchRelativeDateInLocation(t *testing.T) {
	t.Parallel()
	// 2024-01-17 23:30 UTC is already 2024-01-18 in Tokyo, so TODAY there
	// covers 2024-01-17T15:00Z … 2024-01-18T15:00Z.
	tokyo := time.FixedZone("JST", 9*3600)
	late := now.Add(8*time.Hour + 30*time.Minute).In(tokyo)
	q, err := soql.Parse("SELECT Id FROM A WHERE T = TODAY AND D = TODAY")
	if err != nil {
		t.Fatal(err)
	}
	rec := soql.Map{
		"T": soql.DateTime(time.Date(2024, 1, 17, 16, 0, 0, 0, time.UTC)),
		"D": day(2024, 1, 18),
	}
	if !q.Match(rec, late) {
		t.Errorf("TODAY in Tokyo did not match %v", rec)
	}
	if q.Match(rec, now) {
		t.Errorf("TODAY in UTC matched %v", rec)
	}
}

func TestLike(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		value    string
		pattern  string
		want     bool
	}{
		{"empty matches empty", "", "", true},
		{"percent matches empty", "", "%", true},
		{"underscore needs a char", "", "_", false},
		{"underscore takes a rune", "é", "_", true},
		{"backtracking", "abcabcabd", "%abd", true},
		{"many percents", "abc", "%%a%%c%%", true},
		{"escaped underscore literal", "a_c", `a\_c`, true},
		{"escaped underscore not wildcard", "abc", `a\_c`, false},
		{"literal backslash", `a\b`, `a\b`, true},
		{"case", "HELLO", "he%O", true},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			q := &soql.Query{Fields: []string{"Id"}, Object: "A",
				Where: soql.Cmp("F", soql.OpLike, soql.String(tt.pattern))}
			if got := q.Match(soql.Map{"F": soql.String(tt.value)}, now); got != tt.want {
				t.Errorf("%q LIKE %q = %v, want %v", tt.value, tt.pattern, got, tt.want)
			}
		})
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	recs := []soql.Map{
		{"Id": soql.String("1"), "Name": soql.String("beta"), "N": soql.Number(2)},
		{"Id": soql.String("2"), "Name": soql.Null(), "N": soql.Number(1)},
		{"Id": soql.String("3"), "Name": soql.String("Alpha"), "N": soql.Number(2)},
		{"Id": soql.String("4"), "N": soql.Number(3)}, // Name missing: null
		{"Id": soql.String("5"), "Name": soql.String("gamma"), "N": soql.Null()},
	}
	tests := []struct {
		scenario string
		query    string
		want     []string // ids in order
	}{
		{"no order keeps input order", "SELECT Id FROM A", []string{"1", "2", "3", "4", "5"}},
		{"asc nulls first by default, case-insensitive", "SELECT Id FROM A ORDER BY Name", []string{"2", "4", "3", "1", "5"}},
		{"desc nulls still first by default", "SELECT Id FROM A ORDER BY Name DESC", []string{"2", "4", "5", "1", "3"}},
		{"asc nulls last", "SELECT Id FROM A ORDER BY Name NULLS LAST", []string{"3", "1", "5", "2", "4"}},
		{"desc nulls last", "SELECT Id FROM A ORDER BY Name DESC NULLS LAST", []string{"5", "1", "3", "2", "4"}},
		{"two keys", "SELECT Id FROM A ORDER BY N DESC NULLS LAST, Name", []string{"4", "3", "1", "2", "5"}},
		{"filter, order, limit", "SELECT Id FROM A WHERE N >= 2 ORDER BY N, Id DESC LIMIT 2", []string{"3", "1"}},
		{"offset", "SELECT Id FROM A ORDER BY Id LIMIT 2 OFFSET 3", []string{"4", "5"}},
		{"offset past end", "SELECT Id FROM A OFFSET 10", nil},
		{"count", "SELECT COUNT() FROM A WHERE Name != null", []string{"1", "3", "5"}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			q, err := soql.Parse(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			in := slices.Clone(recs)
			var got []string
			for _, r := range soql.Run(q, in, now) {
				got = append(got, r["Id"].Str())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s = %v, want %v", tt.query, got, tt.want)
			}
			for i := range recs {
				if in[i]["Id"] != recs[i]["Id"] {
					t.Fatalf("Run reordered its input")
				}
			}
		})
	}
}
