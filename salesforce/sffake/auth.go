package sffake

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/sfsync/sfsync/salesforce/oauth"
)

// TokenValidator decides whether an access token presented in the
// accesstoken metadata of a Pub/Sub API call is valid. Implementations
// must be safe for concurrent use.
type TokenValidator interface {
	// ValidToken reports whether tok is a valid, unexpired access token.
	ValidToken(ctx context.Context, tok string) bool
}

// tokenSet is the default TokenValidator: a set of static tokens, which
// never expire, and the sessions that the OAuth token endpoint issued,
// which expire on the server's clock after the token TTL of inactivity.
type tokenSet struct {
	mu     sync.Mutex
	tokens map[string]bool
	first  string
	issued map[string]*session
	clock  Clock
	ttl    time.Duration
}

// session is an access token issued by the OAuth token endpoint, or the
// identity behind a static token.
type session struct {
	userID   string
	username string
	appKey   string
	lastUsed time.Time
}

func newTokenSet(clock Clock, ttl time.Duration, toks ...string) *tokenSet {
	t := &tokenSet{tokens: make(map[string]bool), issued: make(map[string]*session), clock: clock, ttl: ttl}
	for _, tok := range toks {
		t.add(tok)
	}
	return t
}

func (t *tokenSet) add(tok string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.first == "" {
		t.first = tok
	}
	t.tokens[tok] = true
}

// issue records a session under tok.
func (t *tokenSet) issue(tok string, sess session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sess.lastUsed = t.clock.Now()
	t.issued[tok] = &sess
}

// session returns the session of an issued token that has not expired and
// marks it used now, extending its life by the TTL; expired sessions are
// forgotten.
func (t *tokenSet) session(tok string) (session, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sess, ok := t.issued[tok]
	if !ok {
		return session{}, false
	}
	now := t.clock.Now()
	if !now.Before(sess.lastUsed.Add(t.ttl)) {
		delete(t.issued, tok)
		return session{}, false
	}
	sess.lastUsed = now
	return *sess, true
}

func (t *tokenSet) ValidToken(_ context.Context, tok string) bool {
	if _, ok := t.session(tok); ok {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tokens[tok]
}

func (t *tokenSet) revoke(tok string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.tokens, tok)
	delete(t.issued, tok)
}

// authenticate returns the session behind tok: an unexpired token issued
// by the OAuth endpoint, or any token the validator accepts, which acts
// as the default user ([Server.UserID], [DefaultUsername]). Tokens issued
// over OAuth are accepted even when [WithTokenValidator] replaced the
// default validator.
func (s *Server) authenticate(ctx context.Context, tok string) (session, bool) {
	if tok == "" {
		return session{}, false
	}
	if sess, ok := s.tokens.session(tok); ok {
		return sess, true
	}
	if s.validator.ValidToken(ctx, tok) {
		return session{userID: s.cfg.userID, username: DefaultUsername}, true
	}
	return session{}, false
}

// AccessToken returns the first token of the default validator's set: the
// one given by the first [WithAccessToken], or the one the server made up.
// It is still returned after [Server.RevokeToken] revoked it.
func (s *Server) AccessToken() string {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	return s.tokens.first
}

// Bearer returns [Server.AccessToken] as the bearer token a client with
// static credentials sends: with the server's URL as instance URL and
// its org id as tenant id.
func (s *Server) Bearer() oauth.Bearer {
	return oauth.Bearer{AccessToken: oauth.Secret(s.AccessToken()), InstanceURL: s.URL(), TenantID: s.OrgID()}
}

// AddToken makes the default validator accept tok. Such static tokens
// never expire.
func (s *Server) AddToken(tok string) { s.tokens.add(tok) }

// RevokeToken makes the server refuse tok from now on, as if it had
// expired, whether it is a static token or one issued by the OAuth token
// endpoint: new Pub/Sub calls presenting it fail with service.auth.error
// and REST calls with 401 INVALID_SESSION_ID, while open streams carry on,
// as Salesforce keeps streams open past session expiry (spec §1.5).
func (s *Server) RevokeToken(tok string) { s.tokens.revoke(tok) }

// Auth error messages.
const (
	msgAuth = "An authentication exception occurred. Provide valid authentication via metadata headers."
)

// checkAuth validates the auth metadata of a call (spec §1.5). gRPC
// lower-cases metadata keys, so "accessToken" and "accesstoken" are the
// same. A missing or blank header fails with service.auth.headers.invalid;
// a token the validator refuses, or a tenant id that is not this org's,
// with service.auth.error. The instance URL must be an absolute http(s)
// URL but is not compared with the server's address, so that clients may
// reach the emulator through proxies or port forwards.
func (s *Server) checkAuth(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	get := func(k string) string {
		if v := md.Get(k); len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	tok, inst, tenant := get("accesstoken"), get("instanceurl"), get("tenantid")
	if tok == "" || inst == "" || tenant == "" {
		return authError("service.auth.headers.invalid",
			"The accesstoken, instanceurl and tenantid headers are required. "+msgAuth)
	}
	if u, err := url.Parse(inst); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return authError("service.auth.headers.invalid", "The instanceurl header is not a valid URL. "+msgAuth)
	}
	if !s.tenantMatches(tenant) {
		return authError("service.auth.error", msgAuth)
	}
	if _, ok := s.authenticate(ctx, tok); !ok {
		return authError("service.auth.error", msgAuth)
	}
	return nil
}

// tenantMatches accepts the org id in 18- or 15-character form, alone or
// as the last part of "core/<instance>/<orgId>".
func (s *Server) tenantMatches(tenant string) bool {
	if i := strings.LastIndexByte(tenant, '/'); i >= 0 {
		if !strings.HasPrefix(strings.ToLower(tenant), "core/") {
			return false
		}
		tenant = tenant[i+1:]
	}
	return tenant == s.cfg.orgID || tenant == s.cfg.orgID[:15]
}
