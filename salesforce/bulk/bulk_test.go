package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/bulk"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/sffaketest"
)

func start(t *testing.T, opts ...sffake.Option) *sffake.Server {
	t.Helper()
	return sffaketest.Start(t, append([]sffake.Option{sffake.WithObject(sffaketest.Invoice)}, opts...)...)
}

func client(t *testing.T, s *sffake.Server) *bulk.Client {
	t.Helper()
	rc, err := rest.New(rest.Config{
		Credentials: rest.StaticCredentials(s.Bearer()),
		BackoffMin:  time.Millisecond, BackoffMax: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return bulk.New(rc, nil)
}

// fast are options for emulators whose jobs finish at once.
var fast = bulk.Options{PollInterval: time.Millisecond, PollMax: 5 * time.Millisecond}

func createAccounts(t *testing.T, s *sffake.Server, n int) {
	t.Helper()
	for i := range n {
		if _, err := s.Create("Account", map[string]any{"Name": fmt.Sprintf("Acct %03d", i), "NumberOfEmployees": i}); err != nil {
			t.Fatal(err)
		}
	}
}

// readAll reads the remaining rows as "Name=NumberOfEmployees".
func readAll(t *testing.T, rows *bulk.Rows) []string {
	t.Helper()
	var out []string
	for row, err := range rows.All() {
		if err != nil {
			t.Fatal(err)
		}
		name, _ := row.Get("Name")
		n, _ := row.Get("NumberOfEmployees")
		out = append(out, name+"="+n)
	}
	return out
}

func wantSequence(t *testing.T, got []string, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%d rows, want %d", len(got), n)
	}
	for i, g := range got {
		if want := fmt.Sprintf("Acct %03d=%d", i, i); g != want {
			t.Fatalf("row %d is %q, want %q", i, g, want)
		}
	}
}

func TestQueryEndToEnd(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithBulkJobDelay(time.Millisecond))
	createAccounts(t, s, 35)
	c := client(t, s)
	tests := []struct {
		scenario string
		keep     bool
	}{
		{scenario: "job deleted after the read"},
		{scenario: "job kept", keep: true},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			opts := fast
			opts.MaxRecords, opts.KeepJob = 10, tt.keep
			rows, err := c.Query(t.Context(), "SELECT Name, NumberOfEmployees FROM Account ORDER BY Name", opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(rows.Columns(), ","); got != "Name,NumberOfEmployees" {
				t.Fatalf("columns %s", got)
			}
			pages, got := 0, []string{}
			for rows.Next() {
				name, _ := rows.Row().Get("Name")
				n, _ := rows.Row().Get("NumberOfEmployees")
				got = append(got, name+"="+n)
				if rows.EndOfPage() {
					pages++
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			wantSequence(t, got, 35)
			if pages != 4 {
				t.Fatalf("%d pages, want 4", pages)
			}
			_, err = c.Job(t.Context(), rows.JobID())
			if tt.keep && err != nil || !tt.keep && !errors.Is(err, rest.ErrNotFound) {
				t.Fatalf("job after the read: %v", err)
			}
		})
	}
}

func TestQueryAll(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithBulkJobDelay(0))
	createAccounts(t, s, 3)
	id, err := s.Create("Account", map[string]any{"Name": "Gone"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(id); err != nil {
		t.Fatal(err)
	}
	c := client(t, s)
	for _, tt := range []struct {
		scenario string
		op       bulk.Operation
		want     int
	}{{"query", bulk.OpQuery, 3}, {"queryAll", bulk.OpQueryAll, 4}} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			opts := fast
			opts.Operation = tt.op
			rows, err := c.Query(t.Context(), "SELECT Name, IsDeleted FROM Account", opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, rows); len(got) != tt.want {
				t.Fatalf("%d rows, want %d", len(got), tt.want)
			}
		})
	}
}

func TestCSVEdgeCases(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithBulkJobDelay(0))
	acct, err := s.Create("Account", map[string]any{"Name": `Acme, "Inc"`})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"plain", "comma, inside", `say "hi"`, "two\nlines", "Zürich – 東京 🚀", ""}
	for i, n := range names {
		v := map[string]any{"Name": n}
		if i == 0 {
			v["Amount__c"] = 1234.5
			v["Sent__c"] = time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
			v["AccountId"] = acct
		}
		if _, err := s.Create("Invoice__c", v); err != nil {
			t.Fatal(err)
		}
	}
	c := client(t, s)
	opts := fast
	opts.MaxRecords = 2
	rows, err := c.Query(t.Context(), "SELECT Name, Amount__c, Sent__c, Account.Name FROM Invoice__c", opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows.Columns(), "|"); got != "Name|Amount__c|Sent__c|Account.Name" {
		t.Fatalf("columns %s", got)
	}
	var got []bulk.Row
	for row, err := range rows.All() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, row)
	}
	if len(got) != len(names) {
		t.Fatalf("%d rows", len(got))
	}
	for i, want := range names {
		name, ok := got[i].Get("Name")
		if name != want || ok != (want != "") {
			t.Errorf("row %d: Name %q %v, want %q", i, name, ok, want)
		}
	}
	first := got[0]
	if v, _ := first.Get("Amount__c"); v != "1234.5" {
		t.Errorf("Amount__c %q", v)
	}
	if ts, ok := first.DateTime("Sent__c"); !ok || !ts.Equal(time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)) {
		t.Errorf("Sent__c %v %v", ts, ok)
	}
	if v, _ := first.Get("Account.Name"); v != `Acme, "Inc"` {
		t.Errorf("Account.Name %q", v)
	}
	m := got[1].Map()
	if m["Amount__c"] != nil || m["Account.Name"] != nil || m["Name"] == nil || *m["Name"] != "comma, inside" {
		t.Errorf("map %v", m)
	}
	if _, ok := got[1].Get("Nope"); ok {
		t.Error("unknown column found")
	}
}

