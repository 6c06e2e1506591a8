package oauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
)

// Error is a failure answer from the token endpoint: the HTTP status and
// the "error" and "error_description" fields of Salesforce's JSON body,
// such as invalid_grant / "authentication failure". Get one with
// errors.As; decide whether to retry with [IsRetryable].
type Error struct {
	// StatusCode is the HTTP status, usually 400 (401 for some client
	// errors).
	StatusCode int
	// Code is the OAuth error code, e.g. "invalid_grant"; empty when the
	// body was not Salesforce's error JSON.
	Code string
	// Description is error_description, e.g. "audience is invalid".
	Description string
}

// Error returns the status, code and description; it never includes the
// request.
func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("oauth token request: http %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	if e.Description == "" {
		return fmt.Sprintf("oauth token request: http %d: %s", e.StatusCode, e.Code)
	}
	return fmt.Sprintf("oauth token request: http %d: %s: %s", e.StatusCode, e.Code, e.Description)
}

// ErrMalformedResponse is wrapped when the token endpoint answers 2xx with
// a body that is not a token response (not JSON, or without access_token
// or instance_url).
var ErrMalformedResponse = errors.New("malformed token response")

// transportError marks a failure to reach the token endpoint or to read
// its answer.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// IsRetryable reports whether asking for a token again, after a backoff,
// can succeed where err failed. It is the one place that decides; callers
// still stop when their own context is done.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	// The caller gave up; trying again cannot help it.
	if errors.Is(err, context.Canceled) {
		return false
	}
	// A bad setting or key fails the same way every time.
	if errors.Is(err, ErrInvalidConfig) {
		return false
	}
	var oe *Error
	if errors.As(err, &oe) {
		switch {
		// Salesforce throttles token requests per user and app.
		case oe.Code == "rate_limit_exceeded", oe.StatusCode == http.StatusTooManyRequests:
			return true
		// RFC 6749 codes for a server that is down or overloaded.
		case oe.Code == "server_error", oe.Code == "temporarily_unavailable":
			return true
		// Server side failures (500, 502 from a proxy, 503 during
		// maintenance) are transient.
		case oe.StatusCode >= 500:
			return true
		}
		// Everything else is an answer about the request itself:
		// invalid_grant (bad or unapproved user, bad audience, expired
		// assertion, wrong secret), invalid_client_id, invalid_client,
		// invalid_request, unsupported_grant_type, inactive_user,
		// inactive_org. Retrying repeats it until someone fixes the app
		// or user, and can get the user locked out.
		return false
	}
	// Connection refused or reset, DNS failures, TLS handshakes and
	// timeouts (including the HTTP client's own deadline) are transient.
	var te *transportError
	if errors.As(err, &te) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	// A 2xx answer that is not a token response comes from something
	// other than Salesforce (a misrouted login URL, a captive portal);
	// repeating the request gets the same page.
	return false
}
