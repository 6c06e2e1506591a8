package sffake

import (
	"context"
	"net/url"
	"strings"
	"sync"

	"google.golang.org/grpc/metadata"
)

// TokenValidator decides whether an access token presented in the
// accesstoken metadata of a Pub/Sub API call is valid. Implementations
// must be safe for concurrent use.
type TokenValidator interface {
	// ValidToken reports whether tok is a valid, unexpired access token.
	ValidToken(ctx context.Context, tok string) bool
}

// tokenSet is the default TokenValidator: a set of static tokens.
type tokenSet struct {
	mu     sync.Mutex
	tokens map[string]bool
	first  string
}

func newTokenSet(toks ...string) *tokenSet {
	t := &tokenSet{tokens: make(map[string]bool)}
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

func (t *tokenSet) ValidToken(_ context.Context, tok string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tokens[tok]
}

// AccessToken returns the first token of the default validator's set: the
// one given by the first [WithAccessToken], or the one the server made up.
// It is still returned after [Server.RevokeToken] revoked it.
func (s *Server) AccessToken() string {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	return s.tokens.first
}

// AddToken makes the default validator accept tok.
func (s *Server) AddToken(tok string) { s.tokens.add(tok) }

// RevokeToken makes the default validator refuse tok from now on, as if it
// had expired: new calls presenting it fail with service.auth.error, while
// open streams carry on, as Salesforce keeps streams open past session
// expiry (spec §1.5).
func (s *Server) RevokeToken(tok string) {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	delete(s.tokens.tokens, tok)
}

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
	if !s.tenantMatches(tenant) || !s.validator.ValidToken(ctx, tok) {
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
