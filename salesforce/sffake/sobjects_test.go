package sffake_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

// ticketObject is a custom object with change events and an external id.
var ticketObject = sffake.Object{
	Name: "Ticket__c", KeyPrefix: "a07", ChangeEvents: true,
	Fields: []sffake.Field{
		{Name: "Name", Type: sffake.TypeString},
		{Name: "Ref__c", Type: sffake.TypeString, ExternalID: true},
		{Name: "Seats__c", Type: sffake.TypeInt},
		{Name: "Price__c", Type: sffake.TypeCurrency},
		{Name: "Open__c", Type: sffake.TypeBoolean},
		{Name: "Due__c", Type: sffake.TypeDate},
	},
}

const apiBase = "/services/data/v62.0"

// changes subscribes to topic from the earliest event with sfsync's own
// Pub/Sub client and returns the first n events, decoded. The server must
// have published exactly n change events in all, so that none is left
// unread.
func changes(t *testing.T, s *sffake.Server, topic string, n int) []pubsub.Event {
	t.Helper()
	if got := s.Stats().ChangeEvents; got != int64(n) {
		t.Fatalf("the server published %d change events, want %d", got, n)
	}
	ctx := authContext(t, s, s.AccessToken())
	c, err := pubsub.Dial(ctx, pubsub.Config{Endpoint: s.PubSubAddr(), Plaintext: true, Credentials: pubsub.StaticCredentials(s.Bearer())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	sub, err := c.Subscribe(ctx, pubsub.SubscribeRequest{Topic: topic, Preset: pubsub.Earliest})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	var out []pubsub.Event
	for len(out) < n {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("after %d of %d events: %v", len(out), n, err)
		}
		if ev.Keepalive {
			continue
		}
		if ev.DecodeErr != nil {
			t.Fatalf("event %d: %v", len(out), ev.DecodeErr)
		}
		out = append(out, ev)
	}
	return out
}

// value unwraps a nullable field of a decoded record.
func value(ev pubsub.Event, name string) any {
	v := ev.Record[name]
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for _, x := range m {
			return x
		}
	}
	return v
}

// write sends a REST write with the server's token and returns the
// status and the body decoded as JSON (nil when empty).
func write(t *testing.T, s *sffake.Server, method, path, body string) (int, any) {
	t.Helper()
	status, raw, _ := restCall(t, s, method, s.AccessToken(), path, body)
	var out any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return status, out
}

// mustWrite is write expecting status.
func mustWrite(t *testing.T, s *sffake.Server, method, path, body string, status int) any {
	t.Helper()
	got, out := write(t, s, method, path, body)
	if got != status {
		t.Fatalf("%s %s: status %d, want %d: %v", method, path, got, status, out)
	}
	return out
}

// createdID is the id of a successful SaveResult.
func createdID(t *testing.T, out any) string {
	t.Helper()
	m, _ := out.(map[string]any)
	id, _ := m["id"].(string)
	if m["success"] != true || id == "" || fmt.Sprint(m["errors"]) != "[]" {
		t.Fatalf("save result %v", out)
	}
	return id
}

func TestRESTCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	s := start(t)
	id := createdID(t, mustWrite(t, s, "POST", apiBase+"/sobjects/Account", `{"Name":"Acme","Phone":"555-0100","NumberOfEmployees":12,"BillingCity":"Lyon"}`, http.StatusCreated))
	mustWrite(t, s, "PATCH", apiBase+"/sobjects/Account/"+id, `{"Phone":null,"Industry":"Energy","BillingCity":"Paris"}`, http.StatusNoContent)
	rec := mustWrite(t, s, "GET", apiBase+"/sobjects/Account/"+id[:15], "", http.StatusOK).(map[string]any)
	if rec["Industry"] != "Energy" || rec["Phone"] != nil || rec["BillingCity"] != "Paris" || rec["Id"] != id {
		t.Fatalf("record after update: %v", rec)
	}
	mustWrite(t, s, "DELETE", apiBase+"/sobjects/Account/"+id, "", http.StatusNoContent)

	evs := changes(t, s, "/data/AccountChangeEvent", 3)
	want := []struct {
		typ             pubsub.ChangeType
		changed, nulled []string
	}{
		{typ: pubsub.Create},
		{typ: pubsub.Update, changed: []string{"BillingAddress.City", "Phone", "Industry", "LastModifiedDate"}, nulled: []string{"Phone"}},
		{typ: pubsub.Delete},
	}
	for i, w := range want {
		h := evs[i].Header
		if h.ChangeType != w.typ || !slices.Equal(h.RecordIDs, []string{id}) || h.CommitUser != s.UserID() ||
			!strings.HasPrefix(h.ChangeOrigin, "com/salesforce/api/rest/62.0") || h.SequenceNumber != 1 {
			t.Errorf("event %d: header %+v, want %s of %s", i, h, w.typ, id)
		}
		slices.Sort(h.ChangedFields)
		slices.Sort(w.changed)
		if w.changed != nil && (!slices.Equal(h.ChangedFields, w.changed) || !slices.Equal(h.NulledFields, w.nulled)) {
			t.Errorf("event %d: changed %v nulled %v, want %v and %v", i, h.ChangedFields, h.NulledFields, w.changed, w.nulled)
		}
		if i > 0 && h.CommitNumber <= evs[i-1].Header.CommitNumber {
			t.Errorf("event %d: commit number %d not after %d", i, h.CommitNumber, evs[i-1].Header.CommitNumber)
		}
	}
	if value(evs[0], "Name") != "Acme" || value(evs[0], "NumberOfEmployees") != int32(12) || value(evs[1], "Industry") != "Energy" {
		t.Errorf("event bodies: create %v, update %v", evs[0].Record, evs[1].Record)
	}
	if r, _ := s.Record(id); !r.Deleted {
		t.Errorf("record %s not deleted", id)
	}
}

func TestRESTWriteErrors(t *testing.T) {
	t.Parallel()
	s := start(t)
	live := createdID(t, mustWrite(t, s, "POST", apiBase+"/sobjects/Account", `{"Name":"Live"}`, http.StatusCreated))
	gone := createdID(t, mustWrite(t, s, "POST", apiBase+"/sobjects/Account", `{"Name":"Gone"}`, http.StatusCreated))
	mustWrite(t, s, "DELETE", apiBase+"/sobjects/Account/"+gone, "", http.StatusNoContent)
	events := s.Stats().ChangeEvents
	tests := []struct {
		scenario, method, path, body string
		status                       int
		code                         string
	}{
		{"create without the required Name", "POST", "/sobjects/Account", `{"Phone":"1"}`, 400, "REQUIRED_FIELD_MISSING"},
		{"update clearing Name", "PATCH", "/sobjects/Account/" + live, `{"Name":null}`, 400, "REQUIRED_FIELD_MISSING"},
		{"unknown field", "POST", "/sobjects/Account", `{"Name":"x","Colour__c":"red"}`, 400, "INVALID_FIELD"},
		{"system field", "PATCH", "/sobjects/Account/" + live, `{"CreatedDate":"2024-01-01T00:00:00.000+0000"}`, 400, "INVALID_FIELD_FOR_INSERT_UPDATE"},
		{"value of the wrong type", "PATCH", "/sobjects/Account/" + live, `{"NumberOfEmployees":"many"}`, 400, "JSON_PARSER_ERROR"},
		{"body not JSON", "POST", "/sobjects/Account", `{"Name":`, 400, "JSON_PARSER_ERROR"},
		{"update of a deleted record", "PATCH", "/sobjects/Account/" + gone, `{"Phone":"1"}`, 404, "ENTITY_IS_DELETED"},
		{"delete of a deleted record", "DELETE", "/sobjects/Account/" + gone, ``, 404, "ENTITY_IS_DELETED"},
		{"update of a record that never was", "PATCH", "/sobjects/Account/" + sffake.ID("001", 999), `{"Phone":"1"}`, 404, "NOT_FOUND"},
		{"retrieve of a deleted record", "GET", "/sobjects/Account/" + gone, ``, 404, "NOT_FOUND"},
		{"id of another object", "PATCH", "/sobjects/Account/" + sffake.ID("0MI", 1), `{"Phone":"1"}`, 400, "MALFORMED_ID"},
		{"id with a bad checksum", "DELETE", "/sobjects/Account/" + live[:15] + "ZZZ", ``, 400, "MALFORMED_ID"},
		{"not an id", "DELETE", "/sobjects/Account/nope", ``, 404, "NOT_FOUND"},
		{"unknown object", "POST", "/sobjects/Nothing__c", `{"Name":"x"}`, 404, "NOT_FOUND"},
		{"upsert on a field that is not an external id", "PATCH", "/sobjects/Account/Phone/1", `{"Name":"x"}`, 404, "NOT_FOUND"},
	}
	for _, tt := range tests {
		status, body, _ := restCall(t, s, tt.method, s.AccessToken(), apiBase+tt.path, tt.body)
		t.Run(tt.scenario, func(t *testing.T) { wantRESTError(t, status, body, tt.status, tt.code) })
	}
	if got := s.Stats().ChangeEvents; got != events {
		t.Errorf("refused writes published %d change events", got-events)
	}
	if r, _ := s.Record(live); r.Fields["Name"] != "Live" || r.Fields["NumberOfEmployees"] != nil {
		t.Errorf("refused writes changed the record: %v", r.Fields)
	}
}

