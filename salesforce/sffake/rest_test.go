package sffake_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/sffaketest"
)

// queryResult is a REST query answer.
type queryResult struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

func TestVersions(t *testing.T) {
	t.Parallel()
	s := start(t)
	var vs []struct{ Label, URL, Version string }
	restGet(t, s, "", "/services/data/", http.StatusOK, &vs)
	got := map[string]string{}
	for _, v := range vs {
		got[v.Version] = v.Label + " " + v.URL
	}
	for v, want := range map[string]string{
		"59.0": "Winter '24 /services/data/v59.0", "60.0": "Spring '24 /services/data/v60.0",
		"61.0": "Summer '24 /services/data/v61.0", "62.0": "Winter '25 /services/data/v62.0",
	} {
		if got[v] != want {
			t.Errorf("version %s: %q, want %q", v, got[v], want)
		}
	}
}

func TestQueryPaging(t *testing.T) {
	t.Parallel()
	s := start(t)
	const n = 450
	_, err := s.Transact(func(tx *sffake.Tx) error {
		for i := range n {
			if _, err := tx.Create("Account", map[string]any{"Name": fmt.Sprintf("Acme %03d", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		scenario string
		header   string
		pages    []int
	}{
		{scenario: "default batch of 2000", pages: []int{450}},
		{scenario: "batch of 200", header: "batchSize=200", pages: []int{200, 200, 50}},
		{scenario: "batch below the minimum is raised to 200", header: "batchSize=10", pages: []int{200, 200, 50}},
		{scenario: "batch of 300", header: "batchSize=300", pages: []int{300, 150}},
	}
	nextRE := regexp.MustCompile(`^/services/data/v62\.0/query/01g[0-9A-Za-z]{15}-[0-9]+$`)
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			tok := s.AccessToken()
			path := queryPath("query", "SELECT Id, Name FROM Account ORDER BY Name")
			var names []string
			for i, want := range tt.pages {
				var res queryResult
				var hdr []string
				if tt.header != "" {
					hdr = []string{"Sforce-Query-Options", tt.header}
				}
				restGet(t, s, tok, path, http.StatusOK, &res, hdr...)
				last := i == len(tt.pages)-1
				if res.TotalSize != n || len(res.Records) != want || res.Done != last {
					t.Fatalf("page %d: totalSize %d, %d records, done %v; want %d, %d, %v", i, res.TotalSize, len(res.Records), res.Done, n, want, last)
				}
				if !last && !nextRE.MatchString(res.NextRecordsURL) || last && res.NextRecordsURL != "" {
					t.Fatalf("page %d: nextRecordsUrl %q", i, res.NextRecordsURL)
				}
				for _, r := range res.Records {
					names = append(names, r["Name"].(string))
				}
				path = res.NextRecordsURL
			}
			for i, name := range names {
				if want := fmt.Sprintf("Acme %03d", i); name != want {
					t.Fatalf("record %d is %s, want %s", i, name, want)
				}
			}
		})
	}
}

func TestQueryLocatorExpiry(t *testing.T) {
	t.Parallel()
	clock := sffake.NewManualClock(time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC))
	s := start(t, sffake.WithClock(clock), sffake.WithQueryLocatorTTL(10*time.Minute))
	for i := range 201 {
		if _, err := s.Create("Account", map[string]any{"Name": fmt.Sprint("A", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var res queryResult
	restGet(t, s, s.AccessToken(), queryPath("query", "SELECT Id FROM Account"), http.StatusOK, &res, "Sforce-Query-Options", "batchSize=200")
	if res.NextRecordsURL == "" {
		t.Fatal("no nextRecordsUrl")
	}
	clock.Advance(9 * time.Minute)
	var page queryResult
	restGet(t, s, s.AccessToken(), res.NextRecordsURL, http.StatusOK, &page)
	if len(page.Records) != 1 || !page.Done {
		t.Fatalf("second page %+v", page)
	}
	// Fetching restarted its period; a page may be fetched again.
	clock.Advance(9 * time.Minute)
	restGet(t, s, s.AccessToken(), res.NextRecordsURL, http.StatusOK, &page)
	clock.Advance(10 * time.Minute)
	status, body, _ := restCall(t, s, http.MethodGet, s.AccessToken(), res.NextRecordsURL, "")
	wantRESTError(t, status, body, http.StatusBadRequest, "INVALID_QUERY_LOCATOR")
}

func TestQueryAllIncludesDeleted(t *testing.T) {
	t.Parallel()
	s := start(t)
	keep, _ := s.Create("Account", map[string]any{"Name": "Keep"})
	gone, _ := s.Create("Account", map[string]any{"Name": "Gone"})
	if err := s.Delete(gone); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		scenario string
		resource string
		want     map[string]bool // id → IsDeleted
	}{
		{scenario: "query", resource: "query", want: map[string]bool{keep: false}},
		{scenario: "queryAll", resource: "queryAll", want: map[string]bool{keep: false, gone: true}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			var res queryResult
			restGet(t, s, s.AccessToken(), queryPath(tt.resource, "SELECT Id, Name, IsDeleted FROM Account"), http.StatusOK, &res)
			got := map[string]bool{}
			for _, r := range res.Records {
				got[r["Id"].(string)] = r["IsDeleted"].(bool)
			}
			if res.TotalSize != len(tt.want) || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v (totalSize %d), want %v", got, res.TotalSize, tt.want)
			}
		})
	}
}

// TestQueryByID checks that conditions on Id, which the emulator answers
// from its record map, give what the same filter over every record gives:
// deleted records, other objects, ids in another case, repeats and other
// terms included.
func TestQueryByID(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithObject(sffaketest.Invoice))
	a, _ := s.Create("Account", map[string]any{"Name": "A"})
	b, _ := s.Create("Account", map[string]any{"Name": "B"})
	gone, _ := s.Create("Account", map[string]any{"Name": "Gone"})
	if err := s.Delete(gone); err != nil {
		t.Fatal(err)
	}
	other, err := s.Create("Invoice__c", map[string]any{"Name": "C"})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(resource, where string) string {
		var res queryResult
		restGet(t, s, s.AccessToken(), queryPath(resource, "SELECT Id FROM Account WHERE "+where), http.StatusOK, &res)
		var out []string
		for _, r := range res.Records {
			out = append(out, r["Id"].(string))
		}
		return strings.Join(out, ",")
	}
	for _, tt := range []struct{ resource, where, want string }{
		{"query", fmt.Sprintf("Id = '%s'", b), b},
		{"query", fmt.Sprintf("Id IN ('%s', '%s', '%s', '%s')", b, a, b, other), a + "," + b},
		{"query", fmt.Sprintf("Id IN ('%s', '%s')", a, gone), a},
		{"queryAll", fmt.Sprintf("Id IN ('%s', '%s')", a, gone), a + "," + gone},
		{"query", fmt.Sprintf("Id IN ('%s', '%s')", strings.ToLower(a), b), a + "," + b},
		{"query", fmt.Sprintf("Name = 'B' AND Id IN ('%s', '%s')", a, b), b},
		{"query", fmt.Sprintf("Name = 'B' OR Id = '%s'", a), a + "," + b},
		{"query", fmt.Sprintf("Id NOT IN ('%s')", a), b},
	} {
		if got := ids(tt.resource, tt.where); got != tt.want {
			t.Errorf("%s WHERE %s: got %s, want %s", tt.resource, tt.where, got, tt.want)
		}
	}
}

func TestQueryValues(t *testing.T) {
	t.Parallel()
	clock := sffake.NewManualClock(time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC))
	s := start(t, sffake.WithClock(clock), sffake.WithObject(sffaketest.Invoice))
	parent, _ := s.Create("Account", map[string]any{"Name": "Parent Co", "BillingCity": "Paris"})
	acc, _ := s.Create("Account", map[string]any{"Name": "Child Co", "ParentId": parent, "AnnualRevenue": 1.5e6, "NumberOfEmployees": 42})
	inv, err := s.Create("Invoice__c", map[string]any{
		"Name": "INV-1", "Amount__c": 99.5, "Lines__c": 3, "Paid__c": true,
		"Due__c": time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), "Sent__c": time.Date(2024, 1, 15, 10, 30, 0, 123e6, time.UTC),
		"Cutoff__c": 17*time.Hour + 30*time.Minute, "AccountId": acc,
	})
	if err != nil {
		t.Fatal(err)
	}
	path := queryPath("query", "SELECT Name, Amount__c, Lines__c, Paid__c, Due__c, Sent__c, Cutoff__c, Account.Name, Account.Parent.Name, Account.Parent.BillingCity, Account.Fax, CreatedDate FROM Invoice__c")
	_, body, _ := restCall(t, s, http.MethodGet, s.AccessToken(), path, "")
	want := `{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Invoice__c","url":"/services/data/v62.0/sobjects/Invoice__c/` + inv + `"},` +
		`"Name":"INV-1","Amount__c":99.5,"Lines__c":3,"Paid__c":true,"Due__c":"2024-02-01","Sent__c":"2024-01-15T10:30:00.123+0000","Cutoff__c":"17:30:00.000Z",` +
		`"Account":{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/` + acc + `"},"Name":"Child Co",` +
		`"Parent":{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/` + parent + `"},"Name":"Parent Co","BillingCity":"Paris"},"Fax":null},` +
		`"CreatedDate":"2024-01-15T10:30:00.000+0000"}]}`
	if string(body) != want {
		t.Fatalf("got  %s\nwant %s", body, want)
	}

	var res queryResult
	restGet(t, s, s.AccessToken(), queryPath("query", "SELECT Name, Parent.Name FROM Account WHERE Name LIKE 'par%'"), http.StatusOK, &res)
	if len(res.Records) != 1 || res.Records[0]["Parent"] != nil {
		t.Fatalf("empty relationship: %+v", res.Records)
	}
	restGet(t, s, s.AccessToken(), queryPath("query", "SELECT COUNT() FROM Account WHERE AnnualRevenue > 1000"), http.StatusOK, &res)
	if res.TotalSize != 1 || !res.Done || len(res.Records) != 0 {
		t.Fatalf("count: %+v", res)
	}
	restGet(t, s, s.AccessToken(), queryPath("query", "SELECT Id FROM Invoice__c WHERE Due__c > 2024-01-31 AND Paid__c = true AND Sent__c < 2024-01-16T00:00:00Z"), http.StatusOK, &res)
	if res.TotalSize != 1 {
		t.Fatalf("date filters: %+v", res)
	}
}

func TestRESTErrors(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithLimit(sffake.LimitDailyAPIRequests, 1_000))
	limited := start(t, sffake.WithLimit(sffake.LimitDailyAPIRequests, 1))
	restGet(t, limited, limited.AccessToken(), "/services/data/v62.0/limits", http.StatusOK, nil)
	tests := []struct {
		scenario string
		server   *sffake.Server
		token    string
		path     string
		status   int
		code     string
	}{
		{scenario: "no token", token: "-", path: queryPath("query", "SELECT Id FROM Account"), status: 401, code: "INVALID_SESSION_ID"},
		{scenario: "bad token", token: "00D!bogus", path: queryPath("query", "SELECT Id FROM Account"), status: 401, code: "INVALID_SESSION_ID"},
		{scenario: "malformed query", path: queryPath("query", "SELECT Id FRM Account"), status: 400, code: "MALFORMED_QUERY"},
		{scenario: "missing q", path: "/services/data/v62.0/query", status: 400, code: "MALFORMED_QUERY"},
		{scenario: "unknown field", path: queryPath("query", "SELECT Nme FROM Account"), status: 400, code: "INVALID_FIELD"},
		{scenario: "unknown object", path: queryPath("queryAll", "SELECT Id FROM Acount"), status: 400, code: "INVALID_TYPE"},
		{scenario: "bad operator", path: queryPath("query", "SELECT Id FROM Account WHERE AnnualRevenue LIKE '1%'"), status: 400, code: "INVALID_QUERY_FILTER_OPERATOR"},
		{scenario: "bad locator", path: "/services/data/v62.0/query/01g000000000001AAA-200", status: 400, code: "INVALID_QUERY_LOCATOR"},
		{scenario: "garbage locator", path: "/services/data/v62.0/queryAll/nonsense", status: 400, code: "INVALID_QUERY_LOCATOR"},
		{scenario: "unknown resource", path: "/services/data/v62.0/nothing/here", status: 404, code: "NOT_FOUND"},
		{scenario: "unknown version", path: "/services/data/v12.0/limits", status: 404, code: "NOT_FOUND"},
		{scenario: "not a version", path: "/services/data/latest/limits", status: 404, code: "NOT_FOUND"},
		{scenario: "describe unknown object", path: "/services/data/v62.0/sobjects/Nothing__c/describe", status: 404, code: "NOT_FOUND"},
		{scenario: "api requests used up", server: limited, path: "/services/data/v62.0/limits", status: 403, code: "REQUEST_LIMIT_EXCEEDED"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			srv := s
			if tt.server != nil {
				srv = tt.server
			}
			tok := srv.AccessToken()
			switch tt.token {
			case "-":
				tok = ""
			case "":
			default:
				tok = tt.token
			}
			status, body, _ := restCall(t, srv, http.MethodGet, tok, tt.path, "")
			wantRESTError(t, status, body, tt.status, tt.code)
		})
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithObject(sffaketest.Invoice))
	var list struct {
		SObjects []struct {
			Name, KeyPrefix string
			Custom          bool
		} `json:"sobjects"`
	}
	restGet(t, s, s.AccessToken(), "/services/data/v62.0/sobjects", http.StatusOK, &list)
	got := map[string]string{}
	for _, o := range list.SObjects {
		got[o.Name] = o.KeyPrefix
	}
	for name, prefix := range map[string]string{"Account": "001", "Territory2": "0MI", "Invoice__c": "a01", "ObjectTerritory2Association": "0R1"} {
		if got[name] != prefix {
			t.Errorf("sobjects: %s has prefix %q, want %q", name, got[name], prefix)
		}
	}

	type field struct {
		Name, Type        string
		Nillable          bool
		ReferenceTo       []string
		RelationshipName  *string
		CompoundFieldName *string
	}
	var d struct {
		Name, Label, KeyPrefix string
		Custom                 bool
		Fields                 []field
	}
	restGet(t, s, s.AccessToken(), "/services/data/v62.0/sobjects/account/describe", http.StatusOK, &d)
	if d.Name != "Account" || d.KeyPrefix != "001" || d.Custom || d.Fields[0].Name != "Id" || d.Fields[0].Type != "id" {
		t.Fatalf("describe Account: %+v", d)
	}
	byName := map[string]field{}
	for _, f := range d.Fields {
		byName[f.Name] = f
	}
	checks := []struct {
		scenario, name, typ string
		check               func(f field) bool
	}{
		{scenario: "currency", name: "AnnualRevenue", typ: "currency", check: func(f field) bool { return f.Nillable }},
		{scenario: "int", name: "NumberOfEmployees", typ: "int"},
		{scenario: "picklist", name: "Industry", typ: "picklist"},
		{scenario: "reference with relationship", name: "ParentId", typ: "reference", check: func(f field) bool {
			return len(f.ReferenceTo) == 1 && f.ReferenceTo[0] == "Account" && f.RelationshipName != nil && *f.RelationshipName == "Parent"
		}},
		{scenario: "address", name: "BillingAddress", typ: "address"},
		{scenario: "address component", name: "BillingCity", typ: "string", check: func(f field) bool {
			return f.CompoundFieldName != nil && *f.CompoundFieldName == "BillingAddress"
		}},
		{scenario: "audit", name: "CreatedDate", typ: "datetime", check: func(f field) bool { return !f.Nillable }},
		{scenario: "system", name: "IsDeleted", typ: "boolean"},
		{scenario: "custom", name: "Region__c", typ: "picklist"},
	}
	for _, c := range checks {
		t.Run(c.scenario, func(t *testing.T) {
			t.Parallel()
			f, ok := byName[c.name]
			if !ok || f.Type != c.typ || c.check != nil && !c.check(f) {
				t.Fatalf("field %s: %+v (present %v), want type %s", c.name, f, ok, c.typ)
			}
		})
	}
}

