package rest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sfsync/sfsync/platform/retry"
	"github.com/sfsync/sfsync/salesforce/oauth"
)

// Defaults of [Config] fields.
const (
	DefaultAPIVersion = "v62.0"
	DefaultMaxRetries = 3
	DefaultBackoffMin = 200 * time.Millisecond
	DefaultBackoffMax = 10 * time.Second
	DefaultTimeout    = 2 * time.Minute
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// Token is an access token and the instance it is valid for; REST does
// not use its TenantID.
type Token = oauth.Bearer

// Credentials supplies the token of every call; Invalidate reports a
// token Salesforce rejected with 401 INVALID_SESSION_ID. Implementations
// must be safe for concurrent use.
type Credentials = oauth.Credentials

// OAuthCredentials adapts an OAuth token source (such as
// [oauth.TokenSource]) to [Credentials]: the access token and instance
// URL come from the token response. It is [oauth.SourceCredentials], and
// safe for concurrent use when ts is.
func OAuthCredentials(ts oauth.Source) Credentials { return oauth.SourceCredentials(ts) }

// StaticCredentials returns [Credentials] that always give tok, for
// emulators and tests; Invalidate does nothing, so a rejected static
// token fails the call after the one retry. It is
// [oauth.StaticCredentials].
func StaticCredentials(tok Token) Credentials { return oauth.StaticCredentials(tok) }

// Config configures a [Client]. [New] copies it.
type Config struct {
	// Credentials supply the token of every call. Required.
	Credentials Credentials
	// InstanceURL is the org's base URL, e.g.
	// https://mydomain.my.salesforce.com. The default, "", takes each
	// token's InstanceURL.
	InstanceURL string
	// APIVersion is the REST API version, "v62.0" by default
	// ([DefaultAPIVersion]); "62.0" is accepted too.
	APIVersion string
	// HTTPClient sends the requests. The default is a client with a
	// [DefaultTimeout] timeout.
	HTTPClient *http.Client
	// Logger receives debug logs of retries; the default discards them.
	// Tokens, query text and response bodies are never logged.
	Logger *slog.Logger
	// MaxRetries is how many times a call that failed with a retryable
	// error ([IsRetryable]) is tried again. 0 means [DefaultMaxRetries];
	// negative disables retries. The one retry after a rejected token
	// does not count.
	MaxRetries int
	// BackoffMin is the lower bound of every retry delay; the first is
	// between BackoffMin and twice it. Default [DefaultBackoffMin].
	BackoffMin time.Duration
	// BackoffMax caps the retry delay, which doubles from BackoffMin with
	// jitter (at the cap, between BackoffMax/2 and BackoffMax); default
	// [DefaultBackoffMax].
	BackoffMax time.Duration
}

// Validate reports whether the configuration is usable.
func (c Config) Validate() error {
	if c.Credentials == nil {
		return errors.New("rest config: credentials are required")
	}
	if c.InstanceURL != "" {
		u, err := url.Parse(c.InstanceURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("rest config: instance url %q: want http(s)://host", c.InstanceURL)
		}
	}
	if c.APIVersion != "" && normalizeVersion(c.APIVersion) == "" {
		return fmt.Errorf("rest config: api version %q: want vNN.N", c.APIVersion)
	}
	if c.BackoffMin < 0 || c.BackoffMax < 0 {
		return errors.New("rest config: negative backoff")
	}
	return nil
}

// normalizeVersion returns v as "vNN.N", or "" if it is not a version.
func normalizeVersion(v string) string {
	v = strings.TrimPrefix(v, "v")
	whole, frac, ok := strings.Cut(v, ".")
	if !ok || whole == "" || frac == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return ""
	}
	return "v" + v
}

// Client calls the Salesforce REST API. It is safe for concurrent use.
type Client struct {
	creds      Credentials
	instance   string
	version    string
	hc         *http.Client
	log        *slog.Logger
	maxRetries int
	backoffMin time.Duration
	backoffMax time.Duration
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{
		creds:      cfg.Credentials,
		instance:   strings.TrimRight(cfg.InstanceURL, "/"),
		version:    DefaultAPIVersion,
		hc:         cfg.HTTPClient,
		log:        cfg.Logger,
		maxRetries: cfg.MaxRetries,
		backoffMin: cfg.BackoffMin,
		backoffMax: cfg.BackoffMax,
	}
	if cfg.APIVersion != "" {
		c.version = normalizeVersion(cfg.APIVersion)
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: DefaultTimeout}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.backoffMin == 0 {
		c.backoffMin = DefaultBackoffMin
	}
	if c.backoffMax == 0 {
		c.backoffMax = DefaultBackoffMax
	}
	c.backoffMax = max(c.backoffMax, c.backoffMin)
	return c, nil
}

// APIVersion returns the API version the client uses, e.g. "v62.0".
func (c *Client) APIVersion() string { return c.version }