func TestRESTUpsert(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithObject(ticketObject))
	path := apiBase + "/sobjects/Ticket__c/Ref__c/"
	out := mustWrite(t, s, "PATCH", path+"T-1", `{"Name":"First","Seats__c":2}`, http.StatusCreated).(map[string]any)
	id := createdID(t, out)
	if out["created"] != true {
		t.Errorf("upsert creating: %v", out)
	}
	out = mustWrite(t, s, "PATCH", path+"T-1", `{"Seats__c":3,"Ref__c":"T-1"}`, http.StatusOK).(map[string]any)
	if createdID(t, out) != id || out["created"] != false {
		t.Errorf("upsert updating: %v", out)
	}
	mustWrite(t, s, "PATCH", "/services/data/v45.0/sobjects/Ticket__c/Ref__c/T-1", `{"Open__c":true}`, http.StatusNoContent)
	status, body, _ := restCall(t, s, "PATCH", s.AccessToken(), path+"T-2?updateOnly=true", `{"Name":"x"}`)
	wantRESTError(t, status, body, http.StatusNotFound, "NOT_FOUND")
	status, body, _ = restCall(t, s, "PATCH", s.AccessToken(), path+"T-1", `{"Ref__c":"T-9"}`)
	wantRESTError(t, status, body, http.StatusBadRequest, "INVALID_FIELD")

	// Two records with one value: 300 with both, nothing written.
	createdID(t, mustWrite(t, s, "POST", apiBase+"/sobjects/Ticket__c", `{"Name":"Second","Ref__c":"T-7"}`, http.StatusCreated))
	createdID(t, mustWrite(t, s, "POST", apiBase+"/sobjects/Ticket__c", `{"Name":"Third","Ref__c":"T-7"}`, http.StatusCreated))
	before := s.Stats().ChangeEvents
	if urls, _ := mustWrite(t, s, "PATCH", path+"T-7", `{"Seats__c":1}`, http.StatusMultipleChoices).([]any); len(urls) != 2 {
		t.Errorf("300 answer %v, want two record URLs", urls)
	}
	if s.Stats().ChangeEvents != before {
		t.Error("an ambiguous upsert published events")
	}

	evs := changes(t, s, "/data/Ticket__ChangeEvent", 5)
	if h := evs[0].Header; h.ChangeType != pubsub.Create || value(evs[0], "Ref__c") != "T-1" || value(evs[0], "Seats__c") != int32(2) {
		t.Errorf("upsert create event: %+v %v", h, evs[0].Record)
	}
	if h := evs[1].Header; h.ChangeType != pubsub.Update || !slices.Contains(h.ChangedFields, "Seats__c") || slices.Contains(h.ChangedFields, "Ref__c") {
		t.Errorf("upsert update event: %+v", h)
	}
	if h := evs[2].Header; h.ChangeType != pubsub.Update || !slices.Contains(h.ChangedFields, "Open__c") {
		t.Errorf("upsert update event (v45): %+v", h)
	}
}

