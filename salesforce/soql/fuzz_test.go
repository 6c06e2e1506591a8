package soql

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// clearPos zeroes the source positions Parse records, so that ASTs of
// different texts compare equal when their meaning is.
func clearPos(q *Query) {
	q.fieldPos, q.objectPos = nil, Pos{}
	for i := range q.OrderBy {
		q.OrderBy[i].pos = Pos{}
	}
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *Logical:
			for _, t := range e.Terms {
				walk(t)
			}
		case *NotExpr:
			walk(e.X)
		case *Comparison:
			e.pos = Pos{}
		case *InExpr:
			e.pos = Pos{}
		}
	}
	walk(q.Where)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"SELECT Id FROM Account",
		"SELECT Id, Name, Account.Owner.Name FROM Contact WHERE (a = 1 OR b != 'x') AND NOT c IN (1, 2) ORDER BY Name DESC NULLS LAST LIMIT 5 OFFSET 2",
		"SELECT COUNT() FROM A WHERE d = LAST_N_DAYS:3 AND t > 2024-01-15T10:30:00.000+0000 AND u < 2024-01-15",
		`SELECT Id FROM A WHERE s LIKE 'a\%\_\\\'b%' AND n >= -1.5 AND b = true AND z = null`,
		"select id from a where x not in ('a') and y <> 2 or z = 3",
		"SELECT Id FROM A WHERE NOT NOT (a = 1 AND (b = 2 OR c = 3))",
		"SELECT Id FROM A WHERE d = 2024-01-15T10:30:00-05:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		q, err := Parse(in)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Code != CodeMalformedQuery || se.Row < 1 || se.Column < 1 {
				t.Fatalf("Parse(%q) error %v is not a positioned MALFORMED_QUERY", in, err)
			}
			return
		}
		text := q.String()
		if _, err := q.Build(); err != nil {
			t.Fatalf("parsed query %q does not build: %v", text, err)
		}
		q2, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its formatting %q does not parse: %v", in, text, err)
		}
		clearPos(q)
		clearPos(q2)
		if !reflect.DeepEqual(q, q2) {
			t.Fatalf("round trip changed the query:\n in  %q\n out %q\n    %s", in, text, q2)
		}
		_ = q.Match(Map{}, fuzzNow)
	})
}

var fuzzNow = time.Date(2024, 1, 17, 15, 0, 0, 0, time.UTC)