func TestJobErrors(t *testing.T) {
	t.Parallel()
	clock := sffake.NewManualClock(time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC))
	s := start(t, sffake.WithClock(clock), sffake.WithBulkJobDelay(time.Minute))
	createAccounts(t, s, 3)
	c := client(t, s)
	ctx := t.Context()

	t.Run("failed job", func(t *testing.T) {
		stop := advanceWhileWaiting(t, clock, time.Minute)
		_, err := c.Query(ctx, "SELECT COUNT() FROM Account", fast)
		stop()
		var je *bulk.JobError
		if !errors.As(err, &je) || !errors.Is(err, bulk.ErrJobFailed) || je.Message == "" || je.JobID == "" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("aborted job", func(t *testing.T) {
		j, err := c.Create(ctx, "SELECT Id FROM Account", fast)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Delete(ctx, j.ID)
		if !errors.Is(err, rest.ErrInvalidJobState) || rest.IsRetryable(err) {
			t.Fatalf("delete unfinished job: %v", err)
		}
		if a, err := c.Abort(ctx, j.ID); err != nil || a.State != bulk.StateAborted {
			t.Fatalf("abort: %+v %v", a, err)
		}
		if _, err := c.Resume(ctx, j.ID, "", fast); !errors.Is(err, bulk.ErrJobAborted) {
			t.Fatalf("resume aborted job: %v", err)
		}
		if err := c.Delete(ctx, j.ID); err != nil {
			t.Fatalf("delete aborted job: %v", err)
		}
	})
	t.Run("invalid query", func(t *testing.T) {
		_, err := c.Query(ctx, "SELECT Nme FROM Account", fast)
		if !errors.Is(err, rest.ErrInvalidField) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		if _, err := c.Query(ctx, "SELECT Id FROM Account", bulk.Options{Operation: "insert"}); err == nil {
			t.Fatal("insert accepted")
		}
	})
}

// advanceWhileWaiting moves clock by step each time the emulator arms a
// timer (a job waiting to change state), until the returned stop is
// called.
func advanceWhileWaiting(t *testing.T, clock *sffake.ManualClock, step time.Duration) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if clock.Timers() > 0 {
				clock.Advance(step)
			}
			runtime.Gosched()
		}
	}()
	return func() { cancel(); <-done }
}

func TestPollingWithManualClock(t *testing.T) {
	t.Parallel()
	clock := sffake.NewManualClock(time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC))
	s := start(t, sffake.WithClock(clock), sffake.WithBulkJobDelay(time.Hour))
	createAccounts(t, s, 12)
	c := client(t, s)
	stop := advanceWhileWaiting(t, clock, time.Hour)
	opts := fast
	opts.MaxRecords = 5
	rows, err := c.Query(t.Context(), "SELECT Name, NumberOfEmployees FROM Account ORDER BY Name", opts)
	stop()
	if err != nil {
		t.Fatal(err)
	}
	wantSequence(t, readAll(t, rows), 12)
}

func TestResumeAfterCrash(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithBulkJobDelay(0))
	createAccounts(t, s, 35)
	opts := fast
	opts.MaxRecords = 10

	// The first process reads one page, saves its position at the page
	// boundary and dies.
	var (
		seen         []string
		jobID, saved string
	)
	func() {
		rows, err := client(t, s).Query(t.Context(), "SELECT Name, NumberOfEmployees FROM Account ORDER BY Name", opts)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			name, _ := rows.Row().Get("Name")
			n, _ := rows.Row().Get("NumberOfEmployees")
			seen = append(seen, name+"="+n)
			if rows.EndOfPage() {
				jobID, saved = rows.JobID(), rows.NextLocator()
				return
			}
		}
		t.Fatalf("no page boundary: %v", rows.Err())
	}()
	if len(seen) != 10 || saved == "" {
		t.Fatalf("first process read %d rows, saved %q", len(seen), saved)
	}

	// A new process, with a new client, resumes.
	rows, err := client(t, s).Resume(t.Context(), jobID, saved, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rows.PageLocator() != saved {
		t.Fatalf("page locator %q", rows.PageLocator())
	}
	seen = append(seen, readAll(t, rows)...)
	wantSequence(t, seen, 35)
}

func TestRetriesAndCancel(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithBulkJobDelay(0))
	createAccounts(t, s, 30)
	c := client(t, s)
	opts := fast
	opts.MaxRecords = 10

	t.Run("5xx while paging is retried", func(t *testing.T) {
		rows, err := c.Query(t.Context(), "SELECT Name, NumberOfEmployees FROM Account ORDER BY Name", opts)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			name, _ := rows.Row().Get("Name")
			n, _ := rows.Row().Get("NumberOfEmployees")
			got = append(got, name+"="+n)
			if len(got) == 10 {
				s.FailNextHTTP(2, sffake.HTTPFault{Status: 500, ErrorCode: "UNKNOWN_EXCEPTION"})
			}
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
		wantSequence(t, got, 30)
	})
	t.Run("cancel mid-iteration", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		rows, err := c.Query(ctx, "SELECT Name FROM Account", opts)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			if n++; n == 5 {
				cancel()
			}
		}
		if n != 5 || !errors.Is(rows.Err(), context.Canceled) {
			t.Fatalf("%d rows, %v", n, rows.Err())
		}
	})
}
