package rest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

func TestQueryPaging(t *testing.T) {
	t.Parallel()
	s := start(t)
	ids := createAccounts(t, s, 450)
	c := staticClient(t, s, rest.Config{})
	tests := []struct {
		scenario  string
		batch     int
		wantPages int
	}{
		{scenario: "batch 200, three pages", batch: 200, wantPages: 3},
		{scenario: "server default, one page", batch: 0, wantPages: 1},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			rows, err := c.Query(t.Context(), "SELECT Id, Name FROM Account ORDER BY Name", rest.QueryOptions{BatchSize: tt.batch})
			if err != nil {
				t.Fatal(err)
			}
			if rows.TotalSize() != 450 {
				t.Fatalf("total size %d", rows.TotalSize())
			}
			pages, lastNext := 1, rows.NextRecordsURL()
			var got []string
			for rec, err := range rows.All() {
				if err != nil {
					t.Fatal(err)
				}
				if n := rows.NextRecordsURL(); n != lastNext {
					pages, lastNext = pages+1, n
				}
				got = append(got, rec.ID())
				if name, _ := rec.String("Name"); name != fmt.Sprintf("Acct %04d", len(got)-1) || rec.Type != "Account" {
					t.Fatalf("record %d: %s %q", len(got)-1, rec.Type, name)
				}
			}
			if len(got) != len(ids) || pages != tt.wantPages {
				t.Fatalf("%d records in %d pages, want %d in %d", len(got), pages, len(ids), tt.wantPages)
			}
			for i := range ids {
				if got[i] != ids[i] {
					t.Fatalf("record %d is %s, want %s", i, got[i], ids[i])
				}
			}
		})
	}
}

// TestQueryFetchesAhead checks that the page after the one being read is
// requested before the reader reaches it, and no page more.
func TestQueryFetchesAhead(t *testing.T) {
	t.Parallel()
	s := start(t)
	createAccounts(t, s, 450)
	c := staticClient(t, s, rest.Config{})
	requests := func() int64 {
		l := s.Limits()["DailyApiRequests"]
		return l.Max - l.Remaining
	}
	before := requests()
	rows, err := c.Query(t.Context(), "SELECT Id FROM Account", rest.QueryOptions{BatchSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatalf("no first record: %v", rows.Err())
	}
	deadline := time.Now().Add(10 * time.Second)
	for requests()-before < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the second page was not requested while the first was read (%d requests)", requests()-before)
		}
		time.Sleep(5 * time.Millisecond)
	}
	n := 1
	for rows.Next() {
		n++
	}
	if rows.Err() != nil || n != 450 {
		t.Fatalf("%d records, %v", n, rows.Err())
	}
	if got := requests() - before; got != 3 {
		t.Fatalf("%d requests for 3 pages", got)
	}
}

