package sffaketest

import (
	"testing"

	"github.com/sfsync/sfsync/salesforce/sffake"
)

// Invoice is a custom object, Invoice__c with key prefix a01, with a
// field of every scalar type and a reference to an Account.
var Invoice = sffake.Object{
	Name: "Invoice__c", KeyPrefix: "a01",
	Fields: []sffake.Field{
		{Name: "Name", Type: sffake.TypeString},
		{Name: "Amount__c", Type: sffake.TypeCurrency},
		{Name: "Lines__c", Type: sffake.TypeInt},
		{Name: "Paid__c", Type: sffake.TypeBoolean},
		{Name: "Due__c", Type: sffake.TypeDate},
		{Name: "Sent__c", Type: sffake.TypeDateTime},
		{Name: "Cutoff__c", Type: sffake.TypeTime},
		{Name: "AccountId", Type: sffake.TypeReference},
	},
}

// Start starts an emulator with opts that closes when the test ends,
// and fails the test when it cannot start.
func Start(tb testing.TB, opts ...sffake.Option) *sffake.Server {
	tb.Helper()
	s, err := sffake.Start(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}
