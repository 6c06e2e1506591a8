package sffake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// REST write error codes (Salesforce's StatusCode values).
const (
	codeRequiredFieldMissing = "REQUIRED_FIELD_MISSING"
	codeInvalidField         = "INVALID_FIELD"
	codeInvalidFieldInsert   = "INVALID_FIELD_FOR_INSERT_UPDATE"
	codeEntityIsDeleted      = "ENTITY_IS_DELETED"
	codeMalformedID          = "MALFORMED_ID"
	codeMissingArgument      = "MISSING_ARGUMENT"
	codeInvalidType          = "INVALID_TYPE"
	codeUndeleteFailed       = "UNDELETE_FAILED"
	codeRolledBack           = "ALL_OR_NONE_OPERATION_ROLLED_BACK"
	codeExceededIDLimit      = "EXCEEDED_ID_LIMIT"
	codeUnknownException     = "UNKNOWN_EXCEPTION"
)

// maxCollection is the most records one sObject Collections call (and
// one SOAP undelete) takes.
const maxCollection = 200

// maxWriteBody bounds the body of a REST write.
const maxWriteBody = 16 << 20

// writeError is a record write Salesforce refuses: the HTTP status of a
// single-record call, and the status code, message and fields that its
// answer, a collection's result or a SOAP result carries.
type writeError struct {
	status int
	code   string
	msg    string
	fields []string
}

func (e *writeError) Error() string { return e.code + ": " + e.msg }

// restBody is the error as a single-record call answers it.
func (e *writeError) restBody() []obj {
	return []obj{{{"message", e.msg}, {"errorCode", e.code}, {"fields", nonNil(e.fields)}}}
}

