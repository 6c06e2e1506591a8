package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/sffake"
)

// restClient makes REST (and SOAP undelete) calls against the emulator's
// HTTP listener with its access token, as any Salesforce client would.
type restClient struct {
	t   *testing.T
	srv *sffake.Server
}

// call sends a request and returns the status and body.
func (c restClient) call(method, path, contentType, body string) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.srv.URL()+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.srv.AccessToken())
	req.Header.Set("Sforce-Call-Options", "client=sfsync-e2e")
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, out
}

// must sends a JSON request and fails the test unless it answers status.
func (c restClient) must(method, path string, body any, status int) []byte {
	c.t.Helper()
	text := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		text = string(b)
	}
	got, out := c.call(method, "/services/data/v62.0"+path, "application/json", text)
	if got != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, status, out)
	}
	return out
}

// record is one record of a collection call: its type and fields.
func record(typ string, fields map[string]any) map[string]any {
	r := map[string]any{"attributes": map[string]any{"type": typ}}
	for k, v := range fields {
		r[k] = v
	}
	return r
}

// collection sends records to /composite/sobjects (POST creates, PATCH
// updates) and returns each record's id, "" for those that failed.
func (c restClient) collection(method string, allOrNone bool, records []map[string]any) []string {
	c.t.Helper()
	out := c.must(method, "/composite/sobjects", map[string]any{"allOrNone": allOrNone, "records": records}, http.StatusOK)
	var results []struct {
		ID      string `json:"id"`
		Success bool   `json:"success"`
	}
	if err := json.Unmarshal(out, &results); err != nil || len(results) != len(records) {
		c.t.Fatalf("collection answer %s: %v", out, err)
	}
	ids := make([]string, len(results))
	for i, r := range results {
		if r.Success {
			ids[i] = r.ID
		}
	}
	return ids
}

