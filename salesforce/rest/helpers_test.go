package rest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/sffaketest"
)

// start runs an emulator for the test, with the Invoice__c object.
func start(t testing.TB, opts ...sffake.Option) *sffake.Server {
	t.Helper()
	return sffaketest.Start(t, append([]sffake.Option{sffake.WithObject(sffaketest.Invoice)}, opts...)...)
}

// staticClient returns a client of s with its static token and short
// backoffs; cfg's other fields are kept.
func staticClient(t testing.TB, s *sffake.Server, cfg rest.Config) *rest.Client {
	t.Helper()
	if cfg.Credentials == nil {
		cfg.Credentials = rest.StaticCredentials(s.Bearer())
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