// resultError is the error as an entry of a SaveResult's errors.
func (e *writeError) resultError() obj {
	return obj{{"statusCode", e.code}, {"message", e.msg}, {"fields", nonNil(e.fields)}}
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

func writeErr(status int, code, format string, args ...any) *writeError {
	return &writeError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// errRolledBack is the error of a record that was valid but rolled back
// because another record of an all-or-none call failed.
var errRolledBack = &writeError{status: http.StatusBadRequest, code: codeRolledBack,
	msg: "Record rolled back because not all records were valid and the request was using AllOrNone header"}

// asWriteError turns the error of a write into Salesforce's error.
func asWriteError(err error) *writeError {
	var we *writeError
	switch {
	case errors.As(err, &we):
		return we
	case errors.Is(err, ErrNotFound):
		return writeErr(http.StatusNotFound, codeNotFound, msgNotFound)
	case errors.Is(err, ErrDeleted):
		return writeErr(http.StatusNotFound, codeEntityIsDeleted, "entity is deleted")
	case errors.Is(err, ErrNotDeleted):
		return writeErr(http.StatusBadRequest, codeUndeleteFailed, "Entity is not in the recycle bin")
	case errors.Is(err, ErrInvalidValue):
		return writeErr(http.StatusBadRequest, codeJSONParser, "%s", err.Error())
	}
	return writeErr(http.StatusInternalServerError, codeUnknownException, "%s", err.Error())
}

// writeRESTError writes err as a single-record call's error answer.
func writeRESTError(w http.ResponseWriter, err error) {
	we := asWriteError(err)
	writeJSON(w, we.status, we.restBody())
}

// saveResult is a SaveResult (or DeleteResult) of a collection call.
func saveResult(id string, err error) obj {
	if err != nil {
		o := obj{}
		if id != "" {
			o = append(o, kv{"id", id})
		}
		return append(o, kv{"success", false}, kv{"errors", []obj{asWriteError(err).resultError()}})
	}
	return obj{{"id", id}, {"success", true}, {"errors", []obj{}}}
}

func (s *Server) routeSObjects() {
	h := func(pattern string, fn func(http.ResponseWriter, *http.Request, restCall)) {
		s.mux.HandleFunc(pattern, s.rest(fn))
	}
	h("POST /services/data/{ver}/sobjects/{object}", s.handleCreate)
	h("POST /services/data/{ver}/sobjects/{object}/{$}", s.handleCreate)
	h("GET /services/data/{ver}/sobjects/{object}/{id}", s.handleRetrieve)
	h("PATCH /services/data/{ver}/sobjects/{object}/{id}", s.handleUpdate)
	h("DELETE /services/data/{ver}/sobjects/{object}/{id}", s.handleDelete)
	h("PATCH /services/data/{ver}/sobjects/{object}/{field}/{value}", s.handleUpsert)
	h("POST /services/data/{ver}/composite/sobjects", s.handleCollection)
	h("PATCH /services/data/{ver}/composite/sobjects", s.handleCollection)
	h("DELETE /services/data/{ver}/composite/sobjects", s.handleCollectionDelete)
}

// restTransact runs fn in a transaction acting as the call's user, with the
// changeOrigin Salesforce gives REST API changes.
func (s *Server) restTransact(r *http.Request, c restCall, fn func(tx *Tx) error) (Commit, error) {
	return s.Transact(func(tx *Tx) error {
		tx.SetUser(c.sess.userID)
		tx.origin = apiOrigin("rest", c.version, r)
		return fn(tx)
	})
}

// apiOrigin is the changeOrigin of a change made through api (rest or
// soap) at version ("v62.0" or "62.0"), naming the client of the
// Sforce-Call-Options header when there is one.
func apiOrigin(api, version string, r *http.Request) string {
	origin := "com/salesforce/api/" + api + "/" + strings.TrimPrefix(version, "v")
	for opt := range strings.SplitSeq(r.Header.Get("Sforce-Call-Options"), ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(opt), "="); ok && strings.EqualFold(k, "client") && v != "" {
			origin += ";client=" + v
		}
	}
	return origin
}

// readRecord decodes the JSON object of a request body, numbers kept as
// json.Number.
func readRecord(r *http.Request) (map[string]any, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxWriteBody))
	if err != nil {
		return nil, writeErr(http.StatusBadRequest, codeJSONParser, "request body: %v", err)
	}
	var m map[string]any
	if err := decodeStrict(body, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, writeErr(http.StatusBadRequest, codeJSONParser, "The request body must be a JSON object")
	}
	return m, nil
}

// decodeStrict decodes one JSON value, numbers as json.Number; a syntax
// error is JSON_PARSER_ERROR naming the offset.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return writeErr(http.StatusBadRequest, codeJSONParser, "Unexpected JSON: %v at offset %d", err, dec.InputOffset())
	}
	if dec.More() {
		return writeErr(http.StatusBadRequest, codeJSONParser, "Unexpected content after the JSON value at offset %d", dec.InputOffset())
	}
	return nil
}

// restObject returns the defined object called name (any case) or the REST
// NOT_FOUND error; s.mu is held.
func (s *Server) restObject(name string) (*objectDef, error) {
	if o := s.objectFold(name); o != nil {
		return o, nil
	}
	return nil, writeErr(http.StatusNotFound, codeNotFound, msgNotFound)
}

// idLike reports whether v looks like a record id: 15 or 18 letters
// and digits.
func idLike(v string) bool {
	if len(v) != 15 && len(v) != 18 {
		return false
	}
	for i := range len(v) {
		if !strings.ContainsRune(base62, rune(v[i])) {
			return false
		}
	}
	return true
}

// recordID checks that v is an id of object o, in 15- or 18-character
// form, and returns its 18-character form.
func recordID(o *objectDef, v string) (string, error) {
	if !idLike(v) {
		return "", writeErr(http.StatusNotFound, codeNotFound, "Provided external ID field does not exist or is not accessible: %s", v)
	}
	id := v
	if len(v) == 15 {
		id = v + idSuffix(v)
	}
	if !ValidID(id, o.obj.KeyPrefix) {
		return "", writeErr(http.StatusBadRequest, codeMalformedID, "%s ID: id value of incorrect type: %s", o.obj.Name, v)
	}
	return id, nil
}

