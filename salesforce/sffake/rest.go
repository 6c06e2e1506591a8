package sffake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/sfsync/sfsync/salesforce/soql"
)

// REST API versions the emulator serves: v31.0 (Summer '14) to v64.0
// (Summer '25).
const (
	minAPIVersion = 31
	maxAPIVersion = 64
)

// Query batch sizes (spec §5.1): Sforce-Query-Options: batchSize=N is
// clamped to [minBatchSize, maxBatchSize], which is also the default.
const (
	minBatchSize = 200
	maxBatchSize = 2000
)

var versionRE = regexp.MustCompile(`^v([0-9]+)\.0$`)

// restCall is an authenticated REST request.
type restCall struct {
	version string // "v62.0"
	sess    session
}

func (s *Server) routeREST() {
	s.mux.HandleFunc("GET /services/data/{$}", s.handleVersions)
	h := func(pattern string, fn func(http.ResponseWriter, *http.Request, restCall)) {
		s.mux.HandleFunc(pattern, s.rest(fn))
	}
	for _, name := range []string{"query", "queryAll"} {
		all := name == "queryAll"
		h("GET /services/data/{ver}/"+name, func(w http.ResponseWriter, r *http.Request, c restCall) { s.handleQuery(w, r, c, all) })
		h("GET /services/data/{ver}/"+name+"/{$}", func(w http.ResponseWriter, r *http.Request, c restCall) { s.handleQuery(w, r, c, all) })
		h("GET /services/data/{ver}/"+name+"/{locator}", s.handleQueryMore)
	}
	h("GET /services/data/{ver}/sobjects", s.handleSObjects)
	h("GET /services/data/{ver}/sobjects/{$}", s.handleSObjects)
	h("GET /services/data/{ver}/sobjects/{object}/describe", s.handleDescribe)
	h("GET /services/data/{ver}/sobjects/{object}/describe/{$}", s.handleDescribe)
	h("GET /services/data/{ver}/limits", s.handleLimits)
	h("GET /services/data/{ver}/limits/{$}", s.handleLimits)
	h("POST /services/data/{ver}/jobs/query", s.handleJobCreate)
	h("GET /services/data/{ver}/jobs/query", s.handleJobList)
	h("GET /services/data/{ver}/jobs/query/{id}", s.handleJobGet)
	h("PATCH /services/data/{ver}/jobs/query/{id}", s.handleJobAbort)
	h("DELETE /services/data/{ver}/jobs/query/{id}", s.handleJobDelete)
	h("GET /services/data/{ver}/jobs/query/{id}/results", s.handleJobResults)
	s.routeSObjects()
	h("/services/data/{ver}/{rest...}", func(w http.ResponseWriter, _ *http.Request, _ restCall) {
		restError(w, http.StatusNotFound, codeNotFound, msgNotFound)
	})
}

// rest wraps a REST handler: it requires a valid bearer token (401
// INVALID_SESSION_ID), counts the call against [LimitDailyAPIRequests]
// (403 REQUEST_LIMIT_EXCEEDED when none is left) and a supported API
// version in the path (404 NOT_FOUND).
func (s *Server) rest(fn func(http.ResponseWriter, *http.Request, restCall)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.injectHTTPFault(w) {
			return
		}
		sess, ok := s.authenticate(r.Context(), bearer(r))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Token`)
			restError(w, http.StatusUnauthorized, codeInvalidSession, msgInvalidSession)
			return
		}
		if s.limits.remaining(LimitDailyAPIRequests) <= 0 {
			restError(w, http.StatusForbidden, codeRequestLimit, "TotalRequests Limit exceeded.")
			return
		}
		s.limits.apiRequests.Add(1)
		ver := r.PathValue("ver")
		m := versionRE.FindStringSubmatch(ver)
		if m == nil {
			restError(w, http.StatusNotFound, codeNotFound, msgNotFound)
			return
		}
		if n, _ := strconv.Atoi(m[1]); n < minAPIVersion || n > maxAPIVersion {
			restError(w, http.StatusNotFound, codeNotFound, msgNotFound)
			return
		}
		fn(w, r, restCall{version: ver, sess: sess})
	}
}

// handleVersions lists the API versions. Like Salesforce's, it needs no
// token.
func (s *Server) handleVersions(w http.ResponseWriter, _ *http.Request) {
	out := make([]obj, 0, maxAPIVersion-minAPIVersion+1)
	for v := minAPIVersion; v <= maxAPIVersion; v++ {
		out = append(out, obj{
			{"label", releaseLabel(v)},
			{"url", fmt.Sprintf("/services/data/v%d.0", v)},
			{"version", fmt.Sprintf("%d.0", v)},
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// releaseLabel names the release of API version v, e.g. "Winter '25" for
// 62: three releases a year, Spring, Summer and Winter (named after the
// following year), v60 being Spring '24.
func releaseLabel(v int) string {
	k := v - 60
	idx := ((k % 3) + 3) % 3
	year := 24 + (k-idx)/3
	season := [...]string{"Spring", "Summer", "Winter"}[idx]
	if idx == 2 {
		year++
	}
	return fmt.Sprintf("%s '%02d", season, year)
}

// soqlError writes the REST error for a query error: 400 with the soql
// package's code, the message in Salesforce's report form.
func soqlError(w http.ResponseWriter, text string, err error) {
	var qe *soql.Error
	if errors.As(err, &qe) {
		restError(w, http.StatusBadRequest, qe.Code, qe.Report(text))
		return
	}
	restError(w, http.StatusInternalServerError, "UNKNOWN_EXCEPTION", err.Error())
}

// batchSize reads Sforce-Query-Options: batchSize=N, clamped to 200..2000;
// the default is 2000.
func batchSize(r *http.Request) int {
	for opt := range strings.SplitSeq(r.Header.Get("Sforce-Query-Options"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(opt), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "batchSize") {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return min(max(n, minBatchSize), maxBatchSize)
		}
	}
	return maxBatchSize
}

// handleQuery serves /query and /queryAll: the whole result is computed
// and encoded at once and kept behind a query locator for the later
// pages. Keeping each record as its JSON text, rather than as values,
// holds a locator over a million records in a few hundred megabytes.
func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request, c restCall, all bool) {
	text := r.URL.Query().Get("q")
	if strings.TrimSpace(text) == "" {
		restError(w, http.StatusBadRequest, codeMalformedQuery, "A query string has to be specified")
		return
	}
	var (
		records []json.RawMessage
		count   = -1
		failed  error
	)
	err := s.query(text, all, func(q *soql.Query, rows []row) {
		if q.Count {
			count = len(rows)
			return
		}
		records = make([]json.RawMessage, len(rows))
		for i, rw := range rows {
			var text []byte
			if text, failed = s.recordJSON(rw.r, q.Fields, c.version).MarshalJSON(); failed != nil {
				return
			}
			records[i] = bytes.Clone(text) // without the buffer's spare capacity
		}
	})
	if err == nil && failed != nil {
		http.Error(w, "sffake: encode record: "+failed.Error(), http.StatusInternalServerError)
		return
	}
	if err != nil {
		soqlError(w, text, err)
		return
	}
	if count >= 0 {
		writeJSON(w, http.StatusOK, obj{{"totalSize", count}, {"done", true}, {"records", []obj{}}})
		return
	}
	cur := &cursor{records: records, batch: batchSize(r)}
	if len(records) > cur.batch {
		cur.id = s.cursors.add(cur)
	}
	s.writePage(w, c, cur, 0)
}

// writePage writes the page of cur starting at offset.
func (s *Server) writePage(w http.ResponseWriter, c restCall, cur *cursor, offset int) {
	end := min(offset+cur.batch, len(cur.records))
	page := cur.records[offset:end:end]
	if page == nil {
		page = []json.RawMessage{}
	}
	out := obj{{"totalSize", len(cur.records)}, {"done", end == len(cur.records)}}
	if end < len(cur.records) {
		out = append(out, kv{"nextRecordsUrl", fmt.Sprintf("/services/data/%s/query/%s-%d", c.version, cur.id, end)})
	}
	out = append(out, kv{"records", page})
	writeJSON(w, http.StatusOK, out)
}

// handleQueryMore serves a nextRecordsUrl, /query/<locator>-<offset> (or
// /queryAll/…).
func (s *Server) handleQueryMore(w http.ResponseWriter, r *http.Request, c restCall) {
	loc := r.PathValue("locator")
	id, off, ok := strings.Cut(loc, "-")
	offset, err := strconv.Atoi(off)
	cur := s.cursors.get(id)
	if !ok || err != nil || cur == nil || offset <= 0 || offset >= len(cur.records) {
		restError(w, http.StatusBadRequest, codeInvalidQueryLocator, "invalid query locator")
		return
	}
	s.writePage(w, c, cur, offset)
}

// cursor is the result of a query kept for its later pages.
type cursor struct {
	id       string
	records  []json.RawMessage
	batch    int
	lastUsed time.Time
}

// cursors holds the query locators; each stays valid for the locator TTL
// after its last use.
type cursors struct {
	clock Clock
	ttl   time.Duration

	mu  sync.Mutex
	seq uint64
	m   map[string]*cursor
}

func newCursors(clock Clock, ttl time.Duration) *cursors {
	return &cursors{clock: clock, ttl: ttl, m: make(map[string]*cursor)}
}

// add stores c, forgets expired cursors and returns c's locator id, an
// 18-character id with key prefix 01g.
func (cs *cursors) add(c *cursor) string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	now := cs.clock.Now()
	for id, old := range cs.m {
		if !now.Before(old.lastUsed.Add(cs.ttl)) {
			delete(cs.m, id)
		}
	}
	cs.seq++
	c.id = ID("01g", cs.seq)
	c.lastUsed = now
	cs.m[c.id] = c
	return c.id
}

// get returns the unexpired cursor id and marks it used, or nil.
func (cs *cursors) get(id string) *cursor {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.m[id]
	if !ok {
		return nil
	}
	now := cs.clock.Now()
	if !now.Before(c.lastUsed.Add(cs.ttl)) {
		delete(cs.m, id)
		return nil
	}
	c.lastUsed = now
	return c
}

// handleLimits serves /limits.
func (s *Server) handleLimits(w http.ResponseWriter, _ *http.Request, _ restCall) {
	writeJSON(w, http.StatusOK, s.limits.all())
}

// Describe type names of the field types.
var describeTypes = map[FieldType]string{
	TypeString: "string", TypePicklist: "picklist", TypeReference: "reference",
	TypeDouble: "double", TypeCurrency: "currency", TypePercent: "percent",
	TypeInt: "int", TypeBoolean: "boolean", TypeDate: "date",
	TypeDateTime: "datetime", TypeTime: "time", TypeAddress: "address",
	TypeSwitchableName: "string",
}

// label turns an API name into a label: "AnnualRevenue" → "Annual
// Revenue", "Region__c" → "Region".
func label(name string) string {
	name = strings.TrimSuffix(strings.TrimSuffix(name, "__c"), "__e")
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		if r == '_' {
			b.WriteByte(' ')
			continue
		}
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1]) && rs[i-1] != '_') {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// sobjectSummary is an object's entry in /sobjects and the head of its
// describe.
func sobjectSummary(o *objectDef, version string) obj {
	name := o.obj.Name
	base := "/services/data/" + version + "/sobjects/" + name
	return obj{
		{"name", name},
		{"label", label(name)},
		{"labelPlural", label(name) + "s"},
		{"keyPrefix", o.obj.KeyPrefix},
		{"custom", strings.HasSuffix(name, "__c")},
		{"queryable", true},
		{"retrieveable", true},
		{"searchable", true},
		{"createable", true},
		{"updateable", true},
		{"deletable", true},
		{"undeletable", true},
		{"replicateable", true},
		{"urls", obj{{"sobject", base}, {"describe", base + "/describe"}, {"rowTemplate", base + "/{ID}"}}},
	}
}

// handleSObjects serves /sobjects.
func (s *Server) handleSObjects(w http.ResponseWriter, _ *http.Request, c restCall) {
	s.mu.Lock()
	names := make([]string, 0, len(s.objects))
	for n := range s.objects {
		names = append(names, n)
	}
	slices.Sort(names)
	list := make([]obj, len(names))
	for i, n := range names {
		list[i] = sobjectSummary(s.objects[n], c.version)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{{"encoding", "UTF-8"}, {"maxBatchSize", 200}, {"sobjects", list}})
}

// handleDescribe serves /sobjects/{object}/describe: the object's summary
// and its fields (Id, the defined fields in order with each address's
// components after it, IsDeleted, SystemModstamp).
func (s *Server) handleDescribe(w http.ResponseWriter, r *http.Request, c restCall) {
	s.mu.Lock()
	o := s.objectFold(r.PathValue("object"))
	if o == nil {
		s.mu.Unlock()
		restError(w, http.StatusNotFound, codeNotFound, msgNotFound)
		return
	}
	fields := []obj{describeField(fieldID, "id", false, "", "", "")}
	for _, f := range o.obj.Fields {
		if f.Type != TypeAddress {
			rel, target, _ := s.relationship(o, f.Name)
			nillable := f.Type != TypeBoolean && f.Name != fieldCreatedDate && f.Name != fieldCreatedByID &&
				f.Name != fieldLastModifiedDate && f.Name != fieldLastModifiedByID && f.Name != fieldOwnerID && f.Name != "Name"
			fields = append(fields, describeField(f.Name, describeTypes[f.Type], nillable, rel, target, ""))
			continue
		}
		fields = append(fields, describeField(f.Name, "address", true, "", "", ""))
		for _, comp := range addressComponents {
			if flat := addressFlatName(f.Name, comp.name); flat != "" {
				typ := "string"
				if comp.double {
					typ = "double"
				}
				if comp.name == "StateCode" || comp.name == "CountryCode" || comp.name == "GeocodeAccuracy" {
					typ = "picklist"
				}
				fields = append(fields, describeField(flat, typ, true, "", "", f.Name))
			}
		}
	}
	fields = append(fields,
		describeField(fieldIsDeleted, "boolean", false, "", "", ""),
		describeField(fieldSystemModstamp, "datetime", false, "", "", ""))
	out := append(sobjectSummary(o, c.version), kv{"fields", fields})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// describeField is one entry of a describe's fields.
func describeField(name, typ string, nillable bool, rel, target, compound string) obj {
	length := 0
	switch typ {
	case "string", "picklist":
		length = 255
	case "id", "reference":
		length = 18
	}
	refs := []string{}
	if target != "" {
		refs = append(refs, target)
	}
	var relName, compoundName any
	if rel != "" {
		relName = rel
	}
	if compound != "" {
		compoundName = compound
	}
	system := name == fieldID || name == fieldIsDeleted || name == fieldSystemModstamp ||
		name == fieldCreatedDate || name == fieldCreatedByID || name == fieldLastModifiedDate || name == fieldLastModifiedByID
	return obj{
		{"name", name},
		{"label", label(name)},
		{"type", typ},
		{"length", length},
		{"nillable", nillable},
		{"custom", strings.HasSuffix(name, "__c")},
		{"createable", !system && typ != "address"},
		{"updateable", !system && typ != "address"},
		{"filterable", typ != "address"},
		{"sortable", typ != "address"},
		{"referenceTo", refs},
		{"relationshipName", relName},
		{"compoundFieldName", compoundName},
	}
}