// limitsOf reads /limits.
func limitsOf(t *testing.T, s *sffake.Server) map[string]sffake.Limit {
	t.Helper()
	var l map[string]sffake.Limit
	restGet(t, s, s.AccessToken(), "/services/data/v62.0/limits", http.StatusOK, &l)
	return l
}

func TestLimitsMoveWithTraffic(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithEvent(orderEvent), sffake.WithLimit(sffake.LimitDailyDeliveredPlatformEvents, 1000))
	before := limitsOf(t, s)
	for name, want := range map[string]int64{
		sffake.LimitDailyDeliveredPlatformEvents: 1000, sffake.LimitHourlyPublishedPlatformEvents: 250_000,
		sffake.LimitDailyBulkV2QueryJobs: 10_000, sffake.LimitDailyAPIRequests: 100_000,
		"MonthlyPlatformEventsUsageEntitlement": 0,
	} {
		if before[name].Max != want {
			t.Errorf("%s Max %d, want %d", name, before[name].Max, want)
		}
	}
	if before[sffake.LimitDailyAPIRequests].Remaining != 100_000-1 {
		t.Errorf("DailyApiRequests before: %+v", before[sffake.LimitDailyAPIRequests])
	}

	publish(t, s, 4)
	c, ctx := client(t, s)
	st := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: orderTopic, ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 3})
	collect(t, st, 3)
	restGet(t, s, s.AccessToken(), queryPath("query", "SELECT Id FROM Account"), http.StatusOK, nil)
	status, body, _ := restCall(t, s, http.MethodPost, s.AccessToken(), "/services/data/v62.0/jobs/query", `{"operation":"query","query":"SELECT Id FROM Account"}`)
	if status != http.StatusOK {
		t.Fatalf("create job: %d %s", status, body)
	}

	after := limitsOf(t, s)
	for name, used := range map[string]int64{
		sffake.LimitDailyDeliveredPlatformEvents:  3,
		sffake.LimitHourlyPublishedPlatformEvents: 4,
		sffake.LimitDailyAPIRequests:              3, // query, job, this /limits
		sffake.LimitDailyBulkV2QueryJobs:          1,
	} {
		if got := before[name].Remaining - after[name].Remaining; got != used {
			t.Errorf("%s: Remaining moved by %d, want %d", name, got, used)
		}
	}
	if got := s.Limits()[sffake.LimitDailyDeliveredPlatformEvents].Remaining; got != 997 {
		t.Errorf("Server.Limits: delivered remaining %d", got)
	}
}

