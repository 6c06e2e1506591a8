package oauth

import (
	"fmt"
	"log/slog"
)

// redacted is what a Secret prints as.
const redacted = "[REDACTED]"

// Secret is a credential: an access token, client secret, password or
// private key. It prints as "[REDACTED]" with every fmt verb, in log/slog
// output and in JSON, so that a Secret inside a struct cannot leak through
// logs or errors. Convert it with string(s) where the value itself is
// needed.
type Secret string

// String returns "[REDACTED]".
func (Secret) String() string { return redacted }

// GoString returns `oauth.Secret("[REDACTED]")`.
func (Secret) GoString() string { return `oauth.Secret("` + redacted + `")` }

// Format writes "[REDACTED]" (its GoString for %#v) whatever the verb, so
// that %x, %q and %d do not reveal the value either.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(s.GoString()))
		return
	}
	_, _ = f.Write([]byte(redacted))
}

// LogValue returns "[REDACTED]" for log/slog.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON returns "[REDACTED]" as a JSON string.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "[REDACTED]", for encoders that use
// encoding.TextMarshaler.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
