package sffake_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/sffaketest"
)

// jobInfo is a Bulk API 2.0 job info.
type jobInfo struct {
	ID                     string  `json:"id"`
	Operation              string  `json:"operation"`
	Object                 string  `json:"object"`
	State                  string  `json:"state"`
	APIVersion             float64 `json:"apiVersion"`
	ContentType            string  `json:"contentType"`
	ColumnDelimiter        string  `json:"columnDelimiter"`
	LineEnding             string  `json:"lineEnding"`
	JobType                string  `json:"jobType"`
	NumberRecordsProcessed int     `json:"numberRecordsProcessed"`
	ErrorMessage           string  `json:"errorMessage"`
	CreatedDate            string  `json:"createdDate"`
}

const jobsPath = "/services/data/v62.0/jobs/query"

func createJob(t *testing.T, s *sffake.Server, body string) jobInfo {
	t.Helper()
	status, resp, _ := restCall(t, s, http.MethodPost, s.AccessToken(), jobsPath, body)
	if status != http.StatusOK {
		t.Fatalf("create job: %d %s", status, resp)
	}
	var j jobInfo
	decodeJSON(t, resp, &j)
	return j
}

func jobStatus(t *testing.T, s *sffake.Server, id string) jobInfo {
	t.Helper()
	var j jobInfo
	restGet(t, s, s.AccessToken(), jobsPath+"/"+id, http.StatusOK, &j)
	return j
}

// pollJob polls the job until its state is not from, advancing clock (if
// not nil) by step before each poll, and returns the job. The test's
// context bounds the wait.
func pollJob(t *testing.T, s *sffake.Server, id, from string, clock *sffake.ManualClock, step time.Duration) jobInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	for {
		j := jobStatus(t, s, id)
		if j.State != from {
			return j
		}
		if ctx.Err() != nil {
			t.Fatalf("job %s still %s", id, from)
		}
		if clock != nil {
			clock.Advance(step)
		}
	}
}

// results fetches a result page.
func results(t *testing.T, s *sffake.Server, id, locator string, maxRecords int) (string, int, string) {
	t.Helper()
	q := url.Values{}
	if locator != "" {
		q.Set("locator", locator)
	}
	if maxRecords > 0 {
		q.Set("maxRecords", strconv.Itoa(maxRecords))
	}
	status, body, h := restCall(t, s, http.MethodGet, s.AccessToken(), jobsPath+"/"+id+"/results?"+q.Encode(), "")
	if status != http.StatusOK {
		t.Fatalf("results: %d %s", status, body)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	n, err := strconv.Atoi(h.Get("Sforce-NumberOfRecords"))
	if err != nil {
		t.Fatalf("Sforce-NumberOfRecords %q", h.Get("Sforce-NumberOfRecords"))
	}
	return string(body), n, h.Get("Sforce-Locator")
}

func TestBulkJobLifecycle(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithBulkJobDelay(time.Millisecond))
	for i := range 25 {
		if _, err := s.Create("Account", map[string]any{"Name": fmt.Sprintf("Acme %02d", i), "NumberOfEmployees": i}); err != nil {
			t.Fatal(err)
		}
	}
	j := createJob(t, s, `{"operation":"query","query":"SELECT Name, NumberOfEmployees FROM Account ORDER BY Name","contentType":"CSV","columnDelimiter":"COMMA","lineEnding":"LF"}`)
	if !strings.HasPrefix(j.ID, "750") || len(j.ID) != 18 || j.State != "UploadComplete" || j.Object != "Account" ||
		j.APIVersion != 62 || j.ContentType != "CSV" || j.Operation != "query" || j.ColumnDelimiter != "COMMA" || j.LineEnding != "LF" {
		t.Fatalf("created job %+v", j)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000-0700", j.CreatedDate); err != nil {
		t.Fatalf("createdDate: %v", err)
	}
	j = pollJob(t, s, j.ID, "UploadComplete", nil, 0)
	if j.State == "InProgress" {
		j = pollJob(t, s, j.ID, "InProgress", nil, 0)
	}
	if j.State != "JobComplete" || j.NumberRecordsProcessed != 25 || j.JobType != "V2Query" {
		t.Fatalf("finished job %+v", j)
	}

	var rows []string
	pages, locator := 0, ""
	for {
		body, n, next := results(t, s, j.ID, locator, 10)
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(recs[0], ",") != "Name,NumberOfEmployees" || len(recs)-1 != n {
			t.Fatalf("page %d: header %v, %d rows, Sforce-NumberOfRecords %d", pages, recs[0], len(recs)-1, n)
		}
		for _, r := range recs[1:] {
			rows = append(rows, r[0]+"="+r[1])
		}
		pages++
		if next == "null" {
			break
		}
		// A locator can be fetched again with the same result.
		again, _, _ := results(t, s, j.ID, next, 10)
		body2, _, _ := results(t, s, j.ID, next, 10)
		if again != body2 {
			t.Fatal("re-fetched page differs")
		}
		locator = next
	}
	if pages != 3 || len(rows) != 25 || rows[0] != "Acme 00=0" || rows[24] != "Acme 24=24" {
		t.Fatalf("%d pages, rows %v", pages, rows)
	}

	var list struct {
		Done    bool      `json:"done"`
		Records []jobInfo `json:"records"`
	}
	restGet(t, s, s.AccessToken(), jobsPath, http.StatusOK, &list)
	if !list.Done || len(list.Records) != 1 || list.Records[0].ID != j.ID {
		t.Fatalf("list %+v", list)
	}
	status, body, _ := restCall(t, s, http.MethodDelete, s.AccessToken(), jobsPath+"/"+j.ID, "")
	if status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", status, body)
	}
	status, body, _ = restCall(t, s, http.MethodGet, s.AccessToken(), jobsPath+"/"+j.ID, "")
	wantRESTError(t, status, body, http.StatusNotFound, "NOT_FOUND")
}