// undelete restores ids through the SOAP partner API's undelete call,
// with the access token as session id.
func (c restClient) undelete(ids ...string) {
	c.t.Helper()
	var b strings.Builder
	b.WriteString(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Header><urn:SessionHeader><urn:sessionId>` +
		c.srv.AccessToken() + `</urn:sessionId></urn:SessionHeader></soapenv:Header><soapenv:Body><urn:undelete>`)
	for _, id := range ids {
		b.WriteString("<urn:ids>" + id + "</urn:ids>")
	}
	b.WriteString("</urn:undelete></soapenv:Body></soapenv:Envelope>")
	status, out := c.call(http.MethodPost, "/services/Soap/u/62.0", "text/xml", b.String())
	if status != http.StatusOK || bytes.Count(out, []byte("<success>true</success>")) != len(ids) {
		c.t.Fatalf("undelete: %d %s", status, out)
	}
}

// TestRESTWrites runs the producer and a consumer against an emulated org
// that starts empty and changes only through its REST API — single-record
// creates, updates and deletes, sObject Collections (all-or-none and
// partial) — and the SOAP undelete call, and checks that PostgreSQL ends
// equal to the org: 400 accounts in `make test`, 4,000 under
// SFSYNC_TEST_FULL=1.
func TestRESTWrites(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, 0, services{noSeed: true})
	c := p.consumer("consumer", true)
	p.waitAssigned(c)
	api := restClient{t: t, srv: p.srv}

	head := api.collection(http.MethodPost, true, []map[string]any{
		record("Territory2Model", map[string]any{"Name": "FY27", "DeveloperName": "FY27", "State": "Active"}),
		record("Territory2Type", map[string]any{"DeveloperName": "Geo", "MasterLabel": "Geo", "Priority": 1}),
	})
	var territories []map[string]any
	for i := range 6 {
		territories = append(territories, record("Territory2", map[string]any{
			"Name": fmt.Sprintf("Region %d", i), "DeveloperName": fmt.Sprintf("Region_%d", i),
			"Territory2ModelId": head[0], "Territory2TypeId": head[1], "AccountAccessLevel": "Edit",
		}))
	}
	terr := api.collection(http.MethodPost, true, territories)

	// Accounts in collections of 100, each followed by a collection of
	// their territory assignments.
	n := sized(400, 4000)
	var accounts []string
	for len(accounts) < n {
		var recs []map[string]any
		for i := range 100 {
			k := len(accounts) + i
			recs = append(recs, record("Account", map[string]any{
				"Name": fmt.Sprintf("Account %d", k), "Territory_Key__c": terr[k%len(terr)], "Phone": fmt.Sprintf("555-%04d", k),
				"BillingCity": "Lyon", "BillingLatitude": 45.76, "NumberOfEmployees": k, "AnnualRevenue": float64(k) * 1000.5,
			}))
		}
		ids := api.collection(http.MethodPost, true, recs)
		var assoc []map[string]any
		for i, id := range ids {
			assoc = append(assoc, record("ObjectTerritory2Association", map[string]any{
				"ObjectId": id, "Territory2Id": terr[(len(accounts)+i)%len(terr)], "AssociationCause": "Territory2Manual", "SobjectType": "Account",
			}))
		}
		api.collection(http.MethodPost, true, assoc)
		accounts = append(accounts, ids...)
	}

	// Single-record updates: set, clear, address components.
	for i, id := range accounts[:40] {
		api.must(http.MethodPatch, "/sobjects/Account/"+id, map[string]any{
			"Phone": nil, "Industry": "Energy", "BillingCity": "Paris", "BillingLatitude": nil, "Rating": []string{"Hot", "Warm"}[i%2],
		}, http.StatusNoContent)
	}
	// A collection update moving accounts to another territory, with one
	// bad record that fails alone.
	var moves []map[string]any
	for i, id := range accounts[40:120] {
		moves = append(moves, record("Account", map[string]any{"id": id, "Territory_Key__c": terr[(i+1)%len(terr)], "Type": "Customer"}))
	}
	moves = append(moves, record("Account", map[string]any{"id": accounts[0], "NoSuchField__c": 1}))
	if ids := api.collection(http.MethodPatch, false, moves); ids[len(ids)-1] != "" || ids[0] == "" {
		t.Fatalf("partial update: %v", ids)
	}
	// An all-or-none update with a bad record changes nothing.
	if ids := api.collection(http.MethodPatch, true, []map[string]any{
		record("Account", map[string]any{"id": accounts[1], "Name": "Never"}),
		record("Account", map[string]any{"id": accounts[2], "Name": nil}),
	}); ids[0] != "" || ids[1] != "" {
		t.Fatalf("all-or-none update: %v", ids)
	}
	// Deletes, one by one and in a collection, then some undeletes.
	for _, id := range accounts[120:130] {
		api.must(http.MethodDelete, "/sobjects/Account/"+id, nil, http.StatusNoContent)
	}
	api.must(http.MethodDelete, "/composite/sobjects?ids="+strings.Join(accounts[130:160], ","), nil, http.StatusOK)
	api.undelete(accounts[125:135]...)
	// Territory changes: a rename and a deleted territory.
	api.must(http.MethodPatch, "/sobjects/Territory2/"+terr[0], map[string]any{"Description": "renamed", "Name": "Region zero"}, http.StatusNoContent)
	api.must(http.MethodDelete, "/sobjects/Territory2/"+terr[len(terr)-1], nil, http.StatusNoContent)

	if got := len(p.srv.Records("Account", false)); got != n-30 {
		t.Fatalf("the org has %d live accounts, want %d", got, n-30)
	}
	if r, _ := p.srv.Record(accounts[1]); r.Fields["Name"] == "Never" {
		t.Fatal("a rolled-back update was applied")
	}
	p.converge(time.Duration(sized(2, 10)) * time.Minute)
	report(t, fmt.Sprintf("%d accounts written through REST", n), c)
}
