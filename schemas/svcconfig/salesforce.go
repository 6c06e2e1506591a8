package svcconfig

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// Defaults of [Salesforce] fields, the same as those of the salesforce
// module's oauth and pubsub packages (which this module does not
// import).
const (
	DefaultLoginURL       = "https://login.salesforce.com"
	DefaultPubSubEndpoint = "api.pubsub.salesforce.com:7443"
)

// Grants are the accepted values of [Salesforce.Grant].
var Grants = []string{GrantJWTBearer, GrantClientCredentials}

// OAuth grants.
const (
	GrantJWTBearer         = "jwt_bearer"
	GrantClientCredentials = "client_credentials"
)

// Salesforce holds the settings of a connection to a Salesforce org: the
// Pub/Sub API endpoint and the authentication shared by the Pub/Sub API
// and REST. It sits under the key salesforce, usually embedded inline in
// a service's own section, which adds the service's settings. Exactly one
// of two auth forms is required: an OAuth grant (Grant with ClientID and
// the grant's credentials), or a static AccessToken with InstanceURL and
// OrgID, for sfemu and development.
type Salesforce struct {
	// LoginURL is the OAuth login host: https://login.salesforce.com (the
	// default), https://test.salesforce.com, or the org's My Domain URL,
	// which the client_credentials grant requires.
	LoginURL string `yaml:"login_url"`
	// PubSubEndpoint is the Pub/Sub API host:port; the default is
	// api.pubsub.salesforce.com:7443.
	PubSubEndpoint string `yaml:"pubsub_endpoint"`
	// Plaintext speaks gRPC without TLS, for sfemu only; the default is
	// false (TLS).
	Plaintext bool `yaml:"plaintext"`
	// CAFile is a PEM file of the certificate authorities trusted for the
	// Pub/Sub endpoint; the default is the system roots.
	CAFile string `yaml:"ca_file" svcconfig:"file"`

	// Grant is the OAuth flow, jwt_bearer or client_credentials; no
	// default. It selects the OAuth auth form.
	Grant string `yaml:"grant"`
	// ClientID is the connected app's consumer key; required with Grant.
	ClientID string `yaml:"client_id"`
	// ClientSecret is the consumer secret; required with
	// client_credentials, refused otherwise. It never prints.
	ClientSecret Secret `yaml:"client_secret"`
	// Username is the integration user, the JWT's subject; required with
	// jwt_bearer, refused otherwise.
	Username string `yaml:"username"`
	// PrivateKeyFile is the PEM RSA private key signing JWT assertions;
	// required with jwt_bearer, refused otherwise. It is read when
	// needed (see [Salesforce.PrivateKey]), never kept.
	PrivateKeyFile string `yaml:"private_key_file" svcconfig:"file"`

	// AccessToken is a static access token; it selects the static auth
	// form and never prints. No default.
	AccessToken Secret `yaml:"access_token"`
	// InstanceURL is the org's URL, e.g. https://acme.my.salesforce.com;
	// required with AccessToken, refused otherwise (OAuth returns it).
	InstanceURL string `yaml:"instance_url"`
	// OrgID is the org id (15 or 18 characters, 00D…); required with
	// AccessToken, refused otherwise (OAuth returns it).
	OrgID string `yaml:"org_id"`
}

// SetDefaults gives LoginURL and PubSubEndpoint their defaults when
// empty.
func (s *Salesforce) SetDefaults() {
	if s.LoginURL == "" {
		s.LoginURL = DefaultLoginURL
	}
	if s.PubSubEndpoint == "" {
		s.PubSubEndpoint = DefaultPubSubEndpoint
	}
}

// Problems returns the problems of s, by key path under salesforce. It
// reads CAFile and PrivateKeyFile to check them.
func (s *Salesforce) Problems() []Problem {
	k := &Checker{}
	if !httpURL(s.LoginURL) {
		k.Bad("salesforce.login_url", "must be an http(s) URL without a path such as https://login.salesforce.com, got %q", s.LoginURL)
	}
	k.HostPort("salesforce.pubsub_endpoint", s.PubSubEndpoint)
	if s.CAFile != "" {
		if s.Plaintext {
			k.Bad("salesforce.ca_file", "must be empty with salesforce.plaintext: true")
		} else if _, err := LoadCAs(s.CAFile); err != nil {
			k.Bad("salesforce.ca_file", "%v", err)
		}
	}
	k.Secret("salesforce.client_secret", s.ClientSecret)
	k.Secret("salesforce.access_token", s.AccessToken)

	oauthKeys := map[string]bool{
		"client_id": s.ClientID != "", "client_secret": s.ClientSecret != "",
		"username": s.Username != "", "private_key_file": s.PrivateKeyFile != "",
	}
	staticKeys := map[string]bool{"instance_url": s.InstanceURL != "", "org_id": s.OrgID != ""}
	switch {
	case s.Grant != "" && s.AccessToken != "":
		k.Bad("salesforce", "set either grant (OAuth) or access_token (a static token), not both")
	case s.Grant != "":
		s.checkOAuth(k)
		for _, key := range []string{"instance_url", "org_id"} {
			if staticKeys[key] {
				k.Bad("salesforce."+key, "is only for a static access_token; OAuth returns it")
			}
		}
	case s.AccessToken != "":
		for _, key := range []string{"client_id", "client_secret", "username", "private_key_file"} {
			if oauthKeys[key] {
				k.Bad("salesforce."+key, "is only for an OAuth grant, not with access_token")
			}
		}
		if s.InstanceURL == "" {
			k.Bad("salesforce.instance_url", "is required with access_token")
		} else if !httpURL(s.InstanceURL) {
			k.Bad("salesforce.instance_url", "must be an http(s) URL without a path such as https://acme.my.salesforce.com, got %q", s.InstanceURL)
		}
		if s.OrgID == "" {
			k.Bad("salesforce.org_id", "is required with access_token")
		} else if !orgID.MatchString(s.OrgID) {
			k.Bad("salesforce.org_id", "must be a 15- or 18-character org id starting with 00D, got %q", s.OrgID)
		}
	case oauthKeys["client_id"] || oauthKeys["client_secret"] || oauthKeys["username"] || oauthKeys["private_key_file"]:
		k.Bad("salesforce.grant", "is required with client_id, client_secret, username or private_key_file: one of %s", strings.Join(Grants, ", "))
	case staticKeys["instance_url"] || staticKeys["org_id"]:
		k.Bad("salesforce.access_token", "is required with instance_url and org_id")
	default:
		k.Bad("salesforce", "needs credentials: grant (jwt_bearer or client_credentials) with client_id, or access_token with instance_url and org_id")
	}
	return k.Problems
}