// systemFields are fields no REST write may set.
var systemFields = []string{fieldID, fieldIsDeleted, fieldSystemModstamp, fieldCreatedDate, fieldCreatedByID, fieldLastModifiedDate, fieldLastModifiedByID}

// requiredField is the field a create must set and an update must not
// clear: Name, where the object has one (describe reports it not
// nillable; the other non-nillable fields have defaults).
const requiredField = "Name"

// fieldFold returns the name of o's field called name, ignoring case.
func fieldFold(o *objectDef, name string) (string, flatField, bool) {
	if ff, ok := o.flat[name]; ok {
		return name, ff, true
	}
	for n, ff := range o.flat {
		if strings.EqualFold(n, name) {
			return n, ff, true
		}
	}
	return "", flatField{}, false
}

// recordValues turns the JSON fields of a REST record into field values
// for o: names matched ignoring case, "attributes" skipped, and values
// converted from their JSON form. create asks for the required field.
func recordValues(o *objectDef, body map[string]any, create bool) (map[string]any, error) {
	vals := make(map[string]any, len(body))
	names := make([]string, 0, len(body))
	for k := range body {
		names = append(names, k)
	}
	slices.Sort(names) // the first error is the same on every call
	for _, k := range names {
		if strings.EqualFold(k, "attributes") {
			continue
		}
		if i := slices.IndexFunc(systemFields, func(f string) bool { return strings.EqualFold(f, k) }); i >= 0 {
			return nil, &writeError{status: http.StatusBadRequest, code: codeInvalidFieldInsert, fields: []string{systemFields[i]},
				msg: fmt.Sprintf("Unable to create/update fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", systemFields[i])}
		}
		name, ff, ok := fieldFold(o, k)
		if !ok {
			return nil, writeErr(http.StatusBadRequest, codeInvalidField, "No such column '%s' on sobject of type %s", k, o.obj.Name)
		}
		v, err := fromJSON(ff.typ, body[k])
		if err != nil {
			return nil, &writeError{status: http.StatusBadRequest, code: codeJSONParser, fields: []string{name},
				msg: fmt.Sprintf("Cannot deserialize instance of %s from %s for field %s", describeTypes[ff.typ], jsonKind(body[k]), name)}
		}
		vals[name] = v
	}
	if _, has := o.flat[requiredField]; has {
		v, given := vals[requiredField]
		if (create && !given) || (given && (v == nil || v == "")) {
			return nil, &writeError{status: http.StatusBadRequest, code: codeRequiredFieldMissing, fields: []string{requiredField},
				msg: "Required fields are missing: [" + requiredField + "]"}
		}
	}
	return vals, nil
}

// jsonKind names the kind of a JSON value for error messages, without
// echoing long values.
func jsonKind(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return fmt.Sprintf("VALUE_STRING value %q", x)
	case json.Number:
		return "VALUE_NUMBER value " + x.String()
	case bool:
		return "VALUE_" + strings.ToUpper(strconv.FormatBool(x))
	case []any:
		return "START_ARRAY"
	case map[string]any:
		return "START_OBJECT"
	}
	return "VALUE_NULL"
}

// Date-time forms REST writes accept, besides RFC 3339.
var restDateTimes = []string{restDateTime, "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05.000Z", "2006-01-02T15:04:05Z", time.RFC3339Nano}

