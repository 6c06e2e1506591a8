package bulk

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/sfsync/sfsync/salesforce/rest"
)

// ErrMalformedCSV is wrapped when a result page is not the CSV expected:
// unparsable, ragged, or with another row count than Sforce-NumberOfRecords.
var ErrMalformedCSV = errors.New("malformed csv result page")

// noMore is the Sforce-Locator value of the last page.
const noMore = "null"

// Rows iterates over the rows of a completed job's results, fetching page
// after page. A Rows is not safe for concurrent use.
type Rows struct {
	c    *Client
	ctx  context.Context
	job  string
	opts Options

	cols    []string
	page    [][]string
	pageLoc string // the locator the current page was fetched with
	nextLoc string // the next page's locator, "" after the last
	i       int
	row     Row
	err     error
	done    bool
}

// fetch reads the page at loc.
func (r *Rows) fetch(loc string) error {
	q := url.Values{}
	if loc != "" {
		q.Set("locator", loc)
	}
	if r.opts.MaxRecords > 0 {
		q.Set("maxRecords", strconv.Itoa(r.opts.MaxRecords))
	}
	resp, err := r.c.rc.Do(r.ctx, rest.Request{
		Path: r.c.jobPath(r.job, "results"), Query: q,
		Header: http.Header{"Accept": {"text/csv"}},
	})
	if err != nil {
		return err
	}
	want := -1
	if n := resp.Header.Get("Sforce-NumberOfRecords"); n != "" {
		if want, err = strconv.Atoi(n); err != nil {
			return fmt.Errorf("bulk: job %s: %w: Sforce-NumberOfRecords %q", r.job, ErrMalformedCSV, n)
		}
	}
	cols, rows, err := parsePage(resp.Body, r.cols, want)
	if err != nil {
		return fmt.Errorf("bulk: job %s: %w", r.job, err)
	}
	r.cols, r.page, r.i, r.pageLoc = cols, rows, -1, loc
	r.nextLoc = resp.Header.Get("Sforce-Locator")
	if r.nextLoc == noMore {
		r.nextLoc = ""
	}
	return nil
}

// parsePage parses a CSV result page. header is the first page's header,
// nil when this is the first page, whose first row is the header. A later
// page's first row is skipped when it equals header. want, when not -1,
// is the expected number of data rows.
func parsePage(body []byte, header []string, want int) ([]string, [][]string, error) {
	cr := csv.NewReader(bytes.NewReader(body))
	cr.FieldsPerRecord = len(header)
	var rows [][]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrMalformedCSV, err)
		}
		switch {
		case header == nil:
			if len(rec) == 0 || slices.Contains(rec, "") {
				return nil, nil, fmt.Errorf("%w: empty column name", ErrMalformedCSV)
			}
			header = rec
			continue
		case len(rows) == 0 && slices.Equal(rec, header):
			// Every page repeats the header (spec §5.3).
			continue
		}
		rows = append(rows, rec)
	}
	if header == nil {
		if want <= 0 {
			// An empty body: a query without rows.
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("%w: no header row", ErrMalformedCSV)
	}
	if want >= 0 && len(rows) != want {
		return nil, nil, fmt.Errorf("%w: %d rows, Sforce-NumberOfRecords %d", ErrMalformedCSV, len(rows), want)
	}
	return header, rows, nil
}

// Next advances to the next row, fetching the next page when needed, and
// reports whether there is one. It returns false at the end or on an
// error; see [Rows.Err]. After the last row it deletes the job unless
// [Options.KeepJob] is set.
func (r *Rows) Next() bool {
	if r.err != nil || r.done {
		return false
	}
	if err := r.ctx.Err(); err != nil {
		r.err = fmt.Errorf("bulk: job %s: %w", r.job, err)
		return false
	}
	for r.i+1 >= len(r.page) {
		if r.nextLoc == "" {
			r.finish()
			return false
		}
		if err := r.fetch(r.nextLoc); err != nil {
			r.err = err
			return false
		}
	}
	r.i++
	r.row = Row{cols: r.cols, vals: r.page[r.i]}
	return true
}

// finish ends a complete read, deleting the job unless it is kept. A
// failed delete is logged, not returned: every row was read.
func (r *Rows) finish() {
	r.done, r.row = true, Row{}
	if r.opts.KeepJob {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 30*time.Second)
	defer cancel()
	if err := r.c.Delete(ctx, r.job); err != nil {
		r.c.log.WarnContext(r.ctx, "bulk: delete finished job", "job", r.job, "err", err)
	}
}

// All returns the remaining rows as a sequence for range-over-func; an
// error ends it as a final (zero Row, err) pair.
func (r *Rows) All() iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for r.Next() {
			if !yield(r.row, nil) {
				return
			}
		}
		if r.err != nil {
			yield(Row{}, r.err)
		}
	}
}

// Row returns the current row.
func (r *Rows) Row() Row { return r.row }

// Err returns the error that stopped the iteration, or nil.
func (r *Rows) Err() error { return r.err }

// Columns returns the column names, in SELECT order; relationship columns
// are named like Account.Name.
func (r *Rows) Columns() []string { return slices.Clone(r.cols) }

// JobID returns the job's id.
func (r *Rows) JobID() string { return r.job }

// EndOfPage reports whether the current row is the last of its page: the
// moment to save [Rows.JobID] and [Rows.NextLocator] for [Client.Resume].
func (r *Rows) EndOfPage() bool { return r.i >= 0 && r.i == len(r.page)-1 }

// PageLocator returns the locator the current page was fetched with, ""
// for the first page. Resuming there repeats the page's rows.
func (r *Rows) PageLocator() string { return r.pageLoc }

// NextLocator returns the locator of the page after the current one, ""
// when the current page is the last.
func (r *Rows) NextLocator() string { return r.nextLoc }

// Row is one result row. An empty CSV field is null: Bulk API CSV writes
// nulls as empty fields and cannot tell them from empty strings, which
// Salesforce stores as null anyway.
type Row struct {
	cols []string
	vals []string
}

// Get returns the value of column col, and false when it is null or
// there is no such column.
func (r Row) Get(col string) (string, bool) {
	i := slices.Index(r.cols, col)
	if i < 0 || r.vals[i] == "" {
		return "", false
	}
	return r.vals[i], true
}

// Values returns the row's values in column order; nulls are "".
func (r Row) Values() []string { return slices.Clone(r.vals) }

// Map returns the row as column → value, nil for nulls.
func (r Row) Map() map[string]*string {
	m := make(map[string]*string, len(r.cols))
	for i, c := range r.cols {
		if v := r.vals[i]; v != "" {
			m[c] = &v
		} else {
			m[c] = nil
		}
	}
	return m
}

// DateTime returns the datetime in column col (2024-01-15T10:30:00.000Z),
// and false when it is null, missing or not a datetime.
func (r Row) DateTime(col string) (time.Time, bool) {
	s, ok := r.Get(col)
	if !ok {
		return time.Time{}, false
	}
	t, err := rest.ParseDateTime(s)
	return t, err == nil
}
