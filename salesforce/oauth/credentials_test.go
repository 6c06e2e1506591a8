package oauth_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/salesforce/oauth"
)

// TestStaticCredentialsNeverPrint checks that printing a client's
// configuration, as a careless log line might, never shows a static
// token (pubsub.Config and rest.Config hold their Credentials so).
func TestStaticCredentialsNeverPrint(t *testing.T) {
	t.Parallel()
	cfg := struct {
		Endpoint    string
		Credentials oauth.Credentials
	}{"x:1", oauth.StaticCredentials(oauth.Bearer{AccessToken: "S3CRET-TOKEN", InstanceURL: "https://i"})}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, cfg); strings.Contains(out, "S3CRET") {
			t.Errorf("%s of a Config shows the token: %s", verb, out)
		}
	}
}

// fakeSource hands out numbered tokens and records which were
// invalidated.
type fakeSource struct {
	n           int
	invalidated []string
}

func (s *fakeSource) Token(context.Context) (oauth.Token, error) {
	s.n++
	return oauth.Token{AccessToken: oauth.Secret(fmt.Sprint("tok", s.n)), InstanceURL: "https://i", OrgID: "00D"}, nil
}

func (s *fakeSource) Invalidate(t oauth.Token) {
	s.invalidated = append(s.invalidated, string(t.AccessToken))
}

// TestSourceCredentials checks that the adapter carries the token
// response's fields and passes a rejected bearer back to its source,
// while static credentials ignore the rejection.
func TestSourceCredentials(t *testing.T) {
	t.Parallel()
	src := &fakeSource{}
	creds := oauth.SourceCredentials(src)
	b, err := creds.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if b.AccessToken != "tok1" || b.InstanceURL != "https://i" || b.TenantID != "00D" {
		t.Fatalf("bearer %s %s %s, want tok1 https://i 00D", string(b.AccessToken), b.InstanceURL, b.TenantID)
	}
	creds.Invalidate(b)
	creds.Invalidate(oauth.Bearer{AccessToken: "tok1"}) // not from the source: ignored
	if len(src.invalidated) != 1 || src.invalidated[0] != "tok1" {
		t.Fatalf("invalidated %v, want [tok1]", src.invalidated)
	}
	static := oauth.StaticCredentials(oauth.Bearer{AccessToken: "s"})
	static.Invalidate(b)
	if b, _ := static.Token(t.Context()); b.AccessToken != "s" {
		t.Fatalf("static bearer %s, want s", string(b.AccessToken))
	}
}