func TestRESTCollections(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithObject(ticketObject))
	coll := apiBase + "/composite/sobjects"
	results := func(out any) []map[string]any {
		t.Helper()
		list, _ := out.([]any)
		rs := make([]map[string]any, len(list))
		for i, r := range list {
			rs[i], _ = r.(map[string]any)
		}
		return rs
	}
	errCode := func(r map[string]any) string {
		errs, _ := r["errors"].([]any)
		if len(errs) != 1 {
			return fmt.Sprint(errs)
		}
		e, _ := errs[0].(map[string]any)
		return fmt.Sprint(e["statusCode"])
	}

	// Partial success: two records of two objects commit in one
	// transaction, the bad one fails alone.
	rs := results(mustWrite(t, s, "POST", coll, `{"allOrNone":false,"records":[
		{"attributes":{"type":"Account"},"Name":"One"},
		{"attributes":{"type":"Account"},"Phone":"no name"},
		{"attributes":{"type":"Ticket__c"},"Name":"T","Ref__c":"R-1"}]}`, http.StatusOK))
	if len(rs) != 3 || rs[0]["success"] != true || rs[1]["success"] != false || errCode(rs[1]) != "REQUIRED_FIELD_MISSING" || rs[2]["success"] != true {
		t.Fatalf("partial create: %v", rs)
	}
	one, ticket := rs[0]["id"].(string), rs[2]["id"].(string)

	// All or none: nothing commits, the valid record says it rolled back.
	rs = results(mustWrite(t, s, "POST", coll, `{"allOrNone":true,"records":[
		{"attributes":{"type":"Account"},"Name":"Two"},
		{"attributes":{"type":"Account"},"Name":"Bad","Bogus__c":1}]}`, http.StatusOK))
	if len(rs) != 2 || errCode(rs[0]) != "ALL_OR_NONE_OPERATION_ROLLED_BACK" || errCode(rs[1]) != "INVALID_FIELD" {
		t.Fatalf("all-or-none create: %v", rs)
	}
	if n := len(s.Records("Account", true)); n != 1 {
		t.Fatalf("%d accounts after a rolled-back create, want 1", n)
	}

	// Update two records and a missing one in one transaction.
	two := createdID(t, mustWrite(t, s, "POST", apiBase+"/sobjects/Account", `{"Name":"Two"}`, http.StatusCreated))
	rs = results(mustWrite(t, s, "PATCH", coll, fmt.Sprintf(`{"records":[
		{"attributes":{"type":"Account"},"id":%q,"Rating":"Hot"},
		{"attributes":{"type":"Account"},"id":%q,"Rating":"Warm"},
		{"attributes":{"type":"Account"},"Rating":"Cold"},
		{"attributes":{"type":"Account"},"id":"nope","Rating":"Cold"},
		{"attributes":{"type":"Nothing__c"},"id":%q,"Rating":"Cold"}]}`, one, two, one), http.StatusOK))
	if len(rs) != 5 || rs[0]["success"] != true || rs[1]["success"] != true || errCode(rs[2]) != "MISSING_ARGUMENT" ||
		errCode(rs[3]) != "MALFORMED_ID" || errCode(rs[4]) != "INVALID_TYPE" {
		t.Fatalf("update: %v", rs)
	}

	// Delete both accounts, the ticket and an unknown id: one DELETE
	// event per object in one transaction.
	rs = results(mustWrite(t, s, "DELETE", coll+"?ids="+one+","+two+","+ticket+","+sffake.ID("001", 77), "", http.StatusOK))
	if len(rs) != 4 || rs[0]["success"] != true || rs[1]["success"] != true || rs[2]["success"] != true || errCode(rs[3]) != "NOT_FOUND" {
		t.Fatalf("delete: %v", rs)
	}
	rs = results(mustWrite(t, s, "DELETE", coll+"?allOrNone=true&ids="+one, "", http.StatusOK))
	if len(rs) != 1 || errCode(rs[0]) != "ENTITY_IS_DELETED" {
		t.Fatalf("delete of a deleted record: %v", rs)
	}

	evs := changes(t, s, "/data/ChangeEvents", 7)
	type tx struct {
		types []string
		ids   [][]string
	}
	var txs []tx
	var last string
	for _, ev := range evs {
		h := ev.Header
		if h.TransactionKey != last {
			txs = append(txs, tx{})
			last = h.TransactionKey
		}
		cur := &txs[len(txs)-1]
		if h.SequenceNumber != len(cur.types)+1 {
			t.Errorf("%s %v: sequence number %d, want %d", h.ChangeType, h.RecordIDs, h.SequenceNumber, len(cur.types)+1)
		}
		cur.types = append(cur.types, h.EntityName+" "+string(h.ChangeType))
		cur.ids = append(cur.ids, h.RecordIDs)
	}
	want := []tx{
		{types: []string{"Account CREATE", "Ticket__c CREATE"}, ids: [][]string{{one}, {ticket}}},
		{types: []string{"Account CREATE"}, ids: [][]string{{two}}},
		{types: []string{"Account UPDATE", "Account UPDATE"}, ids: [][]string{{one}, {two}}},
		{types: []string{"Account DELETE", "Ticket__c DELETE"}, ids: [][]string{{one, two}, {ticket}}},
	}
	if fmt.Sprint(txs) != fmt.Sprint(want) {
		t.Errorf("transactions\n got %v\nwant %v", txs, want)
	}
}