// TestBulkSnapshot checks that a job's results are the records as they
// were when the job ran: writes before it runs show, writes after do not.
func TestBulkSnapshot(t *testing.T) {
	t.Parallel()
	clock := sffake.NewManualClock(time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC))
	s := start(t, sffake.WithClock(clock), sffake.WithBulkJobDelay(time.Second))
	if _, err := s.Create("Account", map[string]any{"Name": "Before"}); err != nil {
		t.Fatal(err)
	}
	j := createJob(t, s, `{"operation":"query","query":"SELECT Name FROM Account ORDER BY Name"}`)
	status, body, _ := restCall(t, s, http.MethodGet, s.AccessToken(), jobsPath+"/"+j.ID+"/results", "")
	wantRESTError(t, status, body, http.StatusBadRequest, "INVALIDJOBSTATE")
	if _, err := s.Create("Account", map[string]any{"Name": "Queued"}); err != nil {
		t.Fatal(err)
	}
	// One step at a time: wait until the job has armed its timer, move
	// the clock past it, then wait for the state it leads to.
	step := func(want string) jobInfo {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
		defer cancel()
		for clock.Timers() == 0 {
			if ctx.Err() != nil {
				t.Fatalf("job %s armed no timer", j.ID)
			}
			runtime.Gosched()
		}
		clock.Advance(time.Second)
		for {
			got := jobStatus(t, s, j.ID)
			if got.State == want {
				return got
			}
			if ctx.Err() != nil {
				t.Fatalf("job %+v never reached %s", got, want)
			}
			runtime.Gosched()
		}
	}
	step("InProgress")
	status, body, _ = restCall(t, s, http.MethodGet, s.AccessToken(), jobsPath+"/"+j.ID+"/results", "")
	wantRESTError(t, status, body, http.StatusBadRequest, "INVALIDJOBSTATE")
	if _, err := s.Create("Account", map[string]any{"Name": "After"}); err != nil {
		t.Fatal(err)
	}
	j = step("JobComplete")
	got, n, next := results(t, s, j.ID, "", 0)
	if got != "\"Name\"\n\"Before\"\n\"Queued\"\n" || n != 2 || next != "null" {
		t.Fatalf("results %q, %d records, locator %q", got, n, next)
	}
}

