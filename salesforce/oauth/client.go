package oauth

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenPath is the token endpoint's path under the login URL.
const TokenPath = "/services/oauth2/token"

// maxBody caps how much of a token response is read.
const maxBody = 1 << 20

// Token is an access token with what Salesforce returned alongside it.
// Its AccessToken never prints. Tokens are values; copies are independent.
type Token struct {
	// AccessToken is the bearer token for REST and the Pub/Sub
	// accesstoken header.
	AccessToken Secret `json:"access_token"`
	// InstanceURL is the base URL for REST and the Pub/Sub instanceurl
	// header, e.g. https://mydomain.my.salesforce.com.
	InstanceURL string `json:"instance_url"`
	// ID is the identity URL, https://login.salesforce.com/id/{org}/{user}.
	ID string `json:"id"`
	// OrgID is the organisation id taken from ID (the Pub/Sub tenantid);
	// empty if ID does not have the usual shape.
	OrgID string `json:"org_id"`
	// UserID is the user id taken from ID.
	UserID string `json:"user_id"`
	// TokenType is "Bearer".
	TokenType string `json:"token_type"`
	// IssuedAt is issued_at, the issue time Salesforce reports.
	IssuedAt time.Time `json:"issued_at"`
	// Signature is the Base64 HMAC-SHA256 over ID and issued_at, keyed
	// with the consumer secret.
	Signature string `json:"signature"`
	// Scope lists the granted scopes, space separated.
	Scope string `json:"scope"`
	// APIInstanceURL is api_instance_url, when present.
	APIInstanceURL string `json:"api_instance_url,omitempty"`
}

// String describes t without its access token.
func (t Token) String() string {
	return fmt.Sprintf("oauth.Token{AccessToken:%s InstanceURL:%q OrgID:%q UserID:%q IssuedAt:%s}",
		t.AccessToken, t.InstanceURL, t.OrgID, t.UserID, t.IssuedAt.UTC().Format(time.RFC3339))
}

// GoString is [Token.String], so that %#v redacts too.
func (t Token) GoString() string { return t.String() }

// LogValue logs t without its access token.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("instance_url", t.InstanceURL),
		slog.String("org_id", t.OrgID),
		slog.String("user_id", t.UserID),
		slog.Time("issued_at", t.IssuedAt),
		slog.String("access_token", redacted),
	)
}

// Client fetches tokens with one [Config]. It is safe for concurrent use;
// each [Client.Fetch] makes one request. Wrap it in a [TokenSource] to
// cache tokens.
type Client struct {
	cfg  *Config
	key  *rsa.PrivateKey // JWT bearer only
	http *http.Client
	now  func() time.Time
}

// NewClient validates cfg, parses its private key and returns a Client.
// Errors wrap [ErrInvalidConfig] and never contain the key.
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.LoginURL == "" {
		cfg.LoginURL = DefaultLoginURL
	}
	cfg.LoginURL = strings.TrimSuffix(cfg.LoginURL, "/")
	if cfg.Audience == "" {
		cfg.Audience = cfg.LoginURL
	}
	if cfg.AssertionLifetime == 0 {
		cfg.AssertionLifetime = DefaultAssertionLifetime
	}
	c := &Client{cfg: &cfg, http: cfg.HTTPClient, now: cfg.Now}
	if c.http == nil {
		c.http = &http.Client{Timeout: DefaultTimeout}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if cfg.Grant == GrantJWTBearer {
		key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(cfg.PrivateKey))
		if err != nil {
			// The parser's errors name the problem, never the key bytes.
			return nil, fmt.Errorf("%w: private key: %w", ErrInvalidConfig, err)
		}
		c.key = key
	}
	return c, nil
}

// String describes c without its secrets.
func (c Client) String() string {
	return fmt.Sprintf("oauth.Client{Grant:%q LoginURL:%q ClientID:%q}", c.cfg.Grant, c.cfg.LoginURL, c.cfg.ClientID)
}

// GoString is [Client.String].
func (c Client) GoString() string { return c.String() }

