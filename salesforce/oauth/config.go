package oauth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Grant is an OAuth 2.0 flow.
type Grant string

// The supported grants.
const (
	// GrantJWTBearer signs an assertion with the private key whose
	// certificate is uploaded to the connected app (spec §4.2).
	GrantJWTBearer Grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// GrantClientCredentials sends the consumer key and secret; the token
	// runs as the app's run-as user. LoginURL must be the org's My Domain
	// URL (spec §4.3).
	GrantClientCredentials Grant = "client_credentials"
	// GrantPassword sends a username and password; for examples only.
	GrantPassword Grant = "password"
)

// DefaultLoginURL is the production login host, the default LoginURL.
const DefaultLoginURL = "https://login.salesforce.com"

// Default values of Config fields.
const (
	DefaultAssertionLifetime = 3 * time.Minute
	DefaultTimeout           = 30 * time.Second
)

// ErrInvalidConfig is wrapped by [Config.Validate] errors.
var ErrInvalidConfig = errors.New("invalid oauth config")

// Config says how to obtain tokens. Its secrets are [Secret] values and
// never print. A Config is a plain value; [NewClient] copies it.
type Config struct {
	// Grant is the flow; required.
	Grant Grant
	// LoginURL is the login host, such as https://login.salesforce.com
	// (the default), https://test.salesforce.com or an org's My Domain
	// URL (required for client credentials).
	LoginURL string
	// ClientID is the connected app's consumer key; required. It is the
	// JWT's iss claim.
	ClientID string
	// ClientSecret is the consumer secret; required for client
	// credentials and password.
	ClientSecret Secret
	// BasicAuth sends ClientID and ClientSecret in an Authorization:
	// Basic header instead of the form, for client credentials. Default
	// false.
	BasicAuth bool
	// Username is the integration user: the JWT's sub claim, or the
	// password flow's username. Required for those flows.
	Username string
	// Password is the password flow's password with the security token
	// appended where the org requires one.
	Password Secret
	// PrivateKey is the PEM-encoded RSA private key (PKCS#1 "RSA PRIVATE
	// KEY" or PKCS#8 "PRIVATE KEY") that signs JWT assertions; required
	// for the JWT bearer flow.
	PrivateKey Secret
	// Audience is the JWT's aud claim; default LoginURL. Set it to
	// https://login.salesforce.com (or test.) when LoginURL is a My Domain
	// URL and the org expects the login host.
	Audience string
	// AssertionLifetime is how far ahead of now the JWT's exp lies;
	// default 3 minutes.
	AssertionLifetime time.Duration
	// HTTPClient sends token requests; default a client with a 30 s
	// timeout.
	HTTPClient *http.Client `json:"-"`
	// Now returns the current time, for the JWT's exp; default time.Now.
	Now func() time.Time `json:"-"`
}

// Validate reports a missing or malformed setting for the chosen grant,
// wrapping [ErrInvalidConfig]. It never includes secret values.
func (c *Config) Validate() error {
	u := c.LoginURL
	if u == "" {
		u = DefaultLoginURL
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return fmt.Errorf("%w: login url %q is not an http(s) URL", ErrInvalidConfig, u)
	}
	if c.ClientID == "" {
		return fmt.Errorf("%w: client id is required", ErrInvalidConfig)
	}
	switch c.Grant {
	case GrantJWTBearer:
		if c.Username == "" {
			return fmt.Errorf("%w: username is required for the jwt bearer flow", ErrInvalidConfig)
		}
		if c.PrivateKey == "" {
			return fmt.Errorf("%w: private key is required for the jwt bearer flow", ErrInvalidConfig)
		}
	case GrantClientCredentials:
		if c.ClientSecret == "" {
			return fmt.Errorf("%w: client secret is required for client credentials", ErrInvalidConfig)
		}
	case GrantPassword:
		if c.ClientSecret == "" || c.Username == "" || c.Password == "" {
			return fmt.Errorf("%w: client secret, username and password are required for the password flow", ErrInvalidConfig)
		}
	default:
		return fmt.Errorf("%w: unknown grant %q", ErrInvalidConfig, c.Grant)
	}
	if c.AssertionLifetime < 0 {
		return fmt.Errorf("%w: negative assertion lifetime", ErrInvalidConfig)
	}
	return nil
}

// LogValue logs the non-secret settings and whether each secret is set.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("grant", string(c.Grant)),
		slog.String("login_url", c.LoginURL),
		slog.String("client_id", c.ClientID),
		slog.String("username", c.Username),
		slog.Bool("client_secret_set", c.ClientSecret != ""),
		slog.Bool("password_set", c.Password != ""),
		slog.Bool("private_key_set", c.PrivateKey != ""),
	)
}

// String describes c with its secrets redacted.
func (c Config) String() string {
	return fmt.Sprintf("oauth.Config{Grant:%q LoginURL:%q ClientID:%q Username:%q ClientSecret:%s Password:%s PrivateKey:%s}",
		c.Grant, c.LoginURL, c.ClientID, c.Username, c.ClientSecret, c.Password, c.PrivateKey)
}

// GoString is [Config.String], so that %#v redacts too.
func (c Config) GoString() string { return c.String() }
