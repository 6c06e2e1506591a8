package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/sfsync/sfsync/salesforce/oauth"
)

// Error codes of REST and Bulk API 2.0 errors (spec §5.1, §5.3).
const (
	CodeInvalidSession      = "INVALID_SESSION_ID"
	CodeMalformedQuery      = "MALFORMED_QUERY"
	CodeInvalidField        = "INVALID_FIELD"
	CodeInvalidType         = "INVALID_TYPE"
	CodeInvalidOperator     = "INVALID_QUERY_FILTER_OPERATOR"
	CodeInvalidQueryLocator = "INVALID_QUERY_LOCATOR"
	CodeRequestLimit        = "REQUEST_LIMIT_EXCEEDED"
	CodeAPIDisabled         = "API_DISABLED_FOR_ORG"
	CodeInsufficientAccess  = "INSUFFICIENT_ACCESS"
	CodeNotFound            = "NOT_FOUND"
	CodeUnknownException    = "UNKNOWN_EXCEPTION"
	CodeServerUnavailable   = "SERVER_UNAVAILABLE"
	CodeInvalidJobState     = "INVALIDJOBSTATE"
	CodeAPIError            = "API_ERROR"
	CodeJSONParser          = "JSON_PARSER_ERROR"
	CodeLimitExceeded       = "LIMIT_EXCEEDED"
)

// Sentinels that an [*Error] matches with errors.Is when its Code is the
// one named.
var (
	// ErrInvalidSession: the token is missing, expired or revoked (401
	// INVALID_SESSION_ID), even after the client's one retry with a fresh
	// token.
	ErrInvalidSession = errors.New(CodeInvalidSession)
	// ErrMalformedQuery: the SOQL does not parse (MALFORMED_QUERY).
	ErrMalformedQuery = errors.New(CodeMalformedQuery)
	// ErrInvalidField: the query names a field the object lacks
	// (INVALID_FIELD).
	ErrInvalidField = errors.New(CodeInvalidField)
	// ErrInvalidType: the query or describe names an unknown object
	// (INVALID_TYPE).
	ErrInvalidType = errors.New(CodeInvalidType)
	// ErrInvalidOperator: an operator does not suit the field's type
	// (INVALID_QUERY_FILTER_OPERATOR).
	ErrInvalidOperator = errors.New(CodeInvalidOperator)
	// ErrQueryLocator: a nextRecordsUrl or Bulk locator is unknown or
	// expired (INVALID_QUERY_LOCATOR); the query must start over.
	ErrQueryLocator = errors.New(CodeInvalidQueryLocator)
	// ErrRequestLimit: the org's API request allocation is used up
	// (REQUEST_LIMIT_EXCEEDED).
	ErrRequestLimit = errors.New(CodeRequestLimit)
	// ErrNoAccess: the API is disabled for the org or the user lacks
	// access (API_DISABLED_FOR_ORG, INSUFFICIENT_ACCESS).
	ErrNoAccess = errors.New(CodeInsufficientAccess)
	// ErrNotFound: no such resource, object or job (NOT_FOUND).
	ErrNotFound = errors.New(CodeNotFound)
	// ErrInvalidJobState: the Bulk API job is not in a state that allows
	// the request, e.g. results of an unfinished job (INVALIDJOBSTATE).
	ErrInvalidJobState = errors.New(CodeInvalidJobState)
)

// ErrIncompleteListing means a query's last page came after fewer or more
// records than the query's totalSize. (A page with done=false and no
// nextRecordsUrl is an [ErrMalformedResponse].) A caller that treats an
// absent record as deleted must not act on such a listing.
var ErrIncompleteListing = errors.New("salesforce rest: incomplete query listing")

var sentinels = map[string]error{
	CodeInvalidSession:      ErrInvalidSession,
	CodeMalformedQuery:      ErrMalformedQuery,
	CodeInvalidField:        ErrInvalidField,
	CodeInvalidType:         ErrInvalidType,
	CodeInvalidOperator:     ErrInvalidOperator,
	CodeInvalidQueryLocator: ErrQueryLocator,
	CodeRequestLimit:        ErrRequestLimit,
	CodeAPIDisabled:         ErrNoAccess,
	CodeInsufficientAccess:  ErrNoAccess,
	CodeNotFound:            ErrNotFound,
	CodeInvalidJobState:     ErrInvalidJobState,
}

// ErrMalformedResponse is wrapped when a 2xx answer's body is not what
// the resource returns.
var ErrMalformedResponse = errors.New("malformed response")

// Error is a failure answered by Salesforce: the HTTP status and the first
// entry of the JSON error array [{"message", "errorCode", "fields"}]. Get
// one with errors.As, or match its code with errors.Is and the ErrX
// sentinels; decide whether to retry with [IsRetryable].
type Error struct {
	// StatusCode is the HTTP status, e.g. 400.
	StatusCode int
	// Code is the errorCode, e.g. "MALFORMED_QUERY"; empty when the body
	// was not Salesforce's error JSON (a proxy's or maintenance page).
	Code string
	// Message is Salesforce's message; empty with Code. Messages are
	// illustrative: branch on Code.
	Message string
	// Fields lists the fields the error is about, when Salesforce names
	// them.
	Fields []string
	// Method and Path are the request's, without query string; set by
	// [Client.Do].
	Method, Path string
}

// Error returns the status, code and message; it never includes the
// request's query string, the token or a non-Salesforce body.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("salesforce rest: ")
	if e.Method != "" {
		b.WriteString(e.Method + " " + e.Path + ": ")
	}
	fmt.Fprintf(&b, "http %d", e.StatusCode)
	if e.Code == "" {
		if t := http.StatusText(e.StatusCode); t != "" {
			b.WriteString(" " + t)
		}
		return b.String()
	}
	b.WriteString(": " + e.Code)
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Is reports whether target is the sentinel of e's code.
func (e *Error) Is(target error) bool {
	s, ok := sentinels[e.Code]
	return ok && s == target
}

// errorEntry is one element of Salesforce's error array.
type errorEntry struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields"`
}

// DecodeError turns an error response into an [*Error]. body is
// Salesforce's JSON error array (a single object is accepted too); any
// other body leaves Code and Message empty, and is not kept.
func DecodeError(status int, body []byte) *Error {
	e := &Error{StatusCode: status}
	var list []errorEntry
	if err := json.Unmarshal(body, &list); err != nil {
		var one errorEntry
		if json.Unmarshal(body, &one) != nil {
			return e
		}
		list = []errorEntry{one}
	}
	if len(list) == 0 || list[0].ErrorCode == "" {
		return e
	}
	e.Code, e.Message, e.Fields = list[0].ErrorCode, list[0].Message, list[0].Fields
	return e
}

// IsRetryable reports whether a call that failed with err can succeed if
// made again after a backoff. It is the one place that decides; [Client]
// retries on it, and callers paging through results or polling jobs can
// use it too.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	// The caller gave up or ran out of time: retrying cannot help it.
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		switch {
		case e.Code == CodeRequestLimit:
			// REQUEST_LIMIT_EXCEEDED is usually the rolling 24-hour API
			// allocation ("TotalRequests Limit exceeded"): retrying only
			// burns what recovers. Salesforce uses the same code for too
			// many concurrent long-running requests
			// ("ConcurrentPerOrgLongTxn Limit exceeded"), which clears
			// within seconds.
			return strings.Contains(e.Message, "Concurrent")
		case e.Code == CodeInvalidSession:
			// The client already retried once with a fresh token; a
			// second rejection means the credentials cannot produce a
			// valid session.
			return false
		case e.Code == CodeUnknownException, e.Code == CodeServerUnavailable:
			// Salesforce's internal errors and maintenance: transient.
			return true
		case e.StatusCode == http.StatusTooManyRequests:
			// Rate limiting (proxies and some endpoints): back off.
			return true
		case e.StatusCode == http.StatusRequestTimeout:
			// The server timed out waiting for the request: transient.
			return true
		case e.StatusCode >= 500 && e.StatusCode != http.StatusNotImplemented && e.StatusCode != http.StatusHTTPVersionNotSupported:
			// 500, 502, 503, 504: server or gateway failures, including
			// maintenance pages without error JSON.
			return true
		default:
			// Other 4xx — malformed queries, unknown fields and objects,
			// bad locators, INVALIDJOBSTATE, permissions, 409 version
			// mismatch: the same request fails the same way.
			return false
		}
	}
	var ce *credentialsError
	if errors.As(err, &ce) {
		// The token could not be had: the OAuth package knows which of
		// its failures pass.
		return oauth.IsRetryable(ce.err)
	}
	var te *transportError
	if errors.As(err, &te) {
		// The request did not get an answer: connection refused or
		// reset, a timeout, a body cut short. Another attempt may reach
		// a healthy server.
		var ne net.Error
		return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
			errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || isTransient(err)
	}
	// Anything else — a malformed 2xx body, a failure of the
	// credentials, a bad configuration — repeats on retry.
	return false
}

// isTransient reports transport failures net/http reports without a
// typed error, such as a server closing the connection before answering.
func isTransient(err error) bool {
	s := err.Error()
	return strings.Contains(s, "server closed") || strings.Contains(s, "connection reset") ||
		strings.Contains(s, "broken pipe") || strings.Contains(s, "EOF")
}

// credentialsError marks a failure of [Credentials.Token].
type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return "salesforce rest: token: " + e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }
