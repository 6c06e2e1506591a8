package sffake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfsync/sfsync/salesforce/soql"
)

// Bulk API 2.0 query job states (spec §5.3).
const (
	JobUploadComplete = "UploadComplete"
	JobInProgress     = "InProgress"
	JobComplete       = "JobComplete"
	JobFailed         = "Failed"
	JobAborted        = "Aborted"
)

// DefaultBulkMaxRecords is the number of rows of a Bulk API 2.0 result
// page when the request gives no maxRecords.
const DefaultBulkMaxRecords = 10_000

// columnDelimiters maps the columnDelimiter values to their characters.
var columnDelimiters = map[string]string{
	"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`",
}

// bulkJob is a Bulk API 2.0 query job. Its mutable fields are guarded by
// bulkJobs.mu.
type bulkJob struct {
	id, operation, object, query string
	createdBy                    string
	created, modstamp            time.Time
	apiVersion                   string // "62.0"
	delimiter, lineEnding        string

	state     string
	errMsg    string
	header    []string
	rows      [][]csvCell
	procTime  time.Duration
	stop      chan struct{} // closed when the job is aborted or deleted
	stopClose sync.Once
}

// csvCell is one value of a result row; null cells are written empty.
type csvCell struct {
	s    string
	null bool
}

// bulkJobs holds the query jobs in creation order.
type bulkJobs struct {
	mu   sync.Mutex
	seq  uint64
	m    map[string]*bulkJob
	list []*bulkJob
}

func newBulkJobs() *bulkJobs { return &bulkJobs{m: make(map[string]*bulkJob)} }

func (j *bulkJob) halt() { j.stopClose.Do(func() { close(j.stop) }) }

func (j *bulkJob) terminal() bool {
	return j.state == JobComplete || j.state == JobFailed || j.state == JobAborted
}

// info returns the job info JSON; full adds the fields of status
// responses. bulkJobs.mu is held.
func (j *bulkJob) info(full bool) obj {
	o := obj{
		{"id", j.id},
		{"operation", j.operation},
		{"object", j.object},
		{"createdById", j.createdBy},
		{"createdDate", j.created.UTC().Format(restDateTime)},
		{"systemModstamp", j.modstamp.UTC().Format(restDateTime)},
		{"state", j.state},
		{"concurrencyMode", "Parallel"},
		{"contentType", "CSV"},
		{"apiVersion", json.Number(j.apiVersion)},
		{"lineEnding", j.lineEnding},
		{"columnDelimiter", j.delimiter},
	}
	if !full {
		return o
	}
	o = append(o,
		kv{"jobType", "V2Query"},
		kv{"numberRecordsProcessed", len(j.rows)},
		kv{"retries", 0},
		kv{"totalProcessingTime", j.procTime.Milliseconds()},
	)
	if j.state == JobFailed {
		o = append(o, kv{"errorMessage", j.errMsg})
	}
	return o
}

// job returns the job id, or writes 404 NOT_FOUND.
func (s *Server) job(w http.ResponseWriter, id string) *bulkJob {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	j, ok := s.jobs.m[id]
	if !ok {
		restError(w, http.StatusNotFound, codeNotFound, "Job not found: "+id)
		return nil
	}
	return j
}

// checkQuery parses text and checks it against the org.
func (s *Server) checkQuery(text string) (*soql.Query, error) {
	q, err := soql.Parse(text)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := q.Resolve(describer{s}); err != nil {
		return nil, err
	}
	return q, nil
}

