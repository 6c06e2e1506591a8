package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Batch sizes Salesforce accepts in Sforce-Query-Options (spec §5.1).
const (
	MinBatchSize = 200
	MaxBatchSize = 2000
)

// QueryOptions tune a query. The zero value uses Salesforce's defaults.
type QueryOptions struct {
	// BatchSize asks for pages of this many records (Sforce-Query-Options:
	// batchSize), from 200 to 2000; Salesforce treats it as a hint. 0
	// leaves the server's default, 2000.
	BatchSize int
}

func (o QueryOptions) header() (http.Header, error) {
	if o.BatchSize == 0 {
		return nil, nil
	}
	if o.BatchSize < MinBatchSize || o.BatchSize > MaxBatchSize {
		return nil, fmt.Errorf("salesforce rest: batch size %d: want %d to %d", o.BatchSize, MinBatchSize, MaxBatchSize)
	}
	return http.Header{"Sforce-Query-Options": {"batchSize=" + strconv.Itoa(o.BatchSize)}}, nil
}

// Query runs a SOQL query and returns its rows, fetching the first page
// before it returns so that a bad query fails here. Later pages are
// fetched with ctx one ahead of the rows read, so that reading a page
// and fetching the next overlap.
func (c *Client) Query(ctx context.Context, soql string, opts QueryOptions) (*Rows, error) {
	return c.query(ctx, "query", soql, opts)
}

// QueryAll is [Client.Query] through the queryAll resource, whose results
// also hold deleted (IsDeleted = true) and archived records.
func (c *Client) QueryAll(ctx context.Context, soql string, opts QueryOptions) (*Rows, error) {
	return c.query(ctx, "queryAll", soql, opts)
}

func (c *Client) query(ctx context.Context, resource, soql string, opts QueryOptions) (*Rows, error) {
	h, err := opts.header()
	if err != nil {
		return nil, err
	}
	page, err := c.page(ctx, Request{Path: c.DataPath(resource), Query: url.Values{"q": {soql}}, Header: h})
	if err != nil {
		return nil, err
	}
	r := &Rows{c: c, ctx: ctx, header: h, page: page, i: -1, total: page.TotalSize, read: len(page.Records), counted: !isCount(soql)}
	r.fetchNext()
	return r, nil
}

// countQuery matches SOQL's SELECT COUNT() form, whose totalSize is the
// count and whose pages hold no records.
var countQuery = regexp.MustCompile(`(?i)^\s*select\s+count\s*\(\s*\)`)

func isCount(soql string) bool { return countQuery.MatchString(soql) }

// QueryMore fetches the page at nextRecordsURL, the NextRecordsURL of a
// [QueryResult] or [Rows.NextRecordsURL].
func (c *Client) QueryMore(ctx context.Context, nextRecordsURL string, opts QueryOptions) (QueryResult, error) {
	h, err := opts.header()
	if err != nil {
		return QueryResult{}, err
	}
	if !strings.HasPrefix(nextRecordsURL, "/services/data/") {
		return QueryResult{}, fmt.Errorf("salesforce rest: next records url %q: want /services/data/…", nextRecordsURL)
	}
	return c.page(ctx, Request{Path: nextRecordsURL, Header: h})
}

func (c *Client) page(ctx context.Context, req Request) (QueryResult, error) {
	resp, err := c.Do(ctx, req)
	if err != nil {
		return QueryResult{}, err
	}
	q, err := decodeQueryResult(resp.Body)
	if err != nil {
		return QueryResult{}, fmt.Errorf("salesforce rest: %s: %w", logPath(req.Path), err)
	}
	return q, nil
}

// Rows iterates over the records of a query, following nextRecordsUrl
// transparently:
//
//	for rows.Next() {
//		rec := rows.Record()
//		…
//	}
//	if err := rows.Err(); err != nil { … }
//
// A Rows is not safe for concurrent use.
type Rows struct {
	c      *Client
	ctx    context.Context
	header http.Header
	page   QueryResult
	i      int
	total  int
	// read counts the records of all pages so far; counted says that
	// the last page must bring it to total.
	read    int
	counted bool
	rec     Record
	err     error
	// next delivers the page after page, fetched in the background; nil
	// on the last page.
	next chan pageResult
}