// fromJSON converts a JSON value to the form records hold for type t, as
// [normalize] wants it; numbers and booleans may also come as strings, as
// Salesforce accepts them.
func fromJSON(t FieldType, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	str, isStr := v.(string)
	num, isNum := v.(json.Number)
	if isStr {
		num, isNum = json.Number(strings.TrimSpace(str)), true
	}
	var out any
	switch t {
	case TypeDouble, TypeCurrency, TypePercent:
		if !isNum {
			return nil, ErrInvalidValue
		}
		f, err := num.Float64()
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, ErrInvalidValue
		}
		out = f
	case TypeInt:
		if !isNum {
			return nil, ErrInvalidValue
		}
		n, err := num.Int64()
		if err != nil {
			f, ferr := num.Float64()
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
				return nil, ErrInvalidValue
			}
			n = int64(f)
		}
		out = n
	case TypeBoolean:
		switch {
		case isStr:
			b, err := strconv.ParseBool(str)
			if err != nil {
				return nil, ErrInvalidValue
			}
			out = b
		default:
			b, ok := v.(bool)
			if !ok {
				return nil, ErrInvalidValue
			}
			out = b
		}
	case TypeDate:
		if !isStr {
			return nil, ErrInvalidValue
		}
		d, err := time.Parse(time.DateOnly, str)
		if err != nil {
			return nil, ErrInvalidValue
		}
		out = d
	case TypeDateTime:
		if !isStr {
			return nil, ErrInvalidValue
		}
		var err error
		for _, layout := range restDateTimes {
			var tm time.Time
			if tm, err = time.Parse(layout, str); err == nil {
				out = tm
				break
			}
		}
		if err != nil {
			return nil, ErrInvalidValue
		}
	case TypeTime:
		if !isStr {
			return nil, ErrInvalidValue
		}
		tm, err := time.Parse("15:04:05.000Z", str)
		if err != nil {
			if tm, err = time.Parse("15:04:05", str); err != nil {
				return nil, ErrInvalidValue
			}
		}
		out = time.Duration(tm.Hour())*time.Hour + time.Duration(tm.Minute())*time.Minute +
			time.Duration(tm.Second())*time.Second + time.Duration(tm.Nanosecond())
	default:
		if !isStr {
			return nil, ErrInvalidValue
		}
		out = str
	}
	return normalize(t, out)
}

// createRecord creates one REST record of object o in tx.
func createRecord(tx *Tx, o *objectDef, body map[string]any) (string, error) {
	vals, err := recordValues(o, body, true)
	if err != nil {
		return "", err
	}
	return tx.Create(o.obj.Name, vals)
}

// updateRecord updates record id of object o in tx. The record must be
// of o: an id of another object is MALFORMED_ID.
func updateRecord(tx *Tx, o *objectDef, id string, body map[string]any) error {
	id, err := recordID(o, id)
	if err != nil {
		return err
	}
	vals, err := recordValues(o, body, false)
	if err != nil {
		return err
	}
	return tx.Update(id, vals)
}

// handleCreate serves POST /sobjects/{object}: 201 with the SaveResult.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, c restCall) {
	body, err := readRecord(r)
	if err != nil {
		writeRESTError(w, err)
		return
	}
	var id string
	_, err = s.restTransact(r, c, func(tx *Tx) error {
		o, err := s.restObject(r.PathValue("object"))
		if err != nil {
			return err
		}
		id, err = createRecord(tx, o, body)
		return err
	})
	if err != nil {
		writeRESTError(w, err)
		return
	}
	w.Header().Set("Location", restURL(c.version, r.PathValue("object"), id))
	writeJSON(w, http.StatusCreated, saveResult(id, nil))
}