func TestQueryAllIncludesDeleted(t *testing.T) {
	t.Parallel()
	s := start(t)
	ids := createAccounts(t, s, 5)
	if err := s.Delete(ids[1], ids[3]); err != nil {
		t.Fatal(err)
	}
	c := staticClient(t, s, rest.Config{})
	count := func(all bool) (n, deleted int) {
		q := c.Query
		if all {
			q = c.QueryAll
		}
		rows, err := q(t.Context(), "SELECT Id, IsDeleted FROM Account", rest.QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			n++
			if d, ok := rows.Record().Bool("IsDeleted"); !ok {
				t.Fatal("IsDeleted is not a boolean")
			} else if d {
				deleted++
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return n, deleted
	}
	if n, d := count(false); n != 3 || d != 0 {
		t.Fatalf("query: %d records, %d deleted", n, d)
	}
	if n, d := count(true); n != 5 || d != 2 {
		t.Fatalf("queryAll: %d records, %d deleted", n, d)
	}
}

func TestQueryTypedValues(t *testing.T) {
	t.Parallel()
	s := start(t)
	parent, err := s.Create("Account", map[string]any{"Name": "Parent Co", "BillingCity": "Zürich"})
	if err != nil {
		t.Fatal(err)
	}
	acct, err := s.Create("Account", map[string]any{"Name": "Child Co", "ParentId": parent})
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
	if _, err := s.Create("Invoice__c", map[string]any{
		"Name": "INV-1", "Amount__c": 1234.56, "Lines__c": 7, "Paid__c": true,
		"Due__c": time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), "Sent__c": sent, "AccountId": acct,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create("Invoice__c", map[string]any{"Name": "INV-2"}); err != nil {
		t.Fatal(err)
	}
	c := staticClient(t, s, rest.Config{})
	rows, err := c.Query(t.Context(), "SELECT Name, Amount__c, Lines__c, Paid__c, Due__c, Sent__c, Account.Name, Account.Parent.Name, Account.Parent.BillingCity FROM Invoice__c ORDER BY Name", rest.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var recs []rest.Record
	for rec, err := range rows.All() {
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	full, empty := recs[0], recs[1]
	if want := []string{"Name", "Amount__c", "Lines__c", "Paid__c", "Due__c", "Sent__c", "Account"}; strings.Join(full.Names, ",") != strings.Join(want, ",") {
		t.Fatalf("names %v", full.Names)
	}
	if n, ok := full.Number("Amount__c"); !ok || n.String() != "1234.56" {
		t.Fatalf("Amount__c %q %v", n, ok)
	}
	if n, ok := full.Int64("Lines__c"); !ok || n != 7 {
		t.Fatalf("Lines__c %d %v", n, ok)
	}
	if f, ok := full.Float64("amount__c"); !ok || f != 1234.56 {
		t.Fatalf("amount__c (any case) %v %v", f, ok)
	}
	if b, ok := full.Bool("Paid__c"); !ok || !b {
		t.Fatalf("Paid__c %v %v", b, ok)
	}
	if d, ok := full.Date("Due__c"); !ok || d != (rest.Date{Year: 2024, Month: time.February, Day: 29}) || d.String() != "2024-02-29" {
		t.Fatalf("Due__c %v %v", d, ok)
	}
	if ts, ok := full.DateTime("Sent__c"); !ok || !ts.Equal(sent) {
		t.Fatalf("Sent__c %v %v", ts, ok)
	}
	if s, ok := full.String("Account.Parent.BillingCity"); !ok || s != "Zürich" {
		t.Fatalf("relationship path %q %v", s, ok)
	}
	if p, ok := full.Related("Account.Parent"); !ok || p.Type != "Account" || p.ID() != parent {
		t.Fatalf("parent record %+v %v", p, ok)
	}
	for _, f := range []string{"Amount__c", "Lines__c", "Due__c", "Sent__c", "Account", "Account.Name", "Account.Parent.Name"} {
		if !empty.IsNull(f) {
			t.Errorf("%s of the empty invoice is not null", f)
		}
	}
	if b, ok := empty.Bool("Paid__c"); !ok || b {
		t.Errorf("unset checkbox %v %v, want false", b, ok)
	}
	if _, ok := empty.Get("Nope"); ok {
		t.Error("missing field found")
	}
	if _, ok := full.String("Amount__c"); ok {
		t.Error("a number read as a string")
	}
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := staticClient(t, s, rest.Config{})
	ctx := t.Context()

	d, err := c.Describe(ctx, "Invoice__c")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "Invoice__c" || d.KeyPrefix != "a01" || !d.Custom || d.Label == "" {
		t.Fatalf("describe %+v", d.SObject)
	}
	if f, ok := d.Field("Due__c"); !ok || f.Type != "date" || !f.Nillable {
		t.Fatalf("Due__c %+v", f)
	}
	if f, ok := d.Field("Id"); !ok || f.Type != "id" || f.Nillable {
		t.Fatalf("Id %+v", f)
	}

	objs, err := c.SObjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, o := range objs {
		found[o.Name] = o.Queryable
	}
	if !found["Account"] || !found["Invoice__c"] || !found["Territory2"] {
		t.Fatalf("sobjects %v", found)
	}

	limits, err := c.Limits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	api := limits[sffake.LimitDailyAPIRequests]
	if api.Max != 100_000 || api.Remaining >= api.Max || api.Remaining <= 0 {
		t.Fatalf("DailyApiRequests %+v", api)
	}

	vs, err := c.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	has := false
	for _, v := range vs {
		has = has || v.Version == "62.0" && v.URL == "/services/data/v62.0"
	}
	if !has {
		t.Fatalf("versions %v", vs)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	s := start(t)
	createAccounts(t, s, 3)
	c := staticClient(t, s, rest.Config{})
	badToken := staticClient(t, s, rest.Config{Credentials: rest.StaticCredentials(rest.Token{AccessToken: "00D!revoked-token", InstanceURL: s.URL()})})
	limited := start(t)
	limited.ExhaustLimit(sffake.LimitDailyAPIRequests)
	limitedClient := staticClient(t, limited, rest.Config{})

	query := func(c *rest.Client, q string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := c.Query(ctx, q, rest.QueryOptions{})
			return err
		}
	}
	tests := []struct {
		scenario string
		call     func(context.Context) error
		status   int
		code     string
		sentinel error
	}{
		{scenario: "malformed query", call: query(c, "SELEKT Id FROM Account"), status: 400, code: "MALFORMED_QUERY", sentinel: rest.ErrMalformedQuery},
		{scenario: "unknown field", call: query(c, "SELECT Nme FROM Account"), status: 400, code: "INVALID_FIELD", sentinel: rest.ErrInvalidField},
		{scenario: "unknown object", call: query(c, "SELECT Id FROM Nope__c"), status: 400, code: "INVALID_TYPE", sentinel: rest.ErrInvalidType},
		{scenario: "bad locator", call: func(ctx context.Context) error {
			_, err := c.QueryMore(ctx, "/services/data/v62.0/query/01gXXXXXXXXXXXXXXX-200", rest.QueryOptions{})
			return err
		}, status: 400, code: "INVALID_QUERY_LOCATOR", sentinel: rest.ErrQueryLocator},
		{scenario: "unknown object describe", call: func(ctx context.Context) error {
			_, err := c.Describe(ctx, "Nope__c")
			return err
		}, status: 404, code: "NOT_FOUND", sentinel: rest.ErrNotFound},
		{scenario: "rejected token", call: query(badToken, "SELECT Id FROM Account"), status: 401, code: "INVALID_SESSION_ID", sentinel: rest.ErrInvalidSession},
		{scenario: "daily limit", call: query(limitedClient, "SELECT Id FROM Account"), status: 403, code: "REQUEST_LIMIT_EXCEEDED", sentinel: rest.ErrRequestLimit},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			err := tt.call(t.Context())
			var e *rest.Error
			if !errors.As(err, &e) || e.StatusCode != tt.status || e.Code != tt.code || e.Message == "" {
				t.Fatalf("got %v, want http %d %s", err, tt.status, tt.code)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("%v is not %v", err, tt.sentinel)
			}
			if rest.IsRetryable(err) {
				t.Fatalf("%v is retryable", err)
			}
			if msg := err.Error(); strings.Contains(msg, s.AccessToken()) || strings.Contains(msg, "revoked-token") {
				t.Fatalf("error leaks the token: %s", msg)
			}
		})
	}
}

// countingFetcher hands out the emulator's tokens through its OAuth
// endpoint and counts the fetches.
type countingFetcher struct {
	c *oauth.Client
	n atomic.Int32
}

func (f *countingFetcher) Fetch(ctx context.Context) (oauth.Token, error) {
	f.n.Add(1)
	return f.c.Fetch(ctx)
}

func TestSessionRefresh(t *testing.T) {
	t.Parallel()
	const key, secret = "3MVG9rest.test", "rest-secret"
	s := start(t, sffake.WithConnectedApp(sffake.App{ConsumerKey: key, ConsumerSecret: secret, Username: "integration@example.com"}))
	createAccounts(t, s, 2)
	oc, err := oauth.NewClient(oauth.Config{Grant: oauth.GrantClientCredentials, LoginURL: s.URL(), ClientID: key, ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	f := &countingFetcher{c: oc}
	ts := oauth.NewTokenSource(f)
	c := staticClient(t, s, rest.Config{Credentials: rest.OAuthCredentials(ts), MaxRetries: -1})
	ctx := t.Context()
	if _, err := c.Query(ctx, "SELECT Id FROM Account", rest.QueryOptions{}); err != nil {
		t.Fatal(err)
	}
	first, err := ts.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.RevokeToken(string(first.AccessToken))
	rows, err := c.Query(ctx, "SELECT Id FROM Account", rest.QueryOptions{})
	if err != nil {
		t.Fatalf("query after revoke: %v", err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if rows.Err() != nil || n != 2 {
		t.Fatalf("%d records, %v", n, rows.Err())
	}
	second, _ := ts.Token(ctx)
	if f.n.Load() != 2 || second.AccessToken == first.AccessToken {
		t.Fatalf("%d fetches; token changed: %v", f.n.Load(), second.AccessToken != first.AccessToken)
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario   string
		fault      sffake.HTTPFault
		failures   int
		maxRetries int
		wantErr    bool
		wantStatus int
		wantCode   string
	}{
		{scenario: "503 maintenance page, recovers", fault: sffake.HTTPFault{Status: 503}, failures: 2, maxRetries: 3},
		{scenario: "500 UNKNOWN_EXCEPTION, recovers", fault: sffake.HTTPFault{Status: 500, ErrorCode: "UNKNOWN_EXCEPTION"}, failures: 3, maxRetries: 3},
		{scenario: "connection dropped, recovers", fault: sffake.HTTPFault{Hangup: true}, failures: 2, maxRetries: 3},
		{scenario: "429, recovers", fault: sffake.HTTPFault{Status: 429}, failures: 1, maxRetries: 1},
		{scenario: "500 beyond max retries", fault: sffake.HTTPFault{Status: 500, ErrorCode: "UNKNOWN_EXCEPTION"}, failures: 4, maxRetries: 3, wantErr: true, wantStatus: 500, wantCode: "UNKNOWN_EXCEPTION"},
		{scenario: "retries disabled", fault: sffake.HTTPFault{Status: 502}, failures: 1, maxRetries: -1, wantErr: true, wantStatus: 502},
		{scenario: "concurrent request limit is retried", fault: sffake.HTTPFault{Status: 403, ErrorCode: "REQUEST_LIMIT_EXCEEDED", Message: "ConcurrentPerOrgLongTxn Limit exceeded"}, failures: 1, maxRetries: 1},
		{scenario: "400 is not retried", fault: sffake.HTTPFault{Status: 400, ErrorCode: "INVALID_FIELD", Message: "No such column"}, failures: 1, maxRetries: 3, wantErr: true, wantStatus: 400, wantCode: "INVALID_FIELD"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			s := start(t)
			createAccounts(t, s, 1)
			c := staticClient(t, s, rest.Config{MaxRetries: tt.maxRetries})
			s.FailNextHTTP(tt.failures, tt.fault)
			_, err := c.Query(t.Context(), "SELECT Id FROM Account", rest.QueryOptions{})
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *rest.Error
			if !errors.As(err, &e) || e.StatusCode != tt.wantStatus || e.Code != tt.wantCode {
				t.Fatalf("got %v, want http %d %q", err, tt.wantStatus, tt.wantCode)
			}
			if strings.Contains(err.Error(), "<html>") || strings.Contains(err.Error(), "Injected") && tt.wantCode == "" {
				t.Fatalf("error echoes a non-Salesforce body: %v", err)
			}
		})
	}
}

func TestRetryStopsWithContext(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := staticClient(t, s, rest.Config{MaxRetries: 1000, BackoffMin: time.Hour, BackoffMax: time.Hour})
	s.FailNextHTTP(1, sffake.HTTPFault{Status: 503})
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Limits(ctx)
		errc <- err
	}()
	// The first attempt fails at once; the client then waits an hour,
	// which only cancellation can cut short.
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestCancelMidIteration(t *testing.T) {
	t.Parallel()
	s := start(t)
	createAccounts(t, s, 450)
	c := staticClient(t, s, rest.Config{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rows, err := c.Query(ctx, "SELECT Id FROM Account", rest.QueryOptions{BatchSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
		if n == 150 {
			cancel()
		}
	}
	if n != 150 || !errors.Is(rows.Err(), context.Canceled) {
		t.Fatalf("%d records, err %v", n, rows.Err())
	}
	if rows.Next() {
		t.Fatal("Next after an error")
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	creds := rest.StaticCredentials(rest.Token{AccessToken: "x", InstanceURL: "https://example.my.salesforce.com"})
	tests := []struct {
		scenario string
		cfg      rest.Config
		ok       bool
	}{
		{scenario: "minimal", cfg: rest.Config{Credentials: creds}, ok: true},
		{scenario: "no credentials", cfg: rest.Config{}},
		{scenario: "bad instance url", cfg: rest.Config{Credentials: creds, InstanceURL: "mydomain"}},
		{scenario: "bad version", cfg: rest.Config{Credentials: creds, APIVersion: "62"}},
		{scenario: "version without v", cfg: rest.Config{Credentials: creds, APIVersion: "61.0"}, ok: true},
		{scenario: "negative backoff", cfg: rest.Config{Credentials: creds, BackoffMin: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			c, err := rest.New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("New: %v", err)
			}
			if err == nil && tt.cfg.APIVersion == "61.0" && c.DataPath("sobjects", "A b") != "/services/data/v61.0/sobjects/A%20b" {
				t.Fatalf("data path %s", c.DataPath("sobjects", "A b"))
			}
		})
	}
}

// TestQueryIncompleteListing checks that a listing whose pages end before
// its records do is an error, not a short listing: a caller that deletes
// what is absent must never act on one.
func TestQueryIncompleteListing(t *testing.T) {
	t.Parallel()
	page := func(done bool, next string, total int, ids ...string) string {
		recs := make([]string, len(ids))
		for i, id := range ids {
			recs[i] = fmt.Sprintf(`{"attributes":{"type":"Account"},"Id":%q}`, id)
		}
		n := ""
		if next != "" {
			n = fmt.Sprintf(`,"nextRecordsUrl":%q`, next)
		}
		return fmt.Sprintf(`{"totalSize":%d,"done":%t%s,"records":[%s]}`, total, done, n, strings.Join(recs, ","))
	}
	const more = "/services/data/v60.0/query/01gxx-2000"
	tests := []struct {
		scenario string
		soql     string
		pages    map[string]string // by path
		want     string            // the error's end, "" for none
		sentinel error
	}{
		{scenario: "whole", soql: "SELECT Id FROM Account", pages: map[string]string{
			"first": page(false, more, 3, "001A", "001B"), more: page(true, "", 3, "001C")}},
		{scenario: "done=false without next", soql: "SELECT Id FROM Account", pages: map[string]string{
			"first": page(false, more, 3, "001A", "001B"), more: page(false, "", 3, "001C")},
			want: "malformed response: not done and no nextRecordsUrl", sentinel: rest.ErrMalformedResponse},
		{scenario: "fewer than totalSize", soql: "SELECT Id FROM Account", pages: map[string]string{
			"first": page(false, more, 5, "001A", "001B"), more: page(true, "", 5, "001C")},
			want: "salesforce rest: incomplete query listing: 3 records read, the query's totalSize is 5", sentinel: rest.ErrIncompleteListing},
		{scenario: "more than totalSize", soql: "SELECT Id FROM Account", pages: map[string]string{
			"first": page(true, "", 1, "001A", "001B")},
			want: "salesforce rest: incomplete query listing: 2 records read, the query's totalSize is 1", sentinel: rest.ErrIncompleteListing},
		{scenario: "count query", soql: "select  count( ) FROM Account", pages: map[string]string{
			"first": page(true, "", 42)}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, ok := tt.pages[r.URL.Path]
				if strings.HasSuffix(r.URL.Path, "/query") {
					body, ok = tt.pages["first"], true
				}
				if !ok {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, body)
			}))
			t.Cleanup(srv.Close)
			c, err := rest.New(rest.Config{Credentials: rest.StaticCredentials(rest.Token{AccessToken: "t", InstanceURL: srv.URL})})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := c.Query(t.Context(), tt.soql, rest.QueryOptions{})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			err = rows.Err()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("after %d records: %v", n, err)
			case tt.want != "" && (err == nil || !strings.HasSuffix(err.Error(), tt.want) || !errors.Is(err, tt.sentinel)):
				t.Fatalf("after %d records: %v, want %s", n, err, tt.want)
			}
		})
	}
}