func TestRESTCollectionLimits(t *testing.T) {
	t.Parallel()
	s := start(t)
	recs := strings.Repeat(`{"attributes":{"type":"Account"},"Name":"x"},`, 201)
	status, body, _ := restCall(t, s, "POST", s.AccessToken(), apiBase+"/composite/sobjects", `{"records":[`+strings.TrimSuffix(recs, ",")+`]}`)
	wantRESTError(t, status, body, http.StatusBadRequest, "EXCEEDED_ID_LIMIT")
	status, body, _ = restCall(t, s, "POST", s.AccessToken(), apiBase+"/composite/sobjects", `{"allOrNone":true}`)
	wantRESTError(t, status, body, http.StatusBadRequest, "INVALID_FIELD")
}

// TestRESTWritesCountAgainstAPILimit checks that each write, collections
// and SOAP undelete included, uses one DailyApiRequests and that writes
// are refused once none is left.
func TestRESTWritesCountAgainstAPILimit(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithUser(sffake.User{Username: "dev@example.com", Password: "pw"}))
	remaining := func() int64 { return s.Limits()[sffake.LimitDailyAPIRequests].Remaining }
	r0 := remaining()
	id := createdID(t, mustWrite(t, s, "POST", apiBase+"/sobjects/Account", `{"Name":"A"}`, http.StatusCreated))
	mustWrite(t, s, "PATCH", apiBase+"/sobjects/Account/"+id, `{"Phone":"1"}`, http.StatusNoContent)
	mustWrite(t, s, "POST", apiBase+"/composite/sobjects", `{"records":[{"attributes":{"type":"Account"},"Name":"B"},{"attributes":{"type":"Account"},"Name":"C"}]}`, http.StatusOK)
	mustWrite(t, s, "DELETE", apiBase+"/sobjects/Account/"+id, "", http.StatusNoContent)
	sess := soapLogin(t, s, "dev@example.com", "pw")
	if got := soapUndelete(t, s, sess, false, id); got[0] != "true" {
		t.Fatalf("undelete: %v", got)
	}
	if used := r0 - remaining(); used != 5 {
		t.Errorf("five writes used %d API requests", used)
	}
	s.SetLimit(sffake.LimitDailyAPIRequests, r0-remaining())
	status, body, _ := restCall(t, s, "POST", s.AccessToken(), apiBase+"/sobjects/Account", `{"Name":"D"}`)
	wantRESTError(t, status, body, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED")
	if n := len(s.Records("Account", true)); n != 3 {
		t.Errorf("%d accounts, want 3: a refused write created one", n)
	}
}