func TestLimitWindowsRollOnTheClock(t *testing.T) {
	t.Parallel()
	clock := sffake.NewManualClock(time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC))
	s := start(t, sffake.WithClock(clock), sffake.WithEvent(orderEvent))
	publish(t, s, 2)
	if got := s.Limits()[sffake.LimitHourlyPublishedPlatformEvents].Remaining; got != 250_000-2 {
		t.Fatalf("published remaining %d", got)
	}
	clock.Advance(time.Hour)
	if got := s.Limits()[sffake.LimitHourlyPublishedPlatformEvents].Remaining; got != 250_000 {
		t.Fatalf("published remaining after an hour %d", got)
	}
}

func TestDeliveryAllocationExhausted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		setup    func(s *sffake.Server)
		want     int // events delivered before the failure
	}{
		{scenario: "allocation runs out mid-stream", setup: func(s *sffake.Server) { s.SetLimit(sffake.LimitDailyDeliveredPlatformEvents, 3) }, want: 3},
		{scenario: "allocation exhausted by the fault switch", setup: func(s *sffake.Server) { s.ExhaustLimit(sffake.LimitDailyDeliveredPlatformEvents) }, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			s := start(t, sffake.WithEvent(orderEvent))
			tt.setup(s)
			publish(t, s, 5)
			c, ctx := client(t, s)
			var tr metadata.MD
			st, err := c.Subscribe(ctx, grpc.Trailer(&tr))
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Send(&eventbus.FetchRequest{TopicName: orderTopic, ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 10}); err != nil {
				t.Fatal(err)
			}
			got := 0
			for {
				r, err := st.Recv()
				if err != nil {
					wantStatus(t, err, tr, codes.ResourceExhausted, "subscription.limit.exceeded")
					if !strings.Contains(err.Error(), "You have exceeded the event delivery limit for your org.") {
						t.Fatalf("message: %v", err)
					}
					break
				}
				got += len(r.GetEvents())
			}
			if got != tt.want {
				t.Fatalf("delivered %d events, want %d", got, tt.want)
			}
			if rem := s.Limits()[sffake.LimitDailyDeliveredPlatformEvents].Remaining; rem != 0 {
				t.Fatalf("remaining %d", rem)
			}
			// A new subscription fails at once; a new window lets it work.
			st2 := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: orderTopic, ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 1})
			err = recvError(t, st2)
			wantStatus(t, err, st2.Trailer(), codes.ResourceExhausted, "subscription.limit.exceeded")
			s.ResetLimits()
			st3 := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: orderTopic, ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 1})
			collect(t, st3, 1)
		})
	}
}

// decodeJSON is json.Unmarshal that fails the test.
func decodeJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}