// Format writes [Client.String] for every verb, so that no verb prints the
// key (fmt's fallback for a verb a type does not support would otherwise
// print the unexported fields raw).
func (c Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// Fetch requests a new token. Failures are an [*Error] for an error answer,
// wrap [ErrMalformedResponse] for an unreadable success, or are transport
// errors; see [IsRetryable]. Messages never include the request body.
func (c *Client) Fetch(ctx context.Context) (Token, error) {
	form := url.Values{"grant_type": {string(c.cfg.Grant)}}
	switch c.cfg.Grant {
	case GrantJWTBearer:
		a, err := c.assertion()
		if err != nil {
			return Token{}, err
		}
		form.Set("assertion", a)
	case GrantClientCredentials:
		if !c.cfg.BasicAuth {
			form.Set("client_id", c.cfg.ClientID)
			form.Set("client_secret", string(c.cfg.ClientSecret))
		}
	case GrantPassword:
		form.Set("client_id", c.cfg.ClientID)
		form.Set("client_secret", string(c.cfg.ClientSecret))
		form.Set("username", c.cfg.Username)
		form.Set("password", string(c.cfg.Password))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.LoginURL+TokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, fmt.Errorf("oauth token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.cfg.Grant == GrantClientCredentials && c.cfg.BasicAuth {
		req.SetBasicAuth(c.cfg.ClientID, string(c.cfg.ClientSecret))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error holds the method, URL and cause, not the body.
		return Token{}, fmt.Errorf("oauth token request: %w", &transportError{err})
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return Token{}, fmt.Errorf("oauth token response: %w", &transportError{err})
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Token{}, parseError(resp, body)
	}
	return parseToken(body)
}

// parseError turns an error answer into an *Error. A body that is not
// Salesforce's error JSON leaves Code empty; it is never copied into the
// error, since it may echo the request.
func parseError(resp *http.Response, body []byte) error {
	e := &Error{StatusCode: resp.StatusCode}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" || json.Valid(body) {
		var v struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(body, &v) == nil {
			e.Code, e.Description = v.Error, v.Description
		}
	}
	return e
}

// parseToken decodes a token response.
func parseToken(body []byte) (Token, error) {
	var v struct {
		AccessToken    string `json:"access_token"`
		InstanceURL    string `json:"instance_url"`
		ID             string `json:"id"`
		TokenType      string `json:"token_type"`
		IssuedAt       string `json:"issued_at"`
		Signature      string `json:"signature"`
		Scope          string `json:"scope"`
		APIInstanceURL string `json:"api_instance_url"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		// The JSON error names an offset and a type, not the content.
		return Token{}, fmt.Errorf("oauth token response: %w: %s", ErrMalformedResponse, jsonErrorKind(err))
	}
	if v.AccessToken == "" || v.InstanceURL == "" {
		return Token{}, fmt.Errorf("oauth token response: %w: access_token or instance_url missing", ErrMalformedResponse)
	}
	t := Token{
		AccessToken:    Secret(v.AccessToken),
		InstanceURL:    strings.TrimSuffix(v.InstanceURL, "/"),
		ID:             v.ID,
		TokenType:      v.TokenType,
		Signature:      v.Signature,
		Scope:          v.Scope,
		APIInstanceURL: v.APIInstanceURL,
	}
	t.OrgID, t.UserID = identity(v.ID)
	if v.IssuedAt != "" {
		ms, err := strconv.ParseInt(v.IssuedAt, 10, 64)
		if err != nil {
			return Token{}, fmt.Errorf("oauth token response: %w: issued_at %q is not epoch milliseconds", ErrMalformedResponse, v.IssuedAt)
		}
		t.IssuedAt = time.UnixMilli(ms).UTC()
	}
	return t, nil
}

// jsonErrorKind describes a JSON decoding error without quoting the input.
func jsonErrorKind(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "invalid JSON at offset " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "field " + te.Field + " has the wrong type"
	}
	return "invalid JSON"
}

// identity returns the org and user ids from an identity URL
// .../id/{orgId}/{userId}.
func identity(id string) (org, user string) {
	u, err := url.Parse(id)
	if err != nil {
		return "", ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if n := len(parts); n >= 3 && parts[n-3] == "id" {
		return parts[n-2], parts[n-1]
	}
	return "", ""
}
