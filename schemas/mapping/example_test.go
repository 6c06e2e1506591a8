package mapping_test

import (
	"fmt"

	"github.com/sfsync/sfsync/schemas/mapping"
)

func ExampleParse() {
	m, err := mapping.Parse("accounts.yaml", []byte(`
objects:
  Account:
    partition_key: Territory_Key__c
    fields:
      Id: varchar(18)
      AnnualRevenue: numeric(18,2)
      BillingCity: {source: BillingAddress.City, type: text}
      Territory_Key__c: {column: territory_key, type: varchar(18)}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	account := m.Object("Account")
	fmt.Println(account.Table, account.Topic, account.KafkaTopic, account.PartitionKey)
	for _, f := range account.Fields {
		fmt.Printf("%s <- %s: %s %s\n", f.Name, f.Source, f.Column, f.Type)
	}
	// Output:
	// account /data/AccountChangeEvent sfsync.account Territory_Key__c
	// Id <- Id: id varchar(18)
	// AnnualRevenue <- AnnualRevenue: annualrevenue numeric(18,2)
	// BillingCity <- BillingAddress.City: billingcity text
	// Territory_Key__c <- Territory_Key__c: territory_key varchar(18)
}

func ExampleParse_errors() {
	_, err := mapping.Parse("accounts.yaml", []byte(`
objects:
  Account:
    tabel: accounts
    fields:
      Id: int
      Name: text
      name: text
`))
	fmt.Println(err)
	// Output:
	// accounts.yaml:4:5: Account: unknown key "tabel" (did you mean table?)
	// accounts.yaml:6:11: Account.Id: unknown type "int" (use integer)
	// accounts.yaml:8:7: Account: duplicate field name (first at line 7)
}