func TestBulkCSVQuoting(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithBulkJobDelay(0), sffake.WithObject(sffaketest.Invoice))
	values := []map[string]any{
		{"Name": "plain", "Amount__c": 1.25, "Lines__c": 7, "Paid__c": true, "Due__c": time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC), "Sent__c": time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)},
		{"Name": "comma, inside"},
		{"Name": `say "hi"`},
		{"Name": "two\nlines\r\nand CRLF"},
		{"Name": "Zürich – 東京 🚀"},
		{"Name": ""},
	}
	for _, v := range values {
		if _, err := s.Create("Invoice__c", v); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		scenario  string
		delimiter string
		ending    string
		want      string
	}{
		{scenario: "comma and LF", delimiter: "COMMA", ending: "LF", want: "" +
			`"Name","Amount__c","Lines__c","Paid__c","Due__c","Sent__c","Account.Name"` + "\n" +
			`"plain","1.25","7","true","2024-01-15","2024-01-15T10:30:00.000Z",` + "\n" +
			`"comma, inside",,,"false",,,` + "\n" +
			`"say ""hi""",,,"false",,,` + "\n" +
			"\"two\nlines\r\nand CRLF\",,,\"false\",,,\n" +
			`"Zürich – 東京 🚀",,,"false",,,` + "\n" +
			`"",,,"false",,,` + "\n"},
		{scenario: "tab and CRLF", delimiter: "TAB", ending: "CRLF", want: "" +
			"\"Name\"\t\"Amount__c\"\t\"Lines__c\"\t\"Paid__c\"\t\"Due__c\"\t\"Sent__c\"\t\"Account.Name\"\r\n" +
			"\"plain\"\t\"1.25\"\t\"7\"\t\"true\"\t\"2024-01-15\"\t\"2024-01-15T10:30:00.000Z\"\t\r\n" +
			"\"comma, inside\"\t\t\t\"false\"\t\t\t\r\n" +
			"\"say \"\"hi\"\"\"\t\t\t\"false\"\t\t\t\r\n" +
			"\"two\nlines\r\nand CRLF\"\t\t\t\"false\"\t\t\t\r\n" +
			"\"Zürich – 東京 🚀\"\t\t\t\"false\"\t\t\t\r\n" +
			"\"\"\t\t\t\"false\"\t\t\t\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			j := createJob(t, s, fmt.Sprintf(`{"operation":"query","query":"SELECT Name, Amount__c, Lines__c, Paid__c, Due__c, Sent__c, Account.Name FROM Invoice__c","columnDelimiter":%q,"lineEnding":%q}`, tt.delimiter, tt.ending))
			j = pollJob(t, s, j.ID, "UploadComplete", nil, 0)
			if j.State == "InProgress" {
				j = pollJob(t, s, j.ID, "InProgress", nil, 0)
			}
			got, n, _ := results(t, s, j.ID, "", 0)
			if got != tt.want || n != len(values) {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
			if tt.delimiter == "COMMA" {
				recs, err := csv.NewReader(strings.NewReader(got)).ReadAll()
				if err != nil || recs[3][0] != `say "hi"` || recs[4][0] != "two\nlines\nand CRLF" {
					t.Fatalf("encoding/csv reads %q: %v", recs, err)
				}
			}
		})
	}
}