// httpURL reports whether s is an http or https URL with a host and no
// path.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && strings.Trim(u.Path, "/") == ""
}

var orgID = regexp.MustCompile(`^00D[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$`)

func (s *Salesforce) checkOAuth(k *Checker) {
	if s.ClientID == "" {
		k.Bad("salesforce.client_id", "is required with grant %s", s.Grant)
	}
	refuse := func(key string, set bool) {
		if set {
			k.Bad("salesforce."+key, "is not used by grant %s; remove it", s.Grant)
		}
	}
	switch s.Grant {
	case GrantJWTBearer:
		refuse("client_secret", s.ClientSecret != "")
		if s.Username == "" {
			k.Bad("salesforce.username", "is required with grant jwt_bearer: the integration user, the JWT's subject")
		}
		if s.PrivateKeyFile == "" {
			k.Bad("salesforce.private_key_file", "is required with grant jwt_bearer")
		} else if _, err := ReadPrivateKey(s.PrivateKeyFile); err != nil {
			k.Bad("salesforce.private_key_file", "%v", err)
		}
	case GrantClientCredentials:
		refuse("username", s.Username != "")
		refuse("private_key_file", s.PrivateKeyFile != "")
		if s.ClientSecret == "" {
			k.Bad("salesforce.client_secret", "is required with grant client_credentials")
		}
		if u, err := url.Parse(s.LoginURL); err == nil && (u.Host == "login.salesforce.com" || u.Host == "test.salesforce.com") {
			k.Bad("salesforce.login_url", "must be the org's My Domain URL with grant client_credentials, got %q", s.LoginURL)
		}
	default:
		k.Bad("salesforce.grant", "must be one of %s, got %q", strings.Join(Grants, ", "), s.Grant)
	}
}

// Warnings returns the settings of s that work but are unsafe outside
// development.
func (s *Salesforce) Warnings() []string {
	var ws []string
	if s.Plaintext && !Loopback(s.PubSubEndpoint) {
		ws = append(ws, "salesforce.plaintext: access tokens go unencrypted to "+s.PubSubEndpoint)
	}
	ws = append(ws, cleartextURL("salesforce.login_url", s.LoginURL, "the login's credentials and the access token")...)
	return append(ws, cleartextURL("salesforce.instance_url", s.InstanceURL, "the access token")...)
}

// PrivateKey reads and checks PrivateKeyFile, for the jwt_bearer grant;
// errors name the setting and never include key material.
func (s *Salesforce) PrivateKey() (Secret, error) {
	key, err := ReadPrivateKey(s.PrivateKeyFile)
	if err != nil {
		return "", fmt.Errorf("salesforce.private_key_file: %w", err)
	}
	return Secret(key), nil
}

// RootCAs returns the certificate authorities of CAFile, or nil for the
// system roots (or with Plaintext); errors name the setting.
func (s *Salesforce) RootCAs() (*x509.CertPool, error) {
	if s.CAFile == "" || s.Plaintext {
		return nil, nil
	}
	pool, err := LoadCAs(s.CAFile)
	if err != nil {
		return nil, fmt.Errorf("salesforce.ca_file: %w", err)
	}
	return pool, nil
}

// LoadCAs reads a PEM file of certificate authorities.
func LoadCAs(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.New(FileError(path, err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// ReadPrivateKey reads and checks a PEM RSA private key file (PKCS#1 or
// PKCS#8) and returns its contents. Errors never include key material.
func ReadPrivateKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.New(FileError(path, err))
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s holds no PEM block", path)
	}
	var key any
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%s holds a %q PEM block, want RSA PRIVATE KEY or PRIVATE KEY", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: cannot parse the private key", path)
	}
	if _, ok := key.(*rsa.PrivateKey); !ok {
		return nil, fmt.Errorf("%s: the private key is not RSA", path)
	}
	return data, nil
}
