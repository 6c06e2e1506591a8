package rest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

// invoiceObject is a custom object with one field of each type.
var invoiceObject = sffake.Object{
	Name: "Invoice__c", KeyPrefix: "a01",
	Fields: []sffake.Field{
		{Name: "Name", Type: sffake.TypeString},
		{Name: "Amount__c", Type: sffake.TypeCurrency},
		{Name: "Lines__c", Type: sffake.TypeInt},
		{Name: "Paid__c", Type: sffake.TypeBoolean},
		{Name: "Due__c", Type: sffake.TypeDate},
		{Name: "Sent__c", Type: sffake.TypeDateTime},
		{Name: "AccountId", Type: sffake.TypeReference},
	},
}

// start runs an emulator for the test.
func start(t testing.TB, opts ...sffake.Option) *sffake.Server {
	t.Helper()
	s, err := sffake.Start(append([]sffake.Option{sffake.WithObject(invoiceObject)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// staticClient returns a client of s with its static token and short
// backoffs; cfg's other fields are kept.
func staticClient(t testing.TB, s *sffake.Server, cfg rest.Config) *rest.Client {
	t.Helper()
	if cfg.Credentials == nil {
		cfg.Credentials = rest.StaticCredentials(rest.Token{AccessToken: oauth.Secret(s.AccessToken()), InstanceURL: s.URL()})
	}
	if cfg.BackoffMin == 0 {
		cfg.BackoffMin, cfg.BackoffMax = time.Millisecond, 5*time.Millisecond
	}
	c, err := rest.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// createAccounts creates n accounts named "Acct 0000"… in order and
// returns their ids.
func createAccounts(t testing.TB, s *sffake.Server, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		id, err := s.Create("Account", map[string]any{"Name": fmt.Sprintf("Acct %04d", i), "NumberOfEmployees": i})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}