type pageResult struct {
	page QueryResult
	err  error
}

// fetchNext starts fetching the page after the current one. A Rows
// abandoned before its end leaves that one request to finish on its own.
func (r *Rows) fetchNext() {
	r.next = nil
	if r.page.Done || r.page.NextRecordsURL == "" {
		return
	}
	next := make(chan pageResult, 1)
	r.next = next
	req := Request{Path: r.page.NextRecordsURL, Header: r.header}
	go func() {
		page, err := r.c.page(r.ctx, req)
		next <- pageResult{page, err}
	}()
}

// Next advances to the next record, fetching the next page when needed,
// and reports whether there is one. It returns false at the end or on an
// error; see [Rows.Err].
func (r *Rows) Next() bool {
	if r.err != nil {
		return false
	}
	if err := r.ctx.Err(); err != nil {
		r.err = fmt.Errorf("salesforce rest: query: %w", err)
		return false
	}
	for r.i+1 >= len(r.page.Records) {
		if r.page.Done || r.page.NextRecordsURL == "" {
			r.rec = Record{}
			r.err = r.complete()
			return false
		}
		next := <-r.next
		if next.err != nil {
			r.err = next.err
			return false
		}
		r.page, r.i = next.page, -1
		r.read += len(r.page.Records)
		r.fetchNext()
	}
	r.i++
	r.rec = r.page.Records[r.i]
	return true
}

// complete checks, at the last page, that the listing is whole. (A page
// with done=false and no nextRecordsUrl never gets here: decoding refuses
// it as a malformed response.)
func (r *Rows) complete() error {
	if r.counted && r.read != r.total {
		return fmt.Errorf("%w: %d records read, the query's totalSize is %d", ErrIncompleteListing, r.read, r.total)
	}
	return nil
}

// Record returns the current record.
func (r *Rows) Record() Record { return r.rec }

// Err returns the error that stopped the iteration, or nil at the end.
func (r *Rows) Err() error { return r.err }

// TotalSize returns the number of records of the whole query, as
// Salesforce reported it on the latest page.
func (r *Rows) TotalSize() int { return r.page.TotalSize }

// NextRecordsURL returns the path of the page after the current one, or
// "" on the last page; with [Client.QueryMore] it resumes the query
// (until the locator expires) after the current page's records.
func (r *Rows) NextRecordsURL() string { return r.page.NextRecordsURL }

// All returns the remaining records as a sequence for range-over-func;
// an error ends it as a final (zero Record, err) pair.
func (r *Rows) All() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for r.Next() {
			if !yield(r.rec, nil) {
				return
			}
		}
		if r.err != nil {
			yield(Record{}, r.err)
		}
	}
}

// Describe returns the metadata of object (sobjects/{object}/describe).
func (c *Client) Describe(ctx context.Context, object string) (*SObjectDescribe, error) {
	if object == "" {
		return nil, errors.New("salesforce rest: describe: empty object name")
	}
	var d SObjectDescribe
	if err := c.getJSON(ctx, c.DataPath("sobjects", object, "describe"), &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// SObjects lists the org's objects (the sobjects resource).
func (c *Client) SObjects(ctx context.Context) ([]SObject, error) {
	var out struct {
		SObjects []SObject `json:"sobjects"`
	}
	if err := c.getJSON(ctx, c.DataPath("sobjects"), &out); err != nil {
		return nil, err
	}
	return out.SObjects, nil
}

// Limits returns the org's limits by name (the limits resource), e.g.
// "DailyApiRequests".
func (c *Client) Limits(ctx context.Context) (map[string]Limit, error) {
	var out map[string]Limit
	if err := c.getJSON(ctx, c.DataPath("limits"), &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Versions lists the API versions the org serves (GET /services/data/).
func (c *Client) Versions(ctx context.Context) ([]Version, error) {
	var out []Version
	if err := c.getJSON(ctx, "/services/data/", &out); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	resp, err := c.Do(ctx, Request{Path: path})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return fmt.Errorf("salesforce rest: %s: %w: %w", path, ErrMalformedResponse, err)
	}
	return nil
}
