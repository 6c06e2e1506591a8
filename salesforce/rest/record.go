package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// maxDepth bounds the nesting of decoded JSON values.
const maxDepth = 64

// Record is one row of a query result: its attributes and its fields in
// the order Salesforce sent them (the SELECT order). A Record is a plain
// value, safe for concurrent reads.
type Record struct {
	// Type is attributes.type, the sObject name, e.g. "Account".
	Type string
	// URL is attributes.url, e.g. /services/data/v62.0/sobjects/Account/001….
	URL string
	// Names lists the field names in order, attributes excluded.
	Names []string
	// Fields maps each name to its value: nil for null, string, a
	// json.Number (never a float64, so that no digit is lost), bool,
	// Record for a parent relationship, QueryResult for a child
	// subquery, map[string]any for compound values and []any for arrays.
	Fields map[string]any
}

// QueryResult is a page of query results, also the value of a child
// subquery field.
type QueryResult struct {
	// TotalSize is the number of rows of the whole query.
	TotalSize int
	// Done is true on the last page.
	Done bool
	// NextRecordsURL is the path of the next page; "" when Done.
	NextRecordsURL string
	// Records are this page's rows.
	Records []Record
}

// ID returns the record's Id field or, when the query did not select it,
// the last element of its URL; "" if neither is there.
func (r Record) ID() string {
	if s, ok := r.String("Id"); ok {
		return s
	}
	if i := strings.LastIndexByte(r.URL, '/'); i >= 0 {
		return r.URL[i+1:]
	}
	return ""
}

// field returns the value of one field name, matching case-insensitively
// when there is no exact match (Salesforce answers with the API name's
// own case, whatever the query's).
func (r Record) field(name string) (any, bool) {
	if v, ok := r.Fields[name]; ok {
		return v, true
	}
	for _, n := range r.Names {
		if strings.EqualFold(n, name) {
			return r.Fields[n], true
		}
	}
	return nil, false
}

// Get returns the value at path, a field name or a relationship path such
// as Account.Owner.Name, and whether the path exists. A null field, and
// any path through a null relationship, gives (nil, true).
func (r Record) Get(path string) (any, bool) {
	cur := r
	for {
		head, rest, more := strings.Cut(path, ".")
		v, ok := cur.field(head)
		if !ok || !more {
			return v, ok
		}
		switch x := v.(type) {
		case nil:
			return nil, true
		case Record:
			cur, path = x, rest
		default:
			return nil, false
		}
	}
}

// IsNull reports whether path exists and is null.
func (r Record) IsNull(path string) bool {
	v, ok := r.Get(path)
	return ok && v == nil
}

// String returns the string at path; ok is false when the path is
// missing, null or not a string.
func (r Record) String(path string) (string, bool) {
	v, _ := r.Get(path)
	s, ok := v.(string)
	return s, ok
}

// Number returns the number at path exactly as sent; ok is false when the
// path is missing, null or not a number.
func (r Record) Number(path string) (json.Number, bool) {
	v, _ := r.Get(path)
	n, ok := v.(json.Number)
	return n, ok
}