// handleJobCreate creates a query job (POST /jobs/query). The query is
// checked at once (400 with the REST query error codes); the job then
// runs in the background.
func (s *Server) handleJobCreate(w http.ResponseWriter, r *http.Request, c restCall) {
	var req struct {
		Operation       string `json:"operation"`
		Query           string `json:"query"`
		ContentType     string `json:"contentType"`
		ColumnDelimiter string `json:"columnDelimiter"`
		LineEnding      string `json:"lineEnding"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		restError(w, http.StatusBadRequest, codeJSONParser, "Unable to parse the request body: "+err.Error())
		return
	}
	if req.ColumnDelimiter == "" {
		req.ColumnDelimiter = "COMMA"
	}
	if req.LineEnding == "" {
		req.LineEnding = "LF"
	}
	switch {
	case req.Operation != "query" && req.Operation != "queryAll":
		restError(w, http.StatusBadRequest, codeAPIError, fmt.Sprintf("InvalidJob : Invalid operation %q; want query or queryAll", req.Operation))
		return
	case req.ContentType != "" && req.ContentType != "CSV":
		restError(w, http.StatusBadRequest, codeAPIError, fmt.Sprintf("InvalidJob : Invalid contentType %q; want CSV", req.ContentType))
		return
	case columnDelimiters[req.ColumnDelimiter] == "":
		restError(w, http.StatusBadRequest, codeAPIError, fmt.Sprintf("InvalidJob : Invalid columnDelimiter %q", req.ColumnDelimiter))
		return
	case req.LineEnding != "LF" && req.LineEnding != "CRLF":
		restError(w, http.StatusBadRequest, codeAPIError, fmt.Sprintf("InvalidJob : Invalid lineEnding %q", req.LineEnding))
		return
	case strings.TrimSpace(req.Query) == "":
		restError(w, http.StatusBadRequest, codeMalformedQuery, "A query string has to be specified")
		return
	}
	q, err := s.checkQuery(req.Query)
	if err != nil {
		soqlError(w, req.Query, err)
		return
	}
	if s.limits.remaining(LimitDailyBulkV2QueryJobs) <= 0 {
		restError(w, http.StatusBadRequest, codeLimitExceeded, "Max number of Bulk API 2.0 query jobs in the last 24 hours exceeded.")
		return
	}
	s.limits.bulkJobs.Add(1)
	now := s.clock.Now()
	s.jobs.mu.Lock()
	s.jobs.seq++
	j := &bulkJob{
		id:         ID("750", s.jobs.seq),
		operation:  req.Operation,
		object:     q.Object,
		query:      req.Query,
		createdBy:  c.sess.userID,
		created:    now,
		modstamp:   now,
		apiVersion: strings.TrimPrefix(c.version, "v"),
		delimiter:  req.ColumnDelimiter,
		lineEnding: req.LineEnding,
		state:      JobUploadComplete,
		stop:       make(chan struct{}),
	}
	s.jobs.m[j.id] = j
	s.jobs.list = append(s.jobs.list, j)
	info := j.info(false)
	s.jobs.mu.Unlock()
	go s.runJob(j)
	writeJSON(w, http.StatusOK, info)
}

// runJob moves a job through its states on the server's clock: after the
// bulk job delay it takes the query's snapshot and goes InProgress (or
// Failed), after another delay JobComplete. Abort, delete and Close stop
// it.
func (s *Server) runJob(j *bulkJob) {
	wait := func() bool {
		t := s.clock.NewTimer(s.cfg.bulkDelay)
		defer t.Stop()
		select {
		case <-t.C():
			return true
		case <-j.stop:
		case <-s.done:
		}
		return false
	}
	if !wait() {
		return
	}
	started := s.clock.Now()
	var (
		header []string
		rows   [][]csvCell
		failed string
	)
	err := s.query(j.query, j.operation == "queryAll", func(q *soql.Query, rs []row) {
		if q.Count {
			failed = "FUNCTIONALITY_NOT_ENABLED: Aggregate queries (COUNT()) are not supported by Bulk API 2.0 query jobs"
			return
		}
		header = slices.Clone(q.Fields)
		rows = make([][]csvCell, len(rs))
		for i, rw := range rs {
			cells := make([]csvCell, len(q.Fields))
			for k, f := range q.Fields {
				typ, v, _ := s.pathValue(rw.r, f)
				str, ok := csvValue(typ, v)
				cells[k] = csvCell{s: str, null: !ok}
			}
			rows[i] = cells
		}
	})
	if err != nil {
		failed = err.Error()
	}
	s.jobs.mu.Lock()
	if j.state != JobUploadComplete {
		s.jobs.mu.Unlock()
		return
	}
	j.modstamp = s.clock.Now()
	if failed != "" {
		j.state, j.errMsg = JobFailed, failed
		s.jobs.mu.Unlock()
		return
	}
	j.state, j.header, j.rows = JobInProgress, header, rows
	s.jobs.mu.Unlock()
	if !wait() {
		return
	}
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	if j.state == JobInProgress {
		j.state = JobComplete
		j.modstamp = s.clock.Now()
		j.procTime = j.modstamp.Sub(started)
	}
}

// handleJobGet serves a job's status.
func (s *Server) handleJobGet(w http.ResponseWriter, r *http.Request, _ restCall) {
	j := s.job(w, r.PathValue("id"))
	if j == nil {
		return
	}
	s.jobs.mu.Lock()
	info := j.info(true)
	s.jobs.mu.Unlock()
	writeJSON(w, http.StatusOK, info)
}

// handleJobList lists the jobs, oldest first, in one page.
func (s *Server) handleJobList(w http.ResponseWriter, _ *http.Request, _ restCall) {
	s.jobs.mu.Lock()
	recs := make([]obj, len(s.jobs.list))
	for i, j := range s.jobs.list {
		recs[i] = j.info(false)
	}
	s.jobs.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{{"done", true}, {"records", recs}, {"nextRecordsUrl", nil}})
}

// handleJobAbort serves PATCH {"state": "Aborted"}: a job that has not
// finished is aborted; a finished one answers 400 INVALIDJOBSTATE.
func (s *Server) handleJobAbort(w http.ResponseWriter, r *http.Request, _ restCall) {
	j := s.job(w, r.PathValue("id"))
	if j == nil {
		return
	}
	var req struct {
		State string `json:"state"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		restError(w, http.StatusBadRequest, codeJSONParser, "Unable to parse the request body: "+err.Error())
		return
	}
	if req.State != JobAborted {
		restError(w, http.StatusBadRequest, codeAPIError, fmt.Sprintf("InvalidJob : Invalid state %q; only Aborted can be set", req.State))
		return
	}
	s.jobs.mu.Lock()
	if j.terminal() {
		st := j.state
		s.jobs.mu.Unlock()
		restError(w, http.StatusBadRequest, codeInvalidJobState, "Job cannot be aborted in state "+st)
		return
	}
	j.state, j.modstamp, j.rows = JobAborted, s.clock.Now(), nil
	j.halt()
	info := j.info(false)
	s.jobs.mu.Unlock()
	writeJSON(w, http.StatusOK, info)
}

