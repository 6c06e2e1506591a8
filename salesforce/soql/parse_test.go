package soql_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/salesforce/soql"
)

func TestParseFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		in       string
		want     string // canonical text
	}{
		{"simple", "SELECT Id FROM Account", "SELECT Id FROM Account"},
		{"keywords any case, spaces collapse", "select  Id ,Name\n from Account where Name='x'", "SELECT Id, Name FROM Account WHERE Name = 'x'"},
		{"relationship path", "SELECT Id, Account.Owner.Name FROM Contact", "SELECT Id, Account.Owner.Name FROM Contact"},
		{"count", "SELECT count() FROM Account", "SELECT COUNT() FROM Account"},
		{"field named count", "SELECT Count FROM Thing__c", "SELECT Count FROM Thing__c"},
		{"object named Order", "SELECT Id FROM Order ORDER BY Id", "SELECT Id FROM Order ORDER BY Id"},
		{"not equal spellings", "SELECT Id FROM A WHERE X <> 1 AND Y != 2", "SELECT Id FROM A WHERE X != 1 AND Y != 2"},
		{"all comparison operators", "SELECT Id FROM A WHERE a < 1 OR b <= 2 OR c > 3 OR d >= 4 OR e = 5",
			"SELECT Id FROM A WHERE a < 1 OR b <= 2 OR c > 3 OR d >= 4 OR e = 5"},
		{"like", "SELECT Id FROM A WHERE Name like 'Ac%'", "SELECT Id FROM A WHERE Name LIKE 'Ac%'"},
		{"in and not in", "SELECT Id FROM A WHERE T IN ('a','b') AND U not in (1, 2.5, null)",
			"SELECT Id FROM A WHERE T IN ('a', 'b') AND U NOT IN (1, 2.5, null)"},
		{"nested parentheses", "SELECT Id FROM A WHERE (a = 1 OR b = 2) AND NOT (c = 3 AND d = 4)",
			"SELECT Id FROM A WHERE (a = 1 OR b = 2) AND NOT (c = 3 AND d = 4)"},
		{"redundant parentheses dropped", "SELECT Id FROM A WHERE ((a = 1))", "SELECT Id FROM A WHERE a = 1"},
		{"explicit grouping kept", "SELECT Id FROM A WHERE (a = 1 AND b = 2) AND c = 3", "SELECT Id FROM A WHERE (a = 1 AND b = 2) AND c = 3"},
		{"not of comparison", "SELECT Id FROM A WHERE NOT a = 1", "SELECT Id FROM A WHERE NOT a = 1"},
		{"booleans and null", "SELECT Id FROM A WHERE b = TRUE AND c = false AND d = NULL", "SELECT Id FROM A WHERE b = true AND c = false AND d = null"},
		{"numbers", "SELECT Id FROM A WHERE n > -1.50 AND m < +3 AND k = 007", "SELECT Id FROM A WHERE n > -1.5 AND m < 3 AND k = 7"},
		{"date", "SELECT Id FROM A WHERE d = 2024-01-15", "SELECT Id FROM A WHERE d = 2024-01-15"},
		{"datetime Z", "SELECT Id FROM A WHERE d > 2024-01-15T10:30:00Z", "SELECT Id FROM A WHERE d > 2024-01-15T10:30:00Z"},
		{"datetime +0000", "SELECT Id FROM A WHERE d > 2024-01-15T10:30:00+0000", "SELECT Id FROM A WHERE d > 2024-01-15T10:30:00Z"},
		{"datetime .000Z", "SELECT Id FROM A WHERE d > 2024-01-15T10:30:00.000Z", "SELECT Id FROM A WHERE d > 2024-01-15T10:30:00Z"},
		{"datetime millis", "SELECT Id FROM A WHERE d > 2024-01-15T10:30:00.250Z", "SELECT Id FROM A WHERE d > 2024-01-15T10:30:00.25Z"},
		{"datetime offset normalised", "SELECT Id FROM A WHERE d > 2024-01-15T10:30:00-05:00", "SELECT Id FROM A WHERE d > 2024-01-15T15:30:00Z"},
		{"relative dates", "SELECT Id FROM A WHERE d = today OR d = YESTERDAY OR d = LAST_N_DAYS:30 OR d = next_n_days : 2",
			"SELECT Id FROM A WHERE d = TODAY OR d = YESTERDAY OR d = LAST_N_DAYS:30 OR d = NEXT_N_DAYS:2"},
		{"string escapes", `SELECT Id FROM A WHERE s = 'it\'s a \\ \n\t\"x\" \N'`, `SELECT Id FROM A WHERE s = 'it\'s a \\ \n\t\"x\" \n'`},
		{"like escapes", `SELECT Id FROM A WHERE s LIKE '50\%\_%'`, `SELECT Id FROM A WHERE s LIKE '50\\%\\_%'`},
		{"unicode string", "SELECT Id FROM A WHERE s = 'Zürich ☃'", "SELECT Id FROM A WHERE s = 'Zürich ☃'"},
		{"order by", "SELECT Id FROM A ORDER BY Name DESC NULLS LAST, Id asc, X nulls first",
			"SELECT Id FROM A ORDER BY Name DESC NULLS LAST, Id, X NULLS FIRST"},
		{"limit offset", "SELECT Id FROM A LIMIT 10 OFFSET 20", "SELECT Id FROM A LIMIT 10 OFFSET 20"},
		{"offset zero dropped", "SELECT Id FROM A OFFSET 0", "SELECT Id FROM A"},
		{"everything", "SELECT Id, Name FROM Account WHERE SystemModstamp >= 2024-01-15T00:00:00Z AND Id > '001' ORDER BY SystemModstamp, Id LIMIT 2000",
			"SELECT Id, Name FROM Account WHERE SystemModstamp >= 2024-01-15T00:00:00Z AND Id > '001' ORDER BY SystemModstamp, Id LIMIT 2000"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			q, err := soql.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := q.String(); got != tt.want {
				t.Errorf("Parse(%q).String()\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	t.Parallel()
	q, err := soql.Parse(`SELECT Id FROM A WHERE s = 'a\'b' AND d = 2024-01-15T10:30:00.5+0100 AND n = 12.25 AND x LIKE '\%'`)
	if err != nil {
		t.Fatal(err)
	}
	terms := q.Where.(*soql.Logical).Terms
	if v := terms[0].(*soql.Comparison).Value.Value; v.Kind() != soql.KindString || v.Str() != "a'b" {
		t.Errorf("string literal = %#v", v)
	}
	v := terms[1].(*soql.Comparison).Value.Value
	if v.Kind() != soql.KindDateTime || v.Time().Format("2006-01-02T15:04:05.000Z07:00") != "2024-01-15T09:30:00.500Z" {
		t.Errorf("datetime literal = %#v", v)
	}
	if v := terms[2].(*soql.Comparison).Value.Value; v.Num() != 12.25 {
		t.Errorf("number literal = %#v", v)
	}
	if v := terms[3].(*soql.Comparison).Value.Value; v.Str() != `\%` {
		t.Errorf("LIKE escape kept = %#v", v)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		in       string
		want     string // Error()
	}{
		{"empty", "", "soql: MALFORMED_QUERY: unexpected token: <EOF> at Row:1:Column:1"},
		{"misspelt FROM", "SELECT Id FRM Account", "soql: MALFORMED_QUERY: unexpected token: 'FRM' at Row:1:Column:11"},
		{"missing object", "SELECT Id FROM", "soql: MALFORMED_QUERY: unexpected token: <EOF> at Row:1:Column:15"},
		{"trailing comma", "SELECT Id, FROM Account", "soql: MALFORMED_QUERY: unexpected token: 'FROM' at Row:1:Column:12"},
		{"second row", "SELECT Id\nFROM Account\nWHERE = 1", "soql: MALFORMED_QUERY: unexpected token: '=' at Row:3:Column:7"},
		{"column counts runes", "SELECT Id FROM A WHERE s = 'é' AND", "soql: MALFORMED_QUERY: unexpected token: <EOF> at Row:1:Column:35"},
		{"mixed AND OR", "SELECT Id FROM A WHERE a = 1 AND b = 2 OR c = 3", "soql: MALFORMED_QUERY: unexpected token: 'OR' at Row:1:Column:40"},
		{"unterminated string", "SELECT Id FROM A WHERE s = 'abc", "soql: MALFORMED_QUERY: unterminated string literal at Row:1:Column:28"},
		{"bad escape", `SELECT Id FROM A WHERE s = 'a\qb'`,
			`soql: MALFORMED_QUERY: Invalid string literal ''a'. Illegal character sequence '\q' in string literal. at Row:1:Column:30`},
		{"bad character", "SELECT Id FROM A WHERE s = #", "soql: MALFORMED_QUERY: unexpected token: '#' at Row:1:Column:28"},
		{"bad date", "SELECT Id FROM A WHERE d = 2024-02-30", "soql: MALFORMED_QUERY: invalid date: '2024-02-30' at Row:1:Column:28"},
		{"datetime without zone", "SELECT Id FROM A WHERE d = 2024-01-15T10:30:00", "soql: MALFORMED_QUERY: invalid datetime: '2024-01-15T10:30:00' at Row:1:Column:28"},
		{"datetime bad hour", "SELECT Id FROM A WHERE d = 2024-01-15T25:30:00Z", "soql: MALFORMED_QUERY: invalid datetime: '2024-01-15T25:30:00Z' at Row:1:Column:28"},
		{"limit zero", "SELECT Id FROM A LIMIT 0", "soql: MALFORMED_QUERY: invalid integer: '0' at Row:1:Column:24"},
		{"limit fraction", "SELECT Id FROM A LIMIT 1.5", "soql: MALFORMED_QUERY: invalid integer: '1.5' at Row:1:Column:24"},
		{"negative offset", "SELECT Id FROM A OFFSET -1", "soql: MALFORMED_QUERY: invalid integer: '-1' at Row:1:Column:25"},
		{"last n days without n", "SELECT Id FROM A WHERE d = LAST_N_DAYS", "soql: MALFORMED_QUERY: unexpected token: <EOF> at Row:1:Column:39"},
		{"unknown date literal", "SELECT Id FROM A WHERE d = LAST_MONTHS", "soql: MALFORMED_QUERY: unexpected token: 'LAST_MONTHS' at Row:1:Column:28"},
		{"reserved word as field", "SELECT Id FROM A WHERE limit = 1", "soql: MALFORMED_QUERY: unexpected token: 'limit' at Row:1:Column:24"},
		{"empty IN", "SELECT Id FROM A WHERE x IN ()", "soql: MALFORMED_QUERY: unexpected token: ')' at Row:1:Column:30"},
		{"trailing garbage", "SELECT Id FROM A LIMIT 5 5", "soql: MALFORMED_QUERY: unexpected token: '5' at Row:1:Column:26"},
		{"missing close paren", "SELECT Id FROM A WHERE (a = 1", "soql: MALFORMED_QUERY: unexpected token: <EOF> at Row:1:Column:30"},
		{"exponent not supported", "SELECT Id FROM A WHERE n = 1e5", "soql: MALFORMED_QUERY: unexpected token: 'e5' at Row:1:Column:29"},
		{"number out of range", "SELECT Id FROM A WHERE n = " + strings.Repeat("9", 400), "soql: MALFORMED_QUERY: invalid number: '" + strings.Repeat("9", 400) + "' at Row:1:Column:28"},
		{"too long", "SELECT Id FROM A WHERE s = '" + strings.Repeat("é", soql.MaxLength) + "'", fmt.Sprintf("soql: MALFORMED_QUERY: query of %d characters: the limit is 100000", soql.MaxLength+29)},
		{"NOTs nested too deep", "SELECT Id FROM A WHERE " + strings.Repeat("NOT ", 20_000) + "a = 1",
			"soql: QUERY_TOO_COMPLICATED: NOT and parentheses nested deeper than 64 at Row:1:Column:" + fmt.Sprint(24+4*soql.MaxDepth)},
		{"parentheses nested too deep", "SELECT Id FROM A WHERE " + strings.Repeat("(", 65) + "a = 1" + strings.Repeat(")", 65),
			"soql: QUERY_TOO_COMPLICATED: NOT and parentheses nested deeper than 64 at Row:1:Column:88"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			q, err := soql.Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%.80q) = %.80s, want error", tt.in, q)
			}
			var se *soql.Error
			if !errors.As(err, &se) || (se.Code != soql.CodeMalformedQuery && se.Code != soql.CodeQueryTooComplicated) {
				t.Fatalf("Parse(%.80q) error %v is not a MALFORMED_QUERY or QUERY_TOO_COMPLICATED *soql.Error", tt.in, err)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%.80q) error\n got %.200s\nwant %s", tt.in, err, tt.want)
			}
		})
	}
}

func TestErrorReport(t *testing.T) {
	t.Parallel()
	const in = "SELECT Id\nFROM Account WHERE"
	_, err := soql.Parse(in)
	var se *soql.Error
	if !errors.As(err, &se) {
		t.Fatalf("Parse: %v", err)
	}
	want := "\nFROM Account WHERE\n                  ^\nERROR at Row:2:Column:19\nunexpected token: <EOF>"
	if got := se.Report(in); got != want {
		t.Errorf("Report\n got %q\nwant %q", got, want)
	}
}