// Int64 returns the integer at path; ok is false when the path is
// missing, null, or not an integer that fits in int64.
func (r Record) Int64(path string) (int64, bool) {
	n, ok := r.Number(path)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// Float64 returns the number at path as the nearest float64; ok is false
// when the path is missing, null or not a number.
func (r Record) Float64(path string) (float64, bool) {
	n, ok := r.Number(path)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// Bool returns the boolean at path; ok is false when the path is missing,
// null or not a boolean.
func (r Record) Bool(path string) (bool, bool) {
	v, _ := r.Get(path)
	b, ok := v.(bool)
	return b, ok
}

// DateTime returns the datetime at path (see [ParseDateTime]); ok is
// false when the path is missing, null or not a datetime.
func (r Record) DateTime(path string) (time.Time, bool) {
	s, ok := r.String(path)
	if !ok {
		return time.Time{}, false
	}
	t, err := ParseDateTime(s)
	return t, err == nil
}

// Date returns the date at path (2024-01-15); ok is false when the path
// is missing, null or not a date.
func (r Record) Date(path string) (Date, bool) {
	s, ok := r.String(path)
	if !ok {
		return Date{}, false
	}
	d, err := ParseDate(s)
	return d, err == nil
}

// Related returns the parent record at path (e.g. Account, or
// Account.Owner); ok is false when the path is missing, null or not a
// record.
func (r Record) Related(path string) (Record, bool) {
	v, _ := r.Get(path)
	rec, ok := v.(Record)
	return rec, ok
}

// Children returns the child subquery result at path (e.g. Contacts); ok
// is false when the path is missing, null or not a subquery. Only the
// first page of children is inline; follow NextRecordsURL with
// [Client.QueryMore] for the rest.
func (r Record) Children(path string) (QueryResult, bool) {
	v, _ := r.Get(path)
	q, ok := v.(QueryResult)
	return q, ok
}

// Salesforce datetime layouts: the REST API's 2024-01-15T10:30:00.000+0000
// and the ISO forms of Bulk API CSV and Pub/Sub.
var dateTimeLayouts = []string{
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05-0700",
	time.RFC3339Nano,
}

// ParseDateTime parses a Salesforce datetime: 2024-01-15T10:30:00.000+0000
// as the REST API writes it, or RFC 3339 (2024-01-15T10:30:00.000Z) as
// Bulk API CSV does. The result keeps the offset it was written with.
func ParseDateTime(s string) (time.Time, error) {
	for _, layout := range dateTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("parse datetime %q: not a salesforce datetime", s)
}

// Date is a calendar date without time or zone, the Salesforce Date type.
// Its zero value is not a valid date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses a Salesforce date, 2024-01-15.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("parse date %q: not a salesforce date", s)
	}
	return DateOf(t), nil
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// String returns the date as Salesforce writes it, 2024-01-15.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// In returns midnight of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// parsers reuse fastjson's parsed values from page to page.
var parsers fastjson.ParserPool

// decodeQueryResult decodes a query page, {"totalSize", "done",
// "nextRecordsUrl", "records"}. encoding/json checks the page, then
// fastjson parses it: walking encoding/json's tokens cost 25 µs per
// record, a third of reading a large object.
func decodeQueryResult(data []byte) (QueryResult, error) {
	if !json.Valid(data) {
		// Decode for the position of the problem.
		var v any
		err := json.Unmarshal(data, &v)
		if err == nil {
			err = errors.New("not valid JSON")
		}
		return QueryResult{}, fmt.Errorf("decode query result: %w: %w", ErrMalformedResponse, err)
	}
	p := parsers.Get()
	defer parsers.Put(p) // decodeValue copies all it keeps
	root, err := p.ParseBytes(data)
	if err != nil {
		return QueryResult{}, fmt.Errorf("decode query result: %w: %w", ErrMalformedResponse, err)
	}
	v, err := decodeValue(root, 0)
	if err != nil {
		return QueryResult{}, fmt.Errorf("decode query result: %w: %w", ErrMalformedResponse, err)
	}
	q, ok := v.(QueryResult)
	if !ok {
		return QueryResult{}, fmt.Errorf("decode query result: %w: not a query result", ErrMalformedResponse)
	}
	return q, nil
}

// decodeValue converts a parsed JSON value, turning objects with
// attributes into Record values and query-result objects into
// QueryResult values; numbers stay as their text, json.Number.
func decodeValue(v *fastjson.Value, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("nested too deep")
	}
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		return decodeObject(o, depth)
	case fastjson.TypeArray:
		items, _ := v.Array()
		out := make([]any, len(items))
		for i, item := range items {
			x, err := decodeValue(item, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return string(b), nil
	case fastjson.TypeNumber:
		return json.Number(v.String()), nil
	case fastjson.TypeTrue:
		return true, nil
	case fastjson.TypeFalse:
		return false, nil
	}
	return nil, nil
}

// decodeObject converts the members of an object in order; of a
// repeated name, the last value counts.
func decodeObject(o *fastjson.Object, depth int) (any, error) {
	names := make([]string, 0, o.Len())
	fields := make(map[string]any, o.Len())
	var err error
	o.Visit(func(key []byte, item *fastjson.Value) {
		if err != nil {
			return
		}
		var x any
		if x, err = decodeValue(item, depth+1); err != nil {
			return
		}
		k := string(key)
		if _, dup := fields[k]; !dup {
			names = append(names, k)
		}
		fields[k] = x
	})
	if err != nil {
		return nil, err
	}
	if attrs, ok := fields["attributes"]; ok {
		return toRecord(names, fields, attrs)
	}
	if recs, ok := fields["records"]; ok {
		if _, ok := fields["totalSize"]; ok {
			return toQueryResult(fields, recs)
		}
	}
	return fields, nil
}

func toRecord(names []string, fields map[string]any, attrs any) (Record, error) {
	a, ok := attrs.(map[string]any)
	if !ok {
		return Record{}, errors.New("attributes is not an object")
	}
	r := Record{Names: make([]string, 0, len(names)-1), Fields: fields}
	r.Type, _ = a["type"].(string)
	r.URL, _ = a["url"].(string)
	delete(fields, "attributes")
	for _, n := range names {
		if n != "attributes" {
			r.Names = append(r.Names, n)
		}
	}
	return r, nil
}

func toQueryResult(fields map[string]any, recs any) (QueryResult, error) {
	var q QueryResult
	list, ok := recs.([]any)
	if !ok {
		return q, errors.New("records is not an array")
	}
	n, ok := fields["totalSize"].(json.Number)
	if !ok {
		return q, errors.New("totalSize is not a number")
	}
	size, err := strconv.Atoi(n.String())
	if err != nil || size < 0 {
		return q, fmt.Errorf("totalSize %s", n)
	}
	q.TotalSize = size
	if q.Done, ok = fields["done"].(bool); !ok {
		return q, errors.New("done is not a boolean")
	}
	switch u := fields["nextRecordsUrl"].(type) {
	case string:
		q.NextRecordsURL = u
	case nil:
	default:
		return q, errors.New("nextRecordsUrl is not a string")
	}
	if q.Done {
		q.NextRecordsURL = ""
	} else if q.NextRecordsURL == "" {
		return q, errors.New("not done and no nextRecordsUrl")
	}
	q.Records = make([]Record, len(list))
	for i, v := range list {
		r, ok := v.(Record)
		if !ok {
			return q, fmt.Errorf("record %d has no attributes", i)
		}
		q.Records[i] = r
	}
	return q, nil
}
