package rest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/salesforce/oauth"
)

// TestStaticCredentialsNeverPrint checks that printing a Config, as a
// careless log line might, never shows a static token.
func TestStaticCredentialsNeverPrint(t *testing.T) {
	t.Parallel()
	cfg := Config{InstanceURL: "https://i", Credentials: StaticCredentials(Token{AccessToken: oauth.Secret("S3CRET-TOKEN"), InstanceURL: "https://i"})}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, cfg); strings.Contains(out, "S3CRET") {
			t.Errorf("%s of a Config shows the token: %s", verb, out)
		}
	}
}