func TestBulkAbortDeleteAndErrors(t *testing.T) {
	t.Parallel()
	clock := sffake.NewManualClock(time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC))
	s := start(t, sffake.WithClock(clock), sffake.WithBulkJobDelay(time.Minute))
	token := s.AccessToken()
	call := func(method, path, body string) (int, []byte) {
		status, resp, _ := restCall(t, s, method, token, path, body)
		return status, resp
	}

	j := createJob(t, s, `{"operation":"queryAll","query":"SELECT Id FROM Account"}`)
	status, body := call(http.MethodDelete, jobsPath+"/"+j.ID, "")
	wantRESTError(t, status, body, http.StatusBadRequest, "INVALIDJOBSTATE")
	status, body = call(http.MethodPatch, jobsPath+"/"+j.ID, `{"state":"Aborted"}`)
	var aborted jobInfo
	decodeJSON(t, body, &aborted)
	if status != http.StatusOK || aborted.State != "Aborted" {
		t.Fatalf("abort: %d %s", status, body)
	}
	clock.Advance(time.Hour)
	if got := jobStatus(t, s, j.ID); got.State != "Aborted" {
		t.Fatalf("aborted job moved on: %+v", got)
	}
	status, body = call(http.MethodGet, jobsPath+"/"+j.ID+"/results", "")
	wantRESTError(t, status, body, http.StatusBadRequest, "INVALIDJOBSTATE")
	status, body = call(http.MethodPatch, jobsPath+"/"+j.ID, `{"state":"Aborted"}`)
	wantRESTError(t, status, body, http.StatusBadRequest, "INVALIDJOBSTATE")
	if status, body = call(http.MethodDelete, jobsPath+"/"+j.ID, ""); status != http.StatusNoContent {
		t.Fatalf("delete aborted job: %d %s", status, body)
	}

	failed := createJob(t, s, `{"operation":"query","query":"SELECT COUNT() FROM Account"}`)
	if got := pollJob(t, s, failed.ID, "UploadComplete", clock, time.Minute); got.State != "Failed" || got.ErrorMessage == "" {
		t.Fatalf("COUNT() job: %+v", got)
	}

	done := createJob(t, s, `{"operation":"query","query":"SELECT Id FROM Account"}`)
	if got := pollJob(t, s, done.ID, "UploadComplete", clock, time.Minute); got.State == "InProgress" {
		pollJob(t, s, done.ID, "InProgress", clock, time.Minute)
	}

	tests := []struct {
		scenario, method, path, body string
		status                       int
		code                         string
	}{
		{scenario: "bad query", method: http.MethodPost, path: jobsPath, body: `{"operation":"query","query":"SELECT Nme FROM Account"}`, status: 400, code: "INVALID_FIELD"},
		{scenario: "unknown object", method: http.MethodPost, path: jobsPath, body: `{"operation":"query","query":"SELECT Id FROM Nope"}`, status: 400, code: "INVALID_TYPE"},
		{scenario: "bad operation", method: http.MethodPost, path: jobsPath, body: `{"operation":"insert","query":"SELECT Id FROM Account"}`, status: 400, code: "API_ERROR"},
		{scenario: "bad delimiter", method: http.MethodPost, path: jobsPath, body: `{"operation":"query","query":"SELECT Id FROM Account","columnDelimiter":"DASH"}`, status: 400, code: "API_ERROR"},
		{scenario: "bad json", method: http.MethodPost, path: jobsPath, body: `{`, status: 400, code: "JSON_PARSER_ERROR"},
		{scenario: "unknown job", method: http.MethodGet, path: jobsPath + "/750000000000001AAA", status: 404, code: "NOT_FOUND"},
		{scenario: "abort a finished job", method: http.MethodPatch, path: jobsPath + "/" + done.ID, body: `{"state":"Aborted"}`, status: 400, code: "INVALIDJOBSTATE"},
		{scenario: "set another state", method: http.MethodPatch, path: jobsPath + "/" + done.ID, body: `{"state":"JobComplete"}`, status: 400, code: "API_ERROR"},
		{scenario: "bad locator", method: http.MethodGet, path: jobsPath + "/" + done.ID + "/results?locator=%21%21", status: 400, code: "INVALID_QUERY_LOCATOR"},
		{scenario: "bad maxRecords", method: http.MethodGet, path: jobsPath + "/" + done.ID + "/results?maxRecords=0", status: 400, code: "API_ERROR"},
		{scenario: "other api version", method: http.MethodGet, path: "/services/data/v61.0/jobs/query/" + done.ID + "/results", status: 409, code: "API_ERROR"},
		{scenario: "no token", method: http.MethodGet, path: jobsPath, status: 401, code: "INVALID_SESSION_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			tok := token
			if tt.code == "INVALID_SESSION_ID" {
				tok = ""
			}
			status, body, _ := restCall(t, s, tt.method, tok, tt.path, tt.body)
			wantRESTError(t, status, body, tt.status, tt.code)
		})
	}
}
