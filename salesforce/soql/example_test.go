package soql_test

import (
	"fmt"
	"time"

	"github.com/sfsync/sfsync/salesforce/soql"
)

func ExampleQuery_Build() {
	since := time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
	q := soql.Query{
		Fields:  []string{"Id", "Name"},
		Object:  "Account",
		Where:   soql.And(soql.Cmp("SystemModstamp", soql.OpGt, soql.DateTime(since)), soql.Cmp("Name", soql.OpNe, soql.String("O'Brien"))),
		OrderBy: []soql.Order{{Field: "SystemModstamp"}, {Field: "Id"}},
		Limit:   2000,
	}
	text, err := q.Build()
	if err != nil {
		panic(err)
	}
	fmt.Println(text)
	// Output: SELECT Id, Name FROM Account WHERE SystemModstamp > 2024-01-15T10:30:00Z AND Name != 'O\'Brien' ORDER BY SystemModstamp, Id LIMIT 2000
}

func ExampleRun() {
	q, err := soql.Parse("SELECT Id FROM Account WHERE Name LIKE 'a%' ORDER BY Name DESC")
	if err != nil {
		panic(err)
	}
	recs := []soql.Map{
		{"Id": soql.String("1"), "Name": soql.String("Acme")},
		{"Id": soql.String("2"), "Name": soql.String("Globex")},
		{"Id": soql.String("3"), "Name": soql.String("Aperture")},
	}
	for _, r := range soql.Run(q, recs, time.Now()) {
		fmt.Println(r["Id"].Str(), r["Name"].Str())
	}
	// Output:
	// 3 Aperture
	// 1 Acme
}