// handleJobDelete deletes a job in a final state (JobComplete, Failed,
// Aborted) with 204; other states answer 400 INVALIDJOBSTATE.
func (s *Server) handleJobDelete(w http.ResponseWriter, r *http.Request, _ restCall) {
	j := s.job(w, r.PathValue("id"))
	if j == nil {
		return
	}
	s.jobs.mu.Lock()
	if !j.terminal() {
		st := j.state
		s.jobs.mu.Unlock()
		restError(w, http.StatusBadRequest, codeInvalidJobState, "Job cannot be deleted in state "+st+"; abort it first")
		return
	}
	delete(s.jobs.m, j.id)
	s.jobs.list = slices.DeleteFunc(s.jobs.list, func(o *bulkJob) bool { return o == j })
	j.halt()
	s.jobs.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// encodeLocator and decodeLocator map a result offset to the opaque
// Sforce-Locator value.
func encodeLocator(off int) string {
	return base64.RawStdEncoding.EncodeToString([]byte(strconv.Itoa(off)))
}

func decodeLocator(loc string) (int, bool) {
	b, err := base64.RawStdEncoding.DecodeString(loc)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(string(b))
	return n, err == nil && n >= 0
}

// handleJobResults serves a page of a completed job's CSV results:
// header row first on every page, then up to maxRecords rows from the
// locator's position, with Sforce-NumberOfRecords and Sforce-Locator
// ("null" on the last page). A job not in JobComplete answers 400
// INVALIDJOBSTATE, a locator the job never gave 400
// INVALID_QUERY_LOCATOR, a version other than the job's 409 API_ERROR.
func (s *Server) handleJobResults(w http.ResponseWriter, r *http.Request, c restCall) {
	j := s.job(w, r.PathValue("id"))
	if j == nil {
		return
	}
	off, limit := 0, DefaultBulkMaxRecords
	if loc := r.URL.Query().Get("locator"); loc != "" && loc != "null" {
		var ok bool
		if off, ok = decodeLocator(loc); !ok {
			restError(w, http.StatusBadRequest, codeInvalidQueryLocator, "Invalid locator: "+loc)
			return
		}
	}
	if mr := r.URL.Query().Get("maxRecords"); mr != "" {
		n, err := strconv.Atoi(mr)
		if err != nil || n <= 0 {
			restError(w, http.StatusBadRequest, codeAPIError, "maxRecords must be a positive integer: "+mr)
			return
		}
		limit = n
	}
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	switch {
	case j.state != JobComplete:
		restError(w, http.StatusBadRequest, codeInvalidJobState, "Results are available only in state JobComplete; the job is "+j.state)
		return
	case strings.TrimPrefix(c.version, "v") != j.apiVersion:
		restError(w, http.StatusConflict, codeAPIError, "Results must be retrieved with the API version of the job, "+j.apiVersion)
		return
	case off > len(j.rows) || off > 0 && off == len(j.rows):
		restError(w, http.StatusBadRequest, codeInvalidQueryLocator, "Invalid locator")
		return
	}
	end := min(off+limit, len(j.rows))
	var b strings.Builder
	delim, eol := columnDelimiters[j.delimiter], "\n"
	if j.lineEnding == "CRLF" {
		eol = "\r\n"
	}
	for i, h := range j.header {
		if i > 0 {
			b.WriteString(delim)
		}
		writeCSVField(&b, csvCell{s: h})
	}
	b.WriteString(eol)
	for _, cells := range j.rows[off:end] {
		for i, cell := range cells {
			if i > 0 {
				b.WriteString(delim)
			}
			writeCSVField(&b, cell)
		}
		b.WriteString(eol)
	}
	next := "null"
	if end < len(j.rows) {
		next = encodeLocator(end)
	}
	w.Header().Set("Content-Type", "text/csv")
	w.Header().Set("Sforce-NumberOfRecords", strconv.Itoa(end-off))
	w.Header().Set("Sforce-Locator", next)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(b.String()))
}

// writeCSVField writes a value double-quoted with inner quotes doubled
// (RFC 4180), and a null as an empty field.
func writeCSVField(b *strings.Builder, c csvCell) {
	if c.null {
		return
	}
	b.WriteByte('"')
	b.WriteString(strings.ReplaceAll(c.s, `"`, `""`))
	b.WriteByte('"')
}