// DataPath returns the path of a resource under the versioned data API,
// /services/data/vNN.N/ followed by the elements, each path-escaped:
// DataPath("sobjects", "Account", "describe").
func (c *Client) DataPath(elem ...string) string {
	var b strings.Builder
	b.WriteString("/services/data/")
	b.WriteString(c.version)
	for _, e := range elem {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(e))
	}
	return b.String()
}

// Request is a call for [Client.Do].
type Request struct {
	// Method is the HTTP method; "" means GET.
	Method string
	// Path is the resource path from the instance root, such as
	// [Client.DataPath]'s or a nextRecordsUrl; it may carry a query
	// string.
	Path string
	// Query is added to Path's query string.
	Query url.Values
	// Header holds extra request headers, such as Sforce-Query-Options.
	Header http.Header
	// Body is sent as application/json unless Header sets a
	// Content-Type; nil sends none. It is resent on retries.
	Body []byte
}

// Response is a successful (2xx) answer of [Client.Do].
type Response struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Header holds the response headers.
	Header http.Header
	// Body is the whole response body.
	Body []byte
}

// Do sends req with the bearer token and returns the 2xx response, read
// whole. A non-2xx answer is returned as an [*Error]. Failures for which
// [IsRetryable] holds are retried after a backoff, up to the configured
// maximum and while ctx lasts; a 401 INVALID_SESSION_ID invalidates the
// token and is retried once with a fresh one. A POST that fails on the
// network may have reached Salesforce: retrying it can, for instance,
// create a second Bulk API query job.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	b := retry.Between(c.backoffMin, c.backoffMax)
	refreshed := false
	for attempt := 0; ; attempt++ {
		resp, tok, err := c.do(ctx, req)
		if err == nil {
			return resp, nil
		}
		if errors.Is(err, ErrInvalidSession) && !refreshed && tok != nil {
			// The token expired or was revoked: fetch a fresh one and try
			// again, once.
			refreshed = true
			c.creds.Invalidate(*tok)
			c.log.DebugContext(ctx, "salesforce rest: session rejected, retrying with a new token", "method", req.method(), "path", logPath(req.Path))
			attempt--
			continue
		}
		if !IsRetryable(err) || attempt >= c.maxRetries || ctx.Err() != nil {
			if attempt > 0 {
				return nil, fmt.Errorf("%w (after %d retries)", err, attempt)
			}
			return nil, err
		}
		d := b.Next()
		c.log.DebugContext(ctx, "salesforce rest: retrying", "method", req.method(), "path", logPath(req.Path), "attempt", attempt+1, "delay", d, "err", err)
		if err := retry.Sleep(ctx, d); err != nil {
			return nil, fmt.Errorf("salesforce rest: %s %s: %w", req.method(), logPath(req.Path), err)
		}
	}
}

func (r Request) method() string {
	if r.Method == "" {
		return http.MethodGet
	}
	return r.Method
}

// logPath returns p without its query string, which may hold SOQL with
// data in it.
func logPath(p string) string {
	p, _, _ = strings.Cut(p, "?")
	return p
}

// do makes one attempt. It returns the token it sent, if it got one.
func (c *Client) do(ctx context.Context, req Request) (*Response, *Token, error) {
	tok, err := c.creds.Token(ctx)
	if err != nil {
		return nil, nil, &credentialsError{err}
	}
	base := c.instance
	if base == "" {
		base = strings.TrimRight(tok.InstanceURL, "/")
	}
	if base == "" {
		return nil, nil, errors.New("salesforce rest: no instance url in config or token")
	}
	u, err := url.Parse(base + req.Path)
	if err != nil {
		return nil, nil, fmt.Errorf("salesforce rest: bad path %q: %w", logPath(req.Path), err)
	}
	if len(req.Query) > 0 {
		q := u.Query()
		for k, vs := range req.Query {
			for _, v := range vs {
				q.Add(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method(), u.String(), body)
	if err != nil {
		return nil, nil, fmt.Errorf("salesforce rest: %s %s: %w", req.method(), logPath(req.Path), err)
	}
	for k, vs := range req.Header {
		hr.Header[k] = vs
	}
	if req.Body != nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if hr.Header.Get("Accept") == "" {
		hr.Header.Set("Accept", "application/json")
	}
	hr.Header.Set("Authorization", "Bearer "+string(tok.AccessToken))
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, &tok, c.transportErr(ctx, req, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		e := DecodeError(resp.StatusCode, data)
		e.Method, e.Path = req.method(), logPath(req.Path)
		return nil, &tok, e
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &tok, c.transportErr(ctx, req, err)
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: data}, &tok, nil
}

// transportErr wraps a failure to send a request or read its answer. The
// URL, which net/http puts in its errors, is left out: its query string
// may hold SOQL.
func (c *Client) transportErr(ctx context.Context, req Request, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("salesforce rest: %s %s: %w", req.method(), logPath(req.Path), ctx.Err())
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &transportError{op: req.method() + " " + logPath(req.Path), err: err}
}

// transportError marks a failure to reach Salesforce or to read its
// answer.
type transportError struct {
	op  string
	err error
}

func (e *transportError) Error() string { return "salesforce rest: " + e.op + ": " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }
