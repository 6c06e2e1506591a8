package oauth

import "context"

// Bearer is what one API call authenticates with: the access token, the
// instance it is valid for and, for the Pub/Sub API, the org id.
// pubsub.Token and rest.Token are this type.
type Bearer struct {
	// AccessToken is the OAuth access token; it never prints.
	AccessToken Secret
	// InstanceURL is the org's base URL without path, e.g.
	// https://mydomain.my.salesforce.com.
	InstanceURL string
	// TenantID is the org id (or the full core/… tenant form), the
	// Pub/Sub API's tenantid; REST does not use it.
	TenantID string

	// source is the token this bearer came from, for Invalidate; nil for
	// static credentials.
	source *Token
}

// Credentials supplies the [Bearer] of every API call. Implementations
// must be safe for concurrent use.
type Credentials interface {
	// Token returns the bearer to send now.
	Token(ctx context.Context) (Bearer, error)
	// Invalidate reports that the server rejected b (REST's 401
	// INVALID_SESSION_ID, the Pub/Sub API's service.auth.error), so the
	// next Token returns a fresh one.
	Invalidate(b Bearer)
}

// Source is the part of a [TokenSource] that [SourceCredentials] uses.
type Source interface {
	Token(ctx context.Context) (Token, error)
	Invalidate(t Token)
}

// SourceCredentials adapts a token source (such as a [TokenSource]) to
// [Credentials]: the access token, the instance URL and the org id come
// from the token response, and Invalidate passes a rejection back to ts.
// It is safe for concurrent use when ts is.
func SourceCredentials(ts Source) Credentials { return sourceCreds{ts} }

type sourceCreds struct{ ts Source }

func (c sourceCreds) Token(ctx context.Context) (Bearer, error) {
	t, err := c.ts.Token(ctx)
	if err != nil {
		return Bearer{}, err
	}
	return Bearer{AccessToken: t.AccessToken, InstanceURL: t.InstanceURL, TenantID: t.OrgID, source: &t}, nil
}

func (c sourceCreds) Invalidate(b Bearer) {
	if b.source != nil {
		c.ts.Invalidate(*b.source)
	}
}

// StaticCredentials returns [Credentials] that always give b, for
// emulators and tests; Invalidate does nothing, so a rejected static
// token fails the call.
func StaticCredentials(b Bearer) Credentials { return staticCreds{b} }

type staticCreds struct{ b Bearer }

func (c staticCreds) Token(context.Context) (Bearer, error) { return c.b, nil }

// String and GoString keep the token out of %v and %#v of a client's
// Config: fmt does not call the Secret's own formatting on an unexported
// field.
func (staticCreds) String() string    { return "static credentials [REDACTED]" }
func (staticCreds) GoString() string  { return "static credentials [REDACTED]" }
func (staticCreds) Invalidate(Bearer) {}
