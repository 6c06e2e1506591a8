package oauth

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// Fetcher fetches a new token; [*Client] is one.
type Fetcher interface {
	Fetch(ctx context.Context) (Token, error)
}

// TokenSource caches a token and fetches a new one when there is none,
// when the caller has reported the cached one rejected with
// [TokenSource.Invalidate], or when it is older than the maximum age. It is
// safe for concurrent use: concurrent callers that need a new token share
// one fetch. Failed fetches are not cached; the next call tries again, and
// retry pacing is the caller's policy (see [IsRetryable]).
type TokenSource struct {
	s *source // behind a pointer so that a TokenSource formats and copies safely
}

type source struct {
	f      Fetcher
	maxAge time.Duration
	now    func() time.Time

	mu        sync.Mutex
	tok       *Token // nil when there is none
	fetchedAt time.Time
	inflight  *call // the fetch in progress, or nil
}

// call is one shared fetch; done closes when tok and err are set.
type call struct {
	done chan struct{}
	tok  Token
	err  error
}

// Option configures a [TokenSource].
type Option func(*source)

// WithMaxAge makes the source refresh a token once it is older than d,
// before Salesforce rejects it (sessions time out after the org's
// configured inactivity period). Default 0: refresh only on Invalidate.
func WithMaxAge(d time.Duration) Option { return func(s *source) { s.maxAge = d } }

// WithClock sets the clock the maximum age is measured with; default
// time.Now.
func WithClock(now func() time.Time) Option { return func(s *source) { s.now = now } }

// NewTokenSource returns a TokenSource that fetches with f.
func NewTokenSource(f Fetcher, opts ...Option) *TokenSource {
	s := &source{f: f, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return &TokenSource{s: s}
}

// Token returns the cached token, or fetches one if there is none or it is
// too old. The fetch runs detached from ctx's cancellation (but with its
// values), so one caller giving up does not fail the others; Token itself
// returns ctx.Err() as soon as ctx is done. The fetch is bounded by the
// Fetcher's own timeout ([Client] has one by default).
func (ts *TokenSource) Token(ctx context.Context) (Token, error) {
	s := ts.s
	s.mu.Lock()
	if s.tok != nil && (s.maxAge <= 0 || s.now().Sub(s.fetchedAt) < s.maxAge) {
		t := *s.tok
		s.mu.Unlock()
		return t, nil
	}
	c := s.inflight
	if c == nil {
		c = &call{done: make(chan struct{})}
		s.inflight = c
		go s.fetch(context.WithoutCancel(ctx), c)
	}
	s.mu.Unlock()
	select {
	case <-c.done:
		return c.tok, c.err
	case <-ctx.Done():
		return Token{}, fmt.Errorf("oauth token: %w", ctx.Err())
	}
}

func (s *source) fetch(ctx context.Context, c *call) {
	c.tok, c.err = s.f.Fetch(ctx)
	s.mu.Lock()
	if c.err == nil {
		t := c.tok
		s.tok, s.fetchedAt = &t, s.now()
	}
	s.inflight = nil
	s.mu.Unlock()
	close(c.done)
}

// Invalidate reports that Salesforce rejected t (HTTP 401
// INVALID_SESSION_ID, Pub/Sub service.auth.error). If t is still the
// cached token it is dropped, so the next [TokenSource.Token] fetches a
// new one; if the cache already holds a newer token, nothing happens, so
// many callers reporting the same rejected token cause one fetch.
func (ts *TokenSource) Invalidate(t Token) {
	s := ts.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken == t.AccessToken {
		s.tok = nil
	}
}

// String describes s without its token.
func (TokenSource) String() string { return "oauth.TokenSource" }

// GoString is [TokenSource.String].
func (ts TokenSource) GoString() string { return ts.String() }

// Format writes [TokenSource.String] for every verb.
func (ts TokenSource) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, ts.String()) }