// handleRetrieve serves GET /sobjects/{object}/{id}: the record with
// every field, or those of ?fields=.
func (s *Server) handleRetrieve(w http.ResponseWriter, r *http.Request, c restCall) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.restObject(r.PathValue("object"))
	if err != nil {
		writeRESTError(w, err)
		return
	}
	id, err := recordID(o, r.PathValue("id"))
	if err != nil {
		writeRESTError(w, err)
		return
	}
	rec, ok := s.records[id]
	if !ok || rec.deleted {
		writeRESTError(w, ErrNotFound)
		return
	}
	var fields []string
	if list := r.URL.Query().Get("fields"); list != "" {
		for f := range strings.SplitSeq(list, ",") {
			name, _, ok := fieldFold(o, strings.TrimSpace(f))
			if !ok && !slices.Contains(systemFields, strings.TrimSpace(f)) {
				writeRESTError(w, writeErr(http.StatusBadRequest, codeInvalidField, "No such column '%s' on sobject of type %s", strings.TrimSpace(f), o.obj.Name))
				return
			}
			if !ok {
				name = strings.TrimSpace(f)
			}
			fields = append(fields, name)
		}
	} else {
		fields = []string{fieldID}
		for _, f := range o.obj.Fields {
			if f.Type != TypeAddress {
				fields = append(fields, f.Name)
				continue
			}
			for _, comp := range addressComponents {
				if flat := addressFlatName(f.Name, comp.name); flat != "" {
					fields = append(fields, flat)
				}
			}
		}
		fields = append(fields, fieldIsDeleted, fieldSystemModstamp)
	}
	writeJSON(w, http.StatusOK, s.recordJSON(rec, fields, c.version))
}

// handleUpdate serves PATCH /sobjects/{object}/{id}: 204.
func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request, c restCall) {
	body, err := readRecord(r)
	if err != nil {
		writeRESTError(w, err)
		return
	}
	_, err = s.restTransact(r, c, func(tx *Tx) error {
		o, err := s.restObject(r.PathValue("object"))
		if err != nil {
			return err
		}
		return updateRecord(tx, o, r.PathValue("id"), body)
	})
	if err != nil {
		writeRESTError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleDelete serves DELETE /sobjects/{object}/{id}: 204.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, c restCall) {
	_, err := s.restTransact(r, c, func(tx *Tx) error {
		o, err := s.restObject(r.PathValue("object"))
		if err != nil {
			return err
		}
		id, err := recordID(o, r.PathValue("id"))
		if err != nil {
			return err
		}
		return tx.Delete(id)
	})
	if err != nil {
		writeRESTError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleUpsert serves PATCH /sobjects/{object}/{field}/{value}, the
// upsert by external id: no live record with the value creates one (201,
// created true), one updates it (200, created false; 204 before API
// v46.0), several answer 300 with their URLs and change nothing.
// ?updateOnly=true answers 404 NOT_FOUND instead of creating.
func (s *Server) handleUpsert(w http.ResponseWriter, r *http.Request, c restCall) {
	body, err := readRecord(r)
	if err != nil {
		writeRESTError(w, err)
		return
	}
	var (
		id      string
		created bool
		matches []string
	)
	_, err = s.restTransact(r, c, func(tx *Tx) error {
		o, err := s.restObject(r.PathValue("object"))
		if err != nil {
			return err
		}
		field, ff, ok := fieldFold(o, r.PathValue("field"))
		if !ok || !ff.external {
			return writeErr(http.StatusNotFound, codeNotFound, "Provided external ID field does not exist or is not accessible: %s", r.PathValue("field"))
		}
		key, err := fromJSON(ff.typ, r.PathValue("value"))
		if err != nil {
			return writeErr(http.StatusBadRequest, codeMalformedID, "%s: invalid external id value %q for a %s field", field, r.PathValue("value"), describeTypes[ff.typ])
		}
		for k, v := range body {
			if strings.EqualFold(k, field) {
				if kv, err := fromJSON(ff.typ, v); err != nil || !equalValues(kv, key) {
					return &writeError{status: http.StatusBadRequest, code: codeInvalidField, fields: []string{field},
						msg: fmt.Sprintf("The value of %s in the body does not match the one in the URL", field)}
				}
				delete(body, k)
			}
		}
		for _, rec := range s.records {
			if rec.obj == o && !rec.deleted && equalValues(rec.values[field], key) {
				matches = append(matches, rec.id)
			}
		}
		switch len(matches) {
		case 0:
			if strings.EqualFold(r.URL.Query().Get("updateOnly"), "true") {
				return writeErr(http.StatusNotFound, codeNotFound, msgNotFound)
			}
			vals, err := recordValues(o, body, true)
			if err != nil {
				return err
			}
			vals[field] = key
			id, err = tx.Create(o.obj.Name, vals)
			created = true
			return err
		case 1:
			id = matches[0]
			return updateRecord(tx, o, id, body)
		}
		return nil
	})
	switch {
	case err != nil:
		writeRESTError(w, err)
	case len(matches) > 1:
		slices.Sort(matches)
		urls := make([]string, len(matches))
		for i, m := range matches {
			urls[i] = restURL(c.version, r.PathValue("object"), m)
		}
		writeJSON(w, http.StatusMultipleChoices, urls)
	case created:
		writeJSON(w, http.StatusCreated, append(saveResult(id, nil), kv{"created", true}))
	case apiVersion(c.version) < 46:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusOK, append(saveResult(id, nil), kv{"created", false}))
	}
}

// apiVersion returns the major number of a version such as "v62.0".
func apiVersion(v string) int {
	n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(v, "v"), ".0"))
	return n
}

// collectionRequest is the body of a POST or PATCH /composite/sobjects.
type collectionRequest struct {
	AllOrNone bool             `json:"allOrNone"`
	Records   []map[string]any `json:"records"`
}

// parseCollection parses the body of an sObject Collections create or
// update (POST or PATCH /composite/sobjects): allOrNone and up to 200
// records, each a JSON object whose attributes name its type. A bad body
// fails with an error naming what and where.
func parseCollection(body []byte) (allOrNone bool, records []map[string]any, err error) {
	var req collectionRequest
	if err := decodeStrict(body, &req); err != nil {
		return false, nil, err
	}
	if req.Records == nil {
		return false, nil, writeErr(http.StatusBadRequest, codeInvalidField, "records: the request has no records list")
	}
	if len(req.Records) > maxCollection {
		return false, nil, writeErr(http.StatusBadRequest, codeExceededIDLimit, "records: %d records, more than the %d a collection takes", len(req.Records), maxCollection)
	}
	for i, rec := range req.Records {
		if rec == nil {
			return false, nil, writeErr(http.StatusBadRequest, codeJSONParser, "records[%d]: not a JSON object", i)
		}
	}
	return req.AllOrNone, req.Records, nil
}

// recordType returns the type in a collection record's attributes.
func recordType(rec map[string]any) string {
	attrs, _ := rec["attributes"].(map[string]any)
	typ, _ := attrs["type"].(string)
	return typ
}

// handleCollection serves POST (create) and PATCH (update) of
// /composite/sobjects: every record in one transaction, one SaveResult
// each in order. Without allOrNone the valid records commit and the
// others fail alone; with it any failure rolls every record back, the
// valid ones reporting ALL_OR_NONE_OPERATION_ROLLED_BACK.
func (s *Server) handleCollection(w http.ResponseWriter, r *http.Request, c restCall) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxWriteBody))
	if err != nil {
		writeRESTError(w, writeErr(http.StatusBadRequest, codeJSONParser, "request body: %v", err))
		return
	}
	allOrNone, records, err := parseCollection(body)
	if err != nil {
		writeRESTError(w, err)
		return
	}
	update := r.Method == http.MethodPatch
	ids := make([]string, len(records))
	errs := make([]error, len(records))
	_, err = s.restTransact(r, c, func(tx *Tx) error {
		failed := false
		for i, rec := range records {
			errs[i] = func() error {
				typ := recordType(rec)
				if typ == "" {
					return writeErr(http.StatusBadRequest, codeInvalidType, "records[%d]: attributes.type is required", i)
				}
				o := s.objectFold(typ)
				if o == nil {
					return writeErr(http.StatusBadRequest, codeInvalidType, "sObject type '%s' is not supported.", typ)
				}
				idv, hasID := "", false
				for k, v := range rec {
					if strings.EqualFold(k, fieldID) {
						idv, _ = v.(string)
						hasID = true
					}
				}
				fields := make(map[string]any, len(rec))
				for k, v := range rec {
					if !strings.EqualFold(k, fieldID) {
						fields[k] = v
					}
				}
				if !update {
					if hasID {
						return &writeError{status: http.StatusBadRequest, code: codeInvalidFieldInsert, fields: []string{fieldID}, msg: "cannot specify Id in an insert call"}
					}
					var err error
					ids[i], err = createRecord(tx, o, fields)
					return err
				}
				if idv == "" {
					return writeErr(http.StatusBadRequest, codeMissingArgument, "Id not specified in an update call")
				}
				if !idLike(idv) {
					return writeErr(http.StatusBadRequest, codeMalformedID, "malformed id %s", idv)
				}
				ids[i] = idv
				return updateRecord(tx, o, idv, fields)
			}()
			failed = failed || errs[i] != nil
		}
		if failed && allOrNone {
			return errRolledBack
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRolledBack) {
		writeRESTError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, collectionResults(ids, errs, errors.Is(err, errRolledBack), update))
}

// collectionResults are the results of a collection call in order; when
// rolledBack, the records that succeeded report the rollback instead.
func collectionResults(ids []string, errs []error, rolledBack, keepFailedIDs bool) []obj {
	out := make([]obj, len(ids))
	for i := range ids {
		err := errs[i]
		if err == nil && rolledBack {
			err = errRolledBack
		}
		id := ids[i]
		if err != nil && !keepFailedIDs {
			id = ""
		}
		out[i] = saveResult(id, err)
	}
	return out
}

// handleCollectionDelete serves DELETE /composite/sobjects?ids=…&allOrNone=…:
// up to 200 ids deleted in one transaction, the records of each object in
// one DELETE change event, as a mass delete publishes.
func (s *Server) handleCollectionDelete(w http.ResponseWriter, r *http.Request, c restCall) {
	q := r.URL.Query()
	var ids []string
	for id := range strings.SplitSeq(q.Get("ids"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		writeRESTError(w, writeErr(http.StatusBadRequest, codeMissingArgument, "ids: no record ids given"))
		return
	}
	if len(ids) > maxCollection {
		writeRESTError(w, writeErr(http.StatusBadRequest, codeExceededIDLimit, "ids: %d ids, more than the %d a collection takes", len(ids), maxCollection))
		return
	}
	allOrNone, _ := strconv.ParseBool(q.Get("allOrNone"))
	errs := make([]error, len(ids))
	_, err := s.restTransact(r, c, func(tx *Tx) error {
		var live []string
		failed := false
		for i, raw := range ids {
			id, err := s.existingID(raw)
			if err == nil {
				ids[i] = id
				if slices.Contains(live, id) {
					continue // deleted once, reported for each mention
				}
				_, err = tx.live("delete", id)
			}
			if errs[i] = err; err != nil {
				failed = true
				continue
			}
			live = append(live, id)
		}
		if failed && allOrNone {
			return errRolledBack
		}
		return tx.Delete(live...)
	})
	if err != nil && !errors.Is(err, errRolledBack) {
		writeRESTError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, collectionResults(ids, errs, errors.Is(err, errRolledBack), true))
}

// existingID returns the 18-character form of an id of any object, or
// MALFORMED_ID; s.mu is held.
func (s *Server) existingID(raw string) (string, error) {
	id := raw
	if len(raw) == 15 && idLike(raw) {
		id = raw + idSuffix(raw)
	}
	if !ValidID(id, "") {
		return "", writeErr(http.StatusBadRequest, codeMalformedID, "malformed id %s", raw)
	}
	return id, nil
}

// restURL returns the REST URL of a record; for logs and 300 answers.
func restURL(version, object, id string) string {
	return "/services/data/" + version + "/sobjects/" + url.PathEscape(object) + "/" + id
}
