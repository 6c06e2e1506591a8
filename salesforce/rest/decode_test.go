package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

const samplePage = `{"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01gD0000002HU6KIAW-2000","records":[
{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001000000000001AAA"},"Id":"001000000000001AAA","Name":"Acme","AnnualRevenue":12345678901234567890.123456789,"Big":1e400,"IsDeleted":false,"CreatedDate":"2024-01-15T10:30:00.000+0000","Owner":{"attributes":{"type":"User","url":"/u"},"Name":"Ann","Manager":null},"BillingAddress":{"city":"Zürich"},"Contacts":{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact","url":"/c/003"},"LastName":"Doe"}]}},
{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001000000000002AAA"},"Name":null,"Owner":null}
]}`

func TestDecodeQueryResult(t *testing.T) {
	t.Parallel()
	q, err := decodeQueryResult([]byte(samplePage))
	if err != nil {
		t.Fatal(err)
	}
	if q.TotalSize != 3 || q.Done || q.NextRecordsURL != "/services/data/v62.0/query/01gD0000002HU6KIAW-2000" || len(q.Records) != 2 {
		t.Fatalf("%+v", q)
	}
	r := q.Records[0]
	if n, _ := r.Number("AnnualRevenue"); n.String() != "12345678901234567890.123456789" {
		t.Fatalf("number not exact: %s", n)
	}
	if n, ok := r.Number("Big"); !ok || n.String() != "1e400" {
		t.Fatalf("huge number %s %v", n, ok)
	}
	if _, ok := r.Float64("Big"); ok {
		t.Fatal("1e400 read as a float64")
	}
	if ts, ok := r.DateTime("CreatedDate"); !ok || !ts.Equal(time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)) {
		t.Fatalf("CreatedDate %v", ts)
	}
	if s, _ := r.String("Owner.Name"); s != "Ann" || !r.IsNull("Owner.Manager") || !r.IsNull("Owner.Manager.Name") {
		t.Fatal("relationship paths")
	}
	if m, ok := r.Get("BillingAddress"); !ok || m.(map[string]any)["city"] != "Zürich" {
		t.Fatalf("compound %v", m)
	}
	if kids, ok := r.Children("Contacts"); !ok || kids.TotalSize != 1 || kids.Records[0].Type != "Contact" {
		t.Fatalf("children %+v", kids)
	}
	if r2 := q.Records[1]; r2.ID() != "001000000000002AAA" || !r2.IsNull("Owner.Name") || !r2.IsNull("Name") {
		t.Fatalf("second record %+v", r2)
	}
}

func TestDecodeQueryResultRejects(t *testing.T) {
	t.Parallel()
	tests := []struct{ scenario, body string }{
		{scenario: "empty", body: ``},
		{scenario: "error array", body: `[{"errorCode":"X","message":"y"}]`},
		{scenario: "truncated", body: `{"totalSize":1,"done":true,"records":[{"attributes":{}`},
		{scenario: "records not array", body: `{"totalSize":1,"done":true,"records":{}}`},
		{scenario: "record without attributes", body: `{"totalSize":1,"done":true,"records":[{"Id":"x"}]}`},
		{scenario: "not done, no next", body: `{"totalSize":1,"done":false,"records":[]}`},
		{scenario: "negative size", body: `{"totalSize":-1,"done":true,"records":[]}`},
		{scenario: "trailing data", body: `{"totalSize":0,"done":true,"records":[]} {}`},
		{scenario: "too deep", body: `{"totalSize":0,"done":true,"records":[],"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			if _, err := decodeQueryResult([]byte(tt.body)); !errors.Is(err, ErrMalformedResponse) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestDecodeError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario, body string
		code, msg      string
		fields         []string
	}{
		{scenario: "array", body: `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`, code: "INVALID_SESSION_ID", msg: "Session expired or invalid"},
		{scenario: "with fields", body: `[{"message":"bad","errorCode":"INVALID_FIELD","fields":["Nme"]},{"message":"2nd","errorCode":"X"}]`, code: "INVALID_FIELD", msg: "bad", fields: []string{"Nme"}},
		{scenario: "single object", body: `{"message":"m","errorCode":"API_ERROR"}`, code: "API_ERROR", msg: "m"},
		{scenario: "html", body: `<html>secret stuff</html>`},
		{scenario: "oauth shape", body: `{"error":"invalid_grant"}`},
		{scenario: "empty array", body: `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			e := DecodeError(503, []byte(tt.body))
			if e.Code != tt.code || e.Message != tt.msg || strings.Join(e.Fields, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("%+v", e)
			}
			if strings.Contains(e.Error(), "secret") {
				t.Fatalf("body echoed: %v", e)
			}
		})
	}
}

func TestIsRetryable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		err      error
		want     bool
	}{
		{scenario: "nil", err: nil},
		{scenario: "canceled", err: fmt.Errorf("x: %w", context.Canceled)},
		{scenario: "deadline", err: context.DeadlineExceeded},
		{scenario: "500 unknown exception", err: &Error{StatusCode: 500, Code: CodeUnknownException}, want: true},
		{scenario: "503 page", err: &Error{StatusCode: 503}, want: true},
		{scenario: "504", err: &Error{StatusCode: 504}, want: true},
		{scenario: "501", err: &Error{StatusCode: 501}},
		{scenario: "429", err: &Error{StatusCode: 429}, want: true},
		{scenario: "daily limit", err: &Error{StatusCode: 403, Code: CodeRequestLimit, Message: "TotalRequests Limit exceeded."}},
		{scenario: "concurrent limit", err: &Error{StatusCode: 403, Code: CodeRequestLimit, Message: "ConcurrentPerOrgLongTxn Limit exceeded"}, want: true},
		{scenario: "session", err: &Error{StatusCode: 401, Code: CodeInvalidSession}},
		{scenario: "job state", err: &Error{StatusCode: 400, Code: CodeInvalidJobState}},
		{scenario: "locator", err: &Error{StatusCode: 400, Code: CodeInvalidQueryLocator}},
		{scenario: "version conflict", err: &Error{StatusCode: 409, Code: CodeAPIError}},
		{scenario: "connection reset", err: &transportError{op: "GET /", err: syscall.ECONNRESET}, want: true},
		{scenario: "net timeout", err: &transportError{op: "GET /", err: &net.OpError{Op: "read", Err: syscall.ETIMEDOUT}}, want: true},
		{scenario: "body cut short", err: &transportError{op: "GET /", err: io.ErrUnexpectedEOF}, want: true},
		{scenario: "malformed body", err: fmt.Errorf("x: %w", ErrMalformedResponse)},
		{scenario: "other", err: errors.New("boom")},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			if got := IsRetryable(tt.err); got != tt.want {
				t.Fatalf("IsRetryable(%v) = %v", tt.err, got)
			}
		})
	}
}

func TestParseDateTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario, in string
		want         time.Time
		ok           bool
	}{
		{scenario: "rest form", in: "2024-01-15T10:30:00.000+0000", want: time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC), ok: true},
		{scenario: "offset", in: "2024-01-15T12:30:00.000+0200", want: time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC), ok: true},
		{scenario: "bulk form", in: "2024-01-15T10:30:00.000Z", want: time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC), ok: true},
		{scenario: "no millis", in: "2024-01-15T10:30:00+0000", want: time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC), ok: true},
		{scenario: "date only", in: "2024-01-15"},
		{scenario: "garbage", in: "yesterday"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDateTime(tt.in)
			if (err == nil) != tt.ok || tt.ok && !got.Equal(tt.want) {
				t.Fatalf("ParseDateTime(%q) = %v, %v", tt.in, got, err)
			}
		})
	}
}

func FuzzDecodeError(f *testing.F) {
	f.Add(503, []byte(`[{"message":"m","errorCode":"UNKNOWN_EXCEPTION","fields":["A"]}]`))
	f.Add(401, []byte(`{"message":"m","errorCode":"INVALID_SESSION_ID"}`))
	f.Add(400, []byte(`<html></html>`))
	f.Add(400, []byte(`[null, 1]`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := DecodeError(status, body)
		if e.StatusCode != status {
			t.Fatal("status lost")
		}
		_ = e.Error()
		_ = IsRetryable(e)
		if e.Code == "" && (e.Message != "" || e.Fields != nil) {
			t.Fatal("message kept without a code")
		}
	})
}

func FuzzDecodeRecords(f *testing.F) {
	f.Add([]byte(samplePage))
	f.Add([]byte(`{"totalSize":0,"done":true,"records":[]}`))
	f.Add([]byte(`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"A"},"X":{"attributes":{},"Y":[1,{"a":null}]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := decodeQueryResult(data)
		if err != nil {
			if !errors.Is(err, ErrMalformedResponse) {
				t.Fatalf("error %v does not wrap ErrMalformedResponse", err)
			}
			return
		}
		if !q.Done && q.NextRecordsURL == "" {
			t.Fatal("not done without next page")
		}
		for _, r := range q.Records {
			if len(r.Names) != len(r.Fields) {
				t.Fatalf("names %v, fields %v", r.Names, r.Fields)
			}
			for _, n := range r.Names {
				_, _ = r.Get(n + ".x")
				_, _ = r.DateTime(n)
				_, _ = r.Date(n)
				_, _ = r.Int64(n)
			}
			_ = r.ID()
		}
	})
}

// benchPage returns a page of n Account records as sffake and Salesforce
// write them.
func benchPage(n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"totalSize":%d,"done":true,"records":[`, n)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001%015d"},"Id":"001%015d","Name":"Account %d","AnnualRevenue":%d.25,"NumberOfEmployees":%d,"IsDeleted":false,"BillingCity":"Zürich","LastModifiedDate":"2024-01-15T10:30:00.000+0000","Owner":{"attributes":{"type":"User","url":"/services/data/v62.0/sobjects/User/005%015d"},"Name":"Owner %d"},"Territory_Key__c":null}`, i, i, i, i*1000, i, i, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func BenchmarkDecodeQueryPage2000(b *testing.B) {
	page := benchPage(2000)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		q, err := decodeQueryResult(page)
		if err != nil || len(q.Records) != 2000 {
			b.Fatal(err)
		}
	}
}

var _ = json.Number("")
