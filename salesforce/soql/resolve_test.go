package soql_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/salesforce/soql"
)

// describer is an in-memory object definition: object → lower-case field
// name → definition.
type describer map[string]map[string]soql.FieldDef

func (d describer) Object(name string) (string, bool) {
	for o := range d {
		if strings.EqualFold(o, name) {
			return o, true
		}
	}
	return "", false
}

func (d describer) Field(object, name string) (soql.FieldDef, bool) {
	f, ok := d[object][strings.ToLower(name)]
	return f, ok
}

func fields(defs ...soql.FieldDef) map[string]soql.FieldDef {
	m := make(map[string]soql.FieldDef, len(defs))
	for _, d := range defs {
		m[strings.ToLower(d.Name)] = d
	}
	return m
}

var org = describer{
	"Account": fields(
		soql.FieldDef{Name: "Id", Type: soql.TypeID},
		soql.FieldDef{Name: "Name", Type: soql.TypeString},
		soql.FieldDef{Name: "AnnualRevenue", Type: soql.TypeNumber},
		soql.FieldDef{Name: "IsDeleted", Type: soql.TypeBoolean},
		soql.FieldDef{Name: "LastActivityDate", Type: soql.TypeDate},
		soql.FieldDef{Name: "SystemModstamp", Type: soql.TypeDateTime},
		soql.FieldDef{Name: "Owner", Type: soql.TypeRelationship, ReferenceTo: "User"},
		soql.FieldDef{Name: "Region__c", Type: soql.TypeString},
	),
	"User": fields(
		soql.FieldDef{Name: "Id", Type: soql.TypeID},
		soql.FieldDef{Name: "Username", Type: soql.TypeString},
	),
}

func TestResolveCanonicalNames(t *testing.T) {
	t.Parallel()
	q, err := soql.Parse("select id, NAME, owner.USERNAME from account where region__C = 'x' and ISDELETED = false order by systemmodstamp desc")
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Resolve(org); err != nil {
		t.Fatal(err)
	}
	want := "SELECT Id, Name, Owner.Username FROM Account WHERE Region__c = 'x' AND IsDeleted = false ORDER BY SystemModstamp DESC"
	if got := q.String(); got != want {
		t.Errorf("resolved\n got %s\nwant %s", got, want)
	}
}

func TestResolveErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		in       string
		code     string
		want     string // Error()
	}{
		{"unknown object", "SELECT Id FROM Acount", soql.CodeInvalidType,
			"soql: INVALID_TYPE: sObject type 'Acount' is not supported at Row:1:Column:16"},
		{"unknown selected field", "SELECT Id, Nme FROM Account", soql.CodeInvalidField,
			"soql: INVALID_FIELD: No such column 'Nme' on entity 'Account' at Row:1:Column:12"},
		{"unknown filter field", "SELECT Id FROM Account WHERE Foo__c = 1", soql.CodeInvalidField,
			"soql: INVALID_FIELD: No such column 'Foo__c' on entity 'Account' at Row:1:Column:30"},
		{"unknown order field", "SELECT Id FROM Account ORDER BY Bar", soql.CodeInvalidField,
			"soql: INVALID_FIELD: No such column 'Bar' on entity 'Account' at Row:1:Column:33"},
		{"unknown field behind relationship", "SELECT Owner.Email FROM Account", soql.CodeInvalidField,
			"soql: INVALID_FIELD: No such column 'Email' on entity 'User' at Row:1:Column:8"},
		{"unknown relationship", "SELECT Parent.Name FROM Account", soql.CodeInvalidField,
			"soql: INVALID_FIELD: Didn't understand relationship 'Parent' in field path at Row:1:Column:8"},
		{"field used as relationship", "SELECT Name.Id FROM Account", soql.CodeInvalidField,
			"soql: INVALID_FIELD: Didn't understand relationship 'Name' in field path at Row:1:Column:8"},
		{"relationship selected alone", "SELECT Owner FROM Account", soql.CodeInvalidField,
			"soql: INVALID_FIELD: No such column 'Owner' on entity 'Account' at Row:1:Column:8"},
		{"LIKE on a number", "SELECT Id FROM Account WHERE AnnualRevenue LIKE '1%'", soql.CodeInvalidFilterOperator,
			"soql: INVALID_QUERY_FILTER_OPERATOR: invalid operator on field 'AnnualRevenue' of type double: LIKE at Row:1:Column:30"},
		{"LIKE on a date", "SELECT Id FROM Account WHERE LastActivityDate LIKE '2024%'", soql.CodeInvalidFilterOperator,
			"soql: INVALID_QUERY_FILTER_OPERATOR: invalid operator on field 'LastActivityDate' of type date: LIKE at Row:1:Column:30"},
		{"ordering a boolean", "SELECT Id FROM Account WHERE IsDeleted > false", soql.CodeInvalidFilterOperator,
			"soql: INVALID_QUERY_FILTER_OPERATOR: invalid operator on field 'IsDeleted' of type boolean: > at Row:1:Column:30"},
		{"number for text", "SELECT Id FROM Account WHERE Name = 5", soql.CodeInvalidField,
			"soql: INVALID_FIELD: value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes at Row:1:Column:30"},
		{"quoted number", "SELECT Id FROM Account WHERE AnnualRevenue > '5'", soql.CodeInvalidField,
			"soql: INVALID_FIELD: value of filter criterion for field 'AnnualRevenue' must be of type double and should not be enclosed in quotes at Row:1:Column:30"},
		{"date for datetime", "SELECT Id FROM Account WHERE SystemModstamp > 2024-01-15", soql.CodeInvalidField,
			"soql: INVALID_FIELD: value of filter criterion for field 'SystemModstamp' must be of type dateTime and should not be enclosed in quotes at Row:1:Column:30"},
		{"datetime for date", "SELECT Id FROM Account WHERE LastActivityDate > 2024-01-15T00:00:00Z", soql.CodeInvalidField,
			"soql: INVALID_FIELD: value of filter criterion for field 'LastActivityDate' must be of type date and should not be enclosed in quotes at Row:1:Column:30"},
		{"relative date for id", "SELECT Id FROM Account WHERE Id = TODAY", soql.CodeInvalidField,
			"soql: INVALID_FIELD: value of filter criterion for field 'Id' must be of type id and should be enclosed in quotes at Row:1:Column:30"},
		{"bad IN element", "SELECT Id FROM Account WHERE (Name = 'a') AND NOT Id IN ('x', 3)", soql.CodeInvalidField,
			"soql: INVALID_FIELD: value of filter criterion for field 'Id' must be of type id and should be enclosed in quotes at Row:1:Column:51"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			q, err := soql.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			err = q.Resolve(org)
			var se *soql.Error
			if !errors.As(err, &se) {
				t.Fatalf("Resolve(%q) = %v, want *soql.Error", tt.in, err)
			}
			if se.Code != tt.code || err.Error() != tt.want {
				t.Errorf("Resolve(%q)\n got %s (%s)\nwant %s", tt.in, err, se.Code, tt.want)
			}
		})
	}
}

func TestResolveAcceptsTypedLiterals(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"SELECT Id FROM Account WHERE Name = null AND AnnualRevenue != null",
		"SELECT Id FROM Account WHERE LastActivityDate = LAST_N_DAYS:7 AND SystemModstamp < TODAY",
		"SELECT Id FROM Account WHERE LastActivityDate IN (2024-01-15, null) AND SystemModstamp >= 2024-01-15T00:00:00Z",
		"SELECT Id FROM Account WHERE IsDeleted = true AND Name LIKE 'a%' AND Id IN ('001')",
		"SELECT COUNT() FROM Account",
	} {
		q, err := soql.Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if err := q.Resolve(org); err != nil {
			t.Errorf("Resolve(%q): %v", in, err)
		}
	}
}
