package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/sfsync/sfsync/salesforce/rest"
)

// Job states (spec §5.3).
const (
	StateUploadComplete = "UploadComplete"
	StateInProgress     = "InProgress"
	StateJobComplete    = "JobComplete"
	StateFailed         = "Failed"
	StateAborted        = "Aborted"
)

// Operation is a query job's operation.
type Operation string

// The operations of query jobs.
const (
	// OpQuery returns live records.
	OpQuery Operation = "query"
	// OpQueryAll also returns deleted and archived records.
	OpQueryAll Operation = "queryAll"
)

// Defaults of [Options] fields.
const (
	DefaultPollInterval = time.Second
	DefaultPollMax      = 10 * time.Second
)

// Options tune a query job. The zero value is usable.
type Options struct {
	// Operation is OpQuery (the default) or OpQueryAll.
	Operation Operation
	// MaxRecords caps the rows of each result page (maxRecords), which
	// bounds the memory a page takes; 0 leaves the server's default.
	MaxRecords int
	// PollInterval is the first delay between status polls; it grows by
	// half at each poll up to PollMax. Default [DefaultPollInterval].
	PollInterval time.Duration
	// PollMax caps the delay between polls; default [DefaultPollMax].
	PollMax time.Duration
	// KeepJob keeps the job after its last page has been read; by
	// default it is deleted.
	KeepJob bool
}

func (o *Options) setDefaults() error {
	if o.Operation == "" {
		o.Operation = OpQuery
	}
	if o.Operation != OpQuery && o.Operation != OpQueryAll {
		return fmt.Errorf("bulk: operation %q: want query or queryAll", o.Operation)
	}
	if o.MaxRecords < 0 || o.PollInterval < 0 || o.PollMax < 0 {
		return errors.New("bulk: negative max records or poll interval")
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.PollMax == 0 {
		o.PollMax = DefaultPollMax
	}
	o.PollMax = max(o.PollMax, o.PollInterval)
	return nil
}

// Job is a query job's info.
type Job struct {
	ID                     string      `json:"id"`
	Operation              Operation   `json:"operation"`
	Object                 string      `json:"object"`
	State                  string      `json:"state"`
	CreatedByID            string      `json:"createdById"`
	CreatedDate            string      `json:"createdDate"`
	SystemModstamp         string      `json:"systemModstamp"`
	APIVersion             json.Number `json:"apiVersion"`
	ContentType            string      `json:"contentType"`
	ColumnDelimiter        string      `json:"columnDelimiter"`
	LineEnding             string      `json:"lineEnding"`
	NumberRecordsProcessed int64       `json:"numberRecordsProcessed"`
	// ErrorMessage says why a Failed job failed.
	ErrorMessage string `json:"errorMessage"`
}

// ErrJobFailed and ErrJobAborted are matched by a [*JobError] of a job
// that ended Failed or Aborted.
var (
	ErrJobFailed  = errors.New("bulk query job failed")
	ErrJobAborted = errors.New("bulk query job aborted")
)

// JobError reports a job that ended without results.
type JobError struct {
	// JobID is the job's id.
	JobID string
	// State is Failed or Aborted.
	State string
	// Message is the job's errorMessage, for Failed jobs.
	Message string
}

// Error describes the job's end.
func (e *JobError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("bulk: job %s %s: %s", e.JobID, e.State, e.Message)
	}
	return fmt.Sprintf("bulk: job %s %s", e.JobID, e.State)
}

// Is matches [ErrJobFailed] or [ErrJobAborted] by state.
func (e *JobError) Is(target error) bool {
	return target == ErrJobFailed && e.State == StateFailed || target == ErrJobAborted && e.State == StateAborted
}

// Client runs Bulk API 2.0 query jobs. It is safe for concurrent use.
type Client struct {
	rc  *rest.Client
	log *slog.Logger
}

// New returns a Client that calls Salesforce through rc; logger may be
// nil, which discards logs.
func New(rc *rest.Client, logger *slog.Logger) *Client {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Client{rc: rc, log: logger}
}

func (c *Client) jobPath(elem ...string) string {
	return c.rc.DataPath(append([]string{"jobs", "query"}, elem...)...)
}

// Create creates a query job for soql and returns its info without
// waiting for it.
func (c *Client) Create(ctx context.Context, soql string, opts Options) (*Job, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string]string{
		"operation": string(opts.Operation), "query": soql,
		"contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF",
	})
	if err != nil {
		return nil, fmt.Errorf("bulk: create job: %w", err)
	}
	return c.jobCall(ctx, rest.Request{Method: http.MethodPost, Path: c.jobPath(), Body: body})
}

// Job returns the info of job id.
func (c *Client) Job(ctx context.Context, id string) (*Job, error) {
	return c.jobCall(ctx, rest.Request{Path: c.jobPath(id)})
}

// Abort aborts job id, which must not have finished.
func (c *Client) Abort(ctx context.Context, id string) (*Job, error) {
	return c.jobCall(ctx, rest.Request{Method: http.MethodPatch, Path: c.jobPath(id), Body: []byte(`{"state":"Aborted"}`)})
}

// Delete deletes job id and its results; the job must have finished
// (abort it first otherwise).
func (c *Client) Delete(ctx context.Context, id string) error {
	_, err := c.rc.Do(ctx, rest.Request{Method: http.MethodDelete, Path: c.jobPath(id)})
	return err
}

func (c *Client) jobCall(ctx context.Context, req rest.Request) (*Job, error) {
	resp, err := c.rc.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	var j Job
	if err := json.Unmarshal(resp.Body, &j); err != nil || j.ID == "" {
		return nil, fmt.Errorf("bulk: job info: %w", rest.ErrMalformedResponse)
	}
	return &j, nil
}

// Wait polls job id until it finishes and returns it when JobComplete,
// or a [*JobError] when it ended Failed or Aborted. The delay between
// polls starts at opts.PollInterval and grows to opts.PollMax.
func (c *Client) Wait(ctx context.Context, id string, opts Options) (*Job, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	delay := opts.PollInterval
	for {
		j, err := c.Job(ctx, id)
		if err != nil {
			return nil, err
		}
		switch j.State {
		case StateJobComplete:
			return j, nil
		case StateFailed, StateAborted:
			return nil, &JobError{JobID: j.ID, State: j.State, Message: j.ErrorMessage}
		}
		c.log.DebugContext(ctx, "bulk: job not finished", "job", id, "state", j.State, "delay", delay)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("bulk: wait for job %s: %w", id, ctx.Err())
		}
		delay = min(delay+delay/2, opts.PollMax)
	}
}

// Query creates a query job for soql, waits until it completes and
// returns its rows, the first page fetched. Later pages are fetched with
// ctx as the rows are read.
func (c *Client) Query(ctx context.Context, soql string, opts Options) (*Rows, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	j, err := c.Create(ctx, soql, opts)
	if err != nil {
		return nil, err
	}
	return c.Resume(ctx, j.ID, "", opts)
}

// Resume continues reading job id at locator, as saved from
// [Rows.NextLocator]; "" starts from the first page. It waits for the job
// to complete if it has not.
func (c *Client) Resume(ctx context.Context, id, locator string, opts Options) (*Rows, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	if _, err := c.Wait(ctx, id, opts); err != nil {
		return nil, err
	}
	r := &Rows{c: c, ctx: ctx, job: id, opts: opts, i: -1}
	if err := r.fetch(locator); err != nil {
		return nil, err
	}
	return r, nil
}
