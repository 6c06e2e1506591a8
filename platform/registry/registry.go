package registry

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sfsync/sfsync/schemas/avroframe"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// Compatibility is the compatibility level sfsync sets on its subjects:
// a new schema version must read every record of the previous one, so a
// consumer upgraded first reads what older producers still write.
const Compatibility = "BACKWARD"

// DefaultTimeout bounds each call whose context has no earlier deadline.
const DefaultTimeout = 10 * time.Second

// ErrUnavailable means the registry could not be reached or answered
// with a server error or 429: the call may succeed later.
var ErrUnavailable = errors.New("schema registry unavailable")

// errConflict marks a 409 Conflict answer.
var errConflict = errors.New("conflict")

// conflictAttempts bounds the tries of a request answered 409.
const conflictAttempts = 4

// Subject returns the subject of a topic's record values under
// TopicNameStrategy, the default of every Confluent serializer:
// "<topic>-value".
func Subject(topic string) string { return topic + "-value" }

// Settings configure the connection to a Schema Registry, under the key
// schema_registry of each service's configuration. The zero value, no
// URL, means no registry: records are framed with Avro single-object
// encoding.
type Settings struct {
	// URL is the base URL of the registry's Confluent-compatible API,
	// such as http://127.0.0.1:8081 (Confluent, Karapace) or
	// http://127.0.0.1:8080/apis/ccompat/v7 (Apicurio Registry). The
	// default, empty, is no registry.
	URL string `yaml:"url"`
	// Username turns on HTTP basic authentication; the default is none.
	Username string `yaml:"username"`
	// Password is the basic authentication password, required with
	// Username. It never prints; set it from a secret through the
	// environment (SFSYNC_<SERVICE>_SCHEMA_REGISTRY_PASSWORD).
	Password svcconfig.Secret `yaml:"password"`
	// CAFile is a PEM file of the certificate authorities trusted for an
	// https URL; the default is the system roots.
	CAFile string `yaml:"ca_file" svcconfig:"file"`
}

// Enabled reports whether a registry is configured.
func (s *Settings) Enabled() bool { return s.URL != "" }

// Problems returns the problems of s, by key path under
// schema_registry. It reads CAFile to check it.
func (s *Settings) Problems() []svcconfig.Problem {
	k := &svcconfig.Checker{}
	k.Secret("schema_registry.password", s.Password)
	if s.URL == "" {
		for _, f := range []struct {
			key string
			set bool
		}{{"username", s.Username != ""}, {"password", s.Password != ""}, {"ca_file", s.CAFile != ""}} {
			if f.set {
				k.Bad("schema_registry."+f.key, "needs schema_registry.url")
			}
		}
		return k.Problems
	}
	u, err := url.Parse(s.URL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		k.Bad("schema_registry.url", "must be an http or https URL such as http://127.0.0.1:8081, got %q", redactURL(s.URL))
	case u.User != nil:
		k.Bad("schema_registry.url", "must not hold credentials; set schema_registry.username and schema_registry.password")
	case u.RawQuery != "" || u.Fragment != "":
		k.Bad("schema_registry.url", "must not have a query or fragment, got %q", s.URL)
	}
	if s.Username == "" && s.Password != "" {
		k.Bad("schema_registry.username", "is required with schema_registry.password")
	}
	if s.Username != "" && s.Password == "" {
		k.Bad("schema_registry.password", "is required with schema_registry.username")
	}
	if s.CAFile != "" {
		if err == nil && u.Scheme != "https" {
			k.Bad("schema_registry.ca_file", "needs an https schema_registry.url")
		} else if _, err := svcconfig.LoadCAs(s.CAFile); err != nil {
			k.Bad("schema_registry.ca_file", "%v", err)
		}
	}
	return k.Problems
}

// Warnings returns the settings of s that work but are unsafe outside
// development: basic authentication over plain http beyond loopback.
func (s *Settings) Warnings() []string {
	u, err := url.Parse(s.URL)
	if err != nil || s.Username == "" || u.Scheme != "http" || svcconfig.Loopback(net.JoinHostPort(u.Hostname(), "0")) {
		return nil
	}
	return []string{"schema_registry.url: basic authentication over http sends the password in cleartext; use https"}
}

// redactURL returns u with any password masked, for messages. A u that
// does not parse as scheme://host, such as "user:password@host:port", is
// shown only when it holds no "@", before which a password could stand.
func redactURL(u string) string {
	p, err := url.Parse(u)
	switch {
	case err == nil && p.Opaque == "":
		return p.Redacted()
	case strings.Contains(u, "@"):
		return "(a URL not shown: it may hold a password)"
	}
	return u
}

// Client calls a Schema Registry. It is safe for concurrent use.
type Client struct {
	base     string
	username string
	password svcconfig.Secret
	http     *http.Client
}

// New returns a client of the registry s names; s must be valid
// ([Settings.Problems]) and enabled.
func New(s Settings) (*Client, error) {
	if !s.Enabled() {
		return nil, errors.New("schema registry: no url")
	}
	// Errors name the URL: one holding credentials is refused here too.
	if u, err := url.Parse(s.URL); err != nil || u.User != nil || u.Opaque != "" || u.Host == "" {
		return nil, fmt.Errorf("schema registry: url %s is not an http or https URL without credentials", redactURL(s.URL))
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if s.CAFile != "" {
		pool, err := svcconfig.LoadCAs(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("schema registry: %w", err)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &Client{
		base: strings.TrimRight(s.URL, "/"), username: s.Username, password: s.Password,
		http: &http.Client{Transport: transport, Timeout: DefaultTimeout},
	}, nil
}

// URL returns the registry's base URL.
func (c *Client) URL() string { return c.base }

// Register sets subject's compatibility to [Compatibility] and registers
// schema, the text of an Avro schema, under it; it returns the schema's
// id, the same for a schema the subject already has. A schema the
// subject's compatibility refuses fails with the registry's message.
func (c *Client) Register(ctx context.Context, subject, schema string) (uint32, error) {
	if err := c.SetCompatibility(ctx, subject, Compatibility); err != nil {
		return 0, err
	}
	body, err := json.Marshal(map[string]string{"schema": schema, "schemaType": "AVRO"})
	if err != nil {
		return 0, err
	}
	var out struct {
		ID int64 `json:"id"`
	}
	if err := c.put(ctx, http.MethodPost, "/subjects/"+url.PathEscape(subject)+"/versions", body, &out); err != nil {
		return 0, fmt.Errorf("register a schema under subject %s: %w", subject, err)
	}
	if out.ID < 0 || out.ID > 1<<32-1 {
		return 0, fmt.Errorf("register a schema under subject %s: registry %s returned id %d, outside 0..2^32-1", subject, c.base, out.ID)
	}
	return uint32(out.ID), nil
}

// SetCompatibility sets subject's compatibility level, such as BACKWARD.
func (c *Client) SetCompatibility(ctx context.Context, subject, level string) error {
	body, err := json.Marshal(map[string]string{"compatibility": level})
	if err != nil {
		return err
	}
	if err := c.put(ctx, http.MethodPut, "/config/"+url.PathEscape(subject), body, nil); err != nil {
		return fmt.Errorf("set compatibility %s on subject %s: %w", level, subject, err)
	}
	return nil
}

// Schema returns the text of the schema of id from the registry; it
// keeps nothing (the envelope codec keeps the schemas it compiled). An id
// the registry does not know wraps [avroframe.ErrUnknownSchema].
func (c *Client) Schema(ctx context.Context, id uint32) (string, error) {
	var out struct {
		Schema     string `json:"schema"`
		SchemaType string `json:"schemaType"`
	}
	if err := c.call(ctx, http.MethodGet, "/schemas/ids/"+strconv.FormatUint(uint64(id), 10), nil, &out); err != nil {
		return "", fmt.Errorf("schema id %d: %w", id, err)
	}
	if out.SchemaType != "" && out.SchemaType != "AVRO" {
		return "", fmt.Errorf("schema id %d: %w: a %s schema, not Avro", id, avroframe.ErrUnknownSchema, out.SchemaType)
	}
	return out.Schema, nil
}

// put sends a request that creates or sets something, trying again when
// the registry answers 409 Conflict. Two services starting at once make
// the same registrations, and a registry that creates subjects and their
// rules non-atomically (Apicurio: "an artifact with ID ... already
// exists", "a rule named 'COMPATIBILITY' already exists") refuses one of
// them; the next try finds what the other made. An incompatible schema is
// refused with 409 too, every time, and so still fails.
func (c *Client) put(ctx context.Context, method, path string, body []byte, out any) error {
	for attempt := 1; ; attempt++ {
		err := c.call(ctx, method, path, body, out)
		if !errors.Is(err, errConflict) || attempt == conflictAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
}

// Ping checks that the registry answers GET /subjects.
func (c *Client) Ping(ctx context.Context) error {
	var subjects []string
	if err := c.call(ctx, http.MethodGet, "/subjects", nil, &subjects); err != nil {
		return fmt.Errorf("list subjects: %w", err)
	}
	return nil
}

// conflictError is a 409 answer: errors.Is(err, errConflict), and its
// message is the registry's alone.
type conflictError struct{ err error }

func (e *conflictError) Error() string        { return e.err.Error() }
func (e *conflictError) Is(target error) bool { return target == errConflict }

// apiError is the registry's error body.
type apiError struct {
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

// maxBody bounds what is read of an answer: schemas are kilobytes.
const maxBody = 16 << 20

// call sends one request and decodes a 2xx answer's JSON into out (when
// not nil).
func (c *Client) call(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("registry %s: %w", c.base, err)
	}
	req.Header.Set("Accept", "application/vnd.schemaregistry.v1+json, application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	}
	if c.username != "" {
		req.SetBasicAuth(c.username, string(c.password))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// url.Error names the URL, which holds no credentials.
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%w: %s %s: reading the answer: %w", ErrUnavailable, method, c.base+path, err)
	}
	if resp.StatusCode/100 == 2 {
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: answer is not the registry's JSON: %w", method, c.base+path, err)
		}
		return nil
	}
	var e apiError
	_ = json.Unmarshal(data, &e)
	msg := e.Message
	if msg == "" {
		msg = strings.TrimSpace(string(data[:min(len(data), 200)]))
	}
	err = fmt.Errorf("%s %s: %s (error code %d): %s", method, c.base+path, resp.Status, e.Code, msg)
	switch {
	case resp.StatusCode == http.StatusNotFound && method == http.MethodGet:
		return fmt.Errorf("%w: %w", avroframe.ErrUnknownSchema, err)
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	case resp.StatusCode == http.StatusConflict:
		return &conflictError{err}
	}
	return err
}

// EnvelopeCodec returns the envelope codec of the settings: one writing
// the Confluent Schema Registry wire format through this registry once
// [envelope.Codec.Register] has registered its topics, and reading both
// framings, when a registry is configured; else the default codec, which
// writes single-object frames.
func (s *Settings) EnvelopeCodec() (*envelope.Codec, error) {
	if !s.Enabled() {
		return envelope.NewCodec()
	}
	c, err := New(*s)
	if err != nil {
		return nil, err
	}
	return envelope.NewCodec(envelope.WithRegistry(c))
}
