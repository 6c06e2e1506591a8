package soql_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/soql"
)

func TestQuote(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		in       string
		want     string
	}{
		{"plain", "Acme", `'Acme'`},
		{"empty", "", `''`},
		{"quote", "O'Brien", `'O\'Brien'`},
		{"backslash", `a\b`, `'a\\b'`},
		{"control characters", "a\nb\rc\td\be\ff", `'a\nb\rc\td\be\ff'`},
		{"double quote", `say "hi"`, `'say \"hi\"'`},
		{"wildcards untouched", "50%_", `'50%_'`},
		{"injection stays inside the literal", "x' OR Name != '", `'x\' OR Name != \''`},
		{"unicode", "Zürich", `'Zürich'`},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			got := soql.Quote(tt.in)
			if got != tt.want {
				t.Fatalf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
			}
			// The quoted text parses back to the original string.
			q, err := soql.Parse("SELECT Id FROM A WHERE Name = " + got)
			if err != nil {
				t.Fatalf("parse quoted: %v", err)
			}
			if v := q.Where.(*soql.Comparison).Value.Value.Str(); v != tt.in {
				t.Errorf("round trip = %q, want %q", v, tt.in)
			}
		})
	}
}

func TestQuoteLike(t *testing.T) {
	t.Parallel()
	q := &soql.Query{Fields: []string{"Id"}, Object: "A",
		Where: soql.Cmp("Name", soql.OpLike, soql.String(soql.LikeEscape("50%_off")+"%"))}
	text, err := q.Build()
	if err != nil {
		t.Fatal(err)
	}
	if want := `SELECT Id FROM A WHERE Name LIKE '50\\%\\_off%'`; text != want {
		t.Errorf("Build = %s, want %s", text, want)
	}
	parsed, err := soql.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	for value, want := range map[string]bool{"50%_off sale": true, "50x_off": false, "50%xoff": false} {
		if got := parsed.Match(soql.Map{"Name": soql.String(value)}, now); got != want {
			t.Errorf("%q matched %v, want %v", value, got, want)
		}
	}
	if got := soql.QuoteLike("a%b_c"); got != `'a\\%b\\_c'` {
		t.Errorf("QuoteLike = %s", got)
	}
}

func TestFormatDates(t *testing.T) {
	t.Parallel()
	paris := time.FixedZone("CET", 3600)
	tm := time.Date(2024, 1, 15, 11, 30, 0, 0, paris)
	if got := soql.FormatDateTime(tm); got != "2024-01-15T10:30:00Z" {
		t.Errorf("FormatDateTime = %s", got)
	}
	if got := soql.FormatDateTime(tm.Add(250 * time.Millisecond)); got != "2024-01-15T10:30:00.25Z" {
		t.Errorf("FormatDateTime with millis = %s", got)
	}
	if got := soql.FormatDate(tm); got != "2024-01-15" {
		t.Errorf("FormatDate = %s", got)
	}
	if got := soql.Date(time.Date(2024, 1, 15, 23, 30, 0, 0, paris)).String(); got != "2024-01-15" {
		t.Errorf("Date value = %s", got)
	}
}

func TestBuild(t *testing.T) {
	t.Parallel()
	since := time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		scenario string
		query    soql.Query
		want     string
		wantErr  bool
	}{
		{
			scenario: "reconciler poll",
			query: soql.Query{
				Fields: []string{"Id", "Name", "Owner.Username"},
				Object: "Account",
				Where: soql.And(
					soql.Cmp("SystemModstamp", soql.OpGe, soql.DateTime(since)),
					soql.Or(soql.Cmp("Name", soql.OpEq, soql.String("O'Brien")), soql.In("Region__c", soql.String("EMEA"), soql.Null())),
					soql.Not(soql.NotIn("Id", soql.String("001"))),
				),
				OrderBy: []soql.Order{{Field: "SystemModstamp"}, {Field: "Id", Desc: true, Nulls: soql.NullsLast}},
				Limit:   2000,
				Offset:  10,
			},
			want: `SELECT Id, Name, Owner.Username FROM Account WHERE SystemModstamp >= 2024-01-15T10:30:00Z AND ` +
				`(Name = 'O\'Brien' OR Region__c IN ('EMEA', null)) AND NOT Id NOT IN ('001') ` +
				`ORDER BY SystemModstamp, Id DESC NULLS LAST LIMIT 2000 OFFSET 10`,
		},
		{scenario: "count", query: soql.Query{Count: true, Object: "Account", Where: soql.Cmp("LastActivityDate", soql.OpEq, soql.Null())},
			want: "SELECT COUNT() FROM Account WHERE LastActivityDate = null"},
		{scenario: "relative date", query: soql.Query{Fields: []string{"Id"}, Object: "A",
			Where: &soql.Comparison{Field: "D", Op: soql.OpGt, Value: soql.Literal{Relative: "LAST_N_DAYS", N: 3}}},
			want: "SELECT Id FROM A WHERE D > LAST_N_DAYS:3"},
		{scenario: "field injection", query: soql.Query{Fields: []string{"Id FROM User --"}, Object: "A"}, wantErr: true},
		{scenario: "object injection", query: soql.Query{Fields: []string{"Id"}, Object: "A WHERE"}, wantErr: true},
		{scenario: "reserved field", query: soql.Query{Fields: []string{"Limit"}, Object: "A"}, wantErr: true},
		{scenario: "no fields", query: soql.Query{Object: "A"}, wantErr: true},
		{scenario: "fields and count", query: soql.Query{Fields: []string{"Id"}, Count: true, Object: "A"}, wantErr: true},
		{scenario: "bad path", query: soql.Query{Fields: []string{"Account..Name"}, Object: "A"}, wantErr: true},
		{scenario: "filter field injection", query: soql.Query{Fields: []string{"Id"}, Object: "A", Where: soql.Cmp("x = 1 OR y", soql.OpEq, soql.Number(1))}, wantErr: true},
		{scenario: "empty logical", query: soql.Query{Fields: []string{"Id"}, Object: "A", Where: &soql.Logical{}}, wantErr: true},
		{scenario: "empty IN", query: soql.Query{Fields: []string{"Id"}, Object: "A", Where: soql.In("Id")}, wantErr: true},
		{scenario: "unknown relative date", query: soql.Query{Fields: []string{"Id"}, Object: "A",
			Where: &soql.Comparison{Field: "D", Value: soql.Literal{Relative: "NOW"}}}, wantErr: true},
		{scenario: "negative limit", query: soql.Query{Fields: []string{"Id"}, Object: "A", Limit: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			got, err := tt.query.Build()
			if tt.wantErr {
				if !errors.Is(err, soql.ErrInvalidQuery) {
					t.Fatalf("Build = %q, %v; want ErrInvalidQuery", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Build\n got %s\nwant %s", got, tt.want)
			}
			q, err := soql.Parse(got)
			if err != nil {
				t.Fatalf("built query does not parse: %v", err)
			}
			if q.String() != got {
				t.Errorf("re-formatted = %s", q.String())
			}
		})
	}
}
