package sffake_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/sffaketest"
)

// BenchmarkCreate200 creates 200 accounts per operation in one
// transaction, through the Go API and through an sObject Collections
// call over HTTP, so that the cost of the REST layer (HTTP, JSON, field
// conversion) reads as the ratio of the two.
func BenchmarkCreate200(b *testing.B) {
	fields := func(i int) map[string]any {
		return map[string]any{"Name": fmt.Sprint("Acme ", i), "Phone": "555-0100", "BillingCity": "Lyon", "NumberOfEmployees": i}
	}
	b.Run("go-api", func(b *testing.B) {
		s := sffaketest.Start(b)
		for b.Loop() {
			if _, err := s.Transact(func(tx *sffake.Tx) error {
				for i := range 200 {
					if _, err := tx.Create("Account", fields(i)); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(200*b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("rest-collection", func(b *testing.B) {
		s := sffaketest.Start(b)
		var recs []string
		for i := range 200 {
			recs = append(recs, fmt.Sprintf(`{"attributes":{"type":"Account"},"Name":"Acme %d","Phone":"555-0100","BillingCity":"Lyon","NumberOfEmployees":%d}`, i, i))
		}
		body := `{"allOrNone":true,"records":[` + strings.Join(recs, ",") + `]}`
		for b.Loop() {
			req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, s.URL()+"/services/data/v62.0/composite/sobjects", strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+s.AccessToken())
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
		b.ReportMetric(float64(200*b.N)/b.Elapsed().Seconds(), "records/s")
	})
}
