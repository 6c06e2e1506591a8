package emu

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	yamlparser "github.com/goccy/go-yaml/parser"

	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/load"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// Defaults of [Config].
const (
	DefaultPubSubAddr      = "127.0.0.1:7011"
	DefaultHTTPAddr        = "127.0.0.1:7012"
	DefaultRate            = 20
	DefaultShutdownTimeout = 10 * time.Second
	DefaultLogLevel        = "info"
	// DefaultDeliveryAllocation is far above any real org's daily delivery
	// allocation, so that a long local run with continuous churn never
	// exhausts it; set a real org's value (25000) to rehearse exhaustion.
	DefaultDeliveryAllocation = 100_000_000
)

// Config is sfemu's configuration. [Default] returns it with every
// default; a YAML file (see [Load]) overrides what it names.
type Config struct {
	// Listen holds the listener addresses.
	Listen Listen `yaml:"listen"`
	// OrgID is the org id (18 characters, key prefix 00D); the default is
	// sffake.DefaultOrgID.
	OrgID string `yaml:"org_id"`
	// AccessTokens are the access tokens the Pub/Sub API accepts; at
	// least one is required. They are secrets: logs and --print-config
	// show only their first four characters.
	AccessTokens []Secret `yaml:"access_tokens"`
	// ConnectedApps are the connected apps the OAuth token endpoint
	// (/services/oauth2/token on the HTTP listener) issues tokens for;
	// the default is none. Issued tokens are accepted like AccessTokens
	// until they expire.
	ConnectedApps []ConnectedApp `yaml:"connected_apps"`
	// Users are the users who log in with a password: through the OAuth
	// password grant of any connected app, and through the SOAP partner
	// API's login call (/services/Soap/u/<version>); the default is none.
	// Every user acts as the org's single user.
	Users []User `yaml:"users"`
	// TokenTTL is how long a token issued by the OAuth endpoint stays
	// valid without use; the default is sffake.DefaultTokenTTL (2h), an
	// org's default session timeout.
	TokenTTL time.Duration `yaml:"token_ttl"`
	// TLS serves both listeners over TLS with a generated self-signed
	// certificate; the default is plaintext, as Salesforce's own Go
	// example uses for localhost:7011.
	TLS bool `yaml:"tls"`
	// TLSCertFile and TLSKeyFile, with TLS, are where sfemu keeps its
	// certificate and private key (PEM): it serves them when both files
	// exist, and otherwise generates a self-signed pair and writes it
	// there, so that clients can trust the certificate file across
	// restarts. Relative paths are taken from the configuration file's
	// directory. The default, none, generates a certificate for each run
	// that is only served.
	TLSCertFile string `yaml:"tls_cert_file,omitempty"`
	TLSKeyFile  string `yaml:"tls_key_file,omitempty"`
	// Keepalive is the keepalive interval of idle Subscribe streams; the
	// default is sffake.DefaultKeepalive (270s).
	Keepalive time.Duration `yaml:"keepalive"`
	// Retention is the event retention window; the default is
	// sffake.DefaultRetention (72h).
	Retention time.Duration `yaml:"retention"`
	// DeliveryAllocation is the Max of the DailyDeliveredPlatformEvents
	// limit: the events Subscribe may deliver in a day before it fails
	// with subscription.limit.exceeded; the default is
	// [DefaultDeliveryAllocation].
	DeliveryAllocation int64 `yaml:"delivery_allocation"`
	// Territory configures how territory changes are published.
	Territory Territory `yaml:"territory"`
	// Seed makes the dataset, the churn and the emulator's ids
	// deterministic; the default is 1.
	Seed uint64 `yaml:"seed"`
	// Dataset sizes the seeded territory dataset.
	Dataset Dataset `yaml:"dataset"`
	// Churn configures the changes applied after seeding.
	Churn Churn `yaml:"churn"`
	// PlatformEvents are custom platform events to define, in addition to
	// Territory_Change__e.
	PlatformEvents []PlatformEvent `yaml:"platform_events"`
	// Objects are sObjects to define beside the built-in Account and
	// territory objects, such as Opportunity for a client that writes
	// it, or custom fields to add to a built-in object (an entry naming
	// it with fields only); the default is none.
	Objects []SObject `yaml:"objects"`
	// ShutdownTimeout bounds the graceful shutdown; the default is
	// [DefaultShutdownTimeout].
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// LogLevel is debug, info, warn or error; the default is info.
	LogLevel string `yaml:"log_level"`
}

// Listen holds the listener addresses; both default to loopback.
type Listen struct {
	// PubSub is the Pub/Sub API (gRPC) address; the default is
	// [DefaultPubSubAddr].
	PubSub string `yaml:"pubsub"`
	// HTTP is the HTTP address (health check, REST, OAuth); the default
	// is [DefaultHTTPAddr].
	HTTP string `yaml:"http"`
	// Public allows addresses beyond loopback, such as 0.0.0.0:7011 in a
	// container whose port is published on the host's loopback. Without
	// it such an address is refused: sfemu's access tokens are test
	// tokens, and anyone who reaches it can read and write its org.
	Public bool `yaml:"public"`
}

// ConnectedApp is a connected app of the OAuth token endpoint (see
// sffake.App). With a consumer secret it accepts the client credentials
// grant; with a certificate, the JWT bearer grant.
type ConnectedApp struct {
	// ConsumerKey is the client id and the JWT's iss; required, unique.
	ConsumerKey string `yaml:"consumer_key"`
	// ConsumerSecret is the client secret of the client credentials
	// grant. It is a secret: logs and --print-config show only its first
	// four characters.
	ConsumerSecret Secret `yaml:"consumer_secret"`
	// CertificateFile is a PEM file holding the certificate (or RSA
	// public key) that verifies JWT bearer assertions; a relative path is
	// taken from the configuration file's directory.
	CertificateFile string `yaml:"certificate_file,omitempty"`
	// Username is the app's run-as user (client credentials) and the only
	// accepted JWT sub; required.
	Username string `yaml:"username"`
}

// User is a user who logs in with a username and password.
type User struct {
	// Username is the login name, matched ignoring case; required,
	// unique.
	Username string `yaml:"username"`
	// Password is the password (with the security token appended, if
	// clients send one). It is a secret: logs and --print-config never
	// show it.
	Password Secret `yaml:"password,omitempty"`
	// PasswordEnv names an environment variable holding the password,
	// in place of Password, to keep it out of the file.
	PasswordEnv string `yaml:"password_env,omitempty"`
}

// ApplyEnv takes from the environment what the configuration leaves to
// it: the password of each user with a password_env and none in the
// file.
func (c *Config) ApplyEnv(getenv func(string) string) {
	for i, u := range c.Users {
		if u.Password == "" && u.PasswordEnv != "" {
			c.Users[i].Password = Secret(getenv(u.PasswordEnv))
		}
	}
}

// Territory configures the publication of territory changes.
type Territory struct {
	// ChangeEvents enables change events of the territory objects, an
	// emulator extension real orgs lack; the default is true.
	ChangeEvents bool `yaml:"change_events"`
	// Trigger installs the rule publishing Territory_Change__e on every
	// territory change, as an Apex trigger would; the default is true.
	Trigger bool `yaml:"trigger"`
}

// Dataset sizes the seeded dataset (see load.Dataset).
type Dataset struct {
	// Accounts is the number of accounts; the default is 5000.
	Accounts int `yaml:"accounts"`
	// Users is the number of users; the default is 50.
	Users int `yaml:"users"`
	// NamedShare is the share of accounts also in a named-accounts
	// territory, 0 to 1; the default is 0.25.
	NamedShare float64 `yaml:"named_share"`
	// Batch is the number of accounts per seeding transaction; the
	// default is 200.
	Batch int `yaml:"batch"`
}

// Churn configures the changes applied after seeding (see load.Churn).
type Churn struct {
	// Enabled turns churn on; the default is true.
	Enabled bool `yaml:"enabled"`
	// Rate is the largest number of transactions per second; the default
	// is [DefaultRate].
	Rate float64 `yaml:"rate"`
	// Burst is the number of edits of a burst and the token bucket's
	// capacity; the default is 20.
	Burst int `yaml:"burst"`
	// Mix weighs the kinds of operation; the default is load.DefaultMix.
	Mix load.Mix `yaml:"mix"`
	// OverflowAfter emits one GAP_OVERFLOW after this many operations;
	// the default 0 never does.
	OverflowAfter int `yaml:"overflow_after"`
}

// PlatformEvent defines a custom platform event.
type PlatformEvent struct {
	// Name is the event's API name, ending in __e.
	Name string `yaml:"name"`
	// Fields are its custom fields.
	Fields []EventField `yaml:"fields"`
}

// EventField is a field of a platform event or an sObject.
type EventField struct {
	// Name is the field's API name, e.g. OrderId__c.
	Name string `yaml:"name"`
	// Type is one of the names of [FieldTypes].
	Type string `yaml:"type"`
	// ExternalID marks an sObject's Text, Int or Number field as an
	// External ID, for REST upserts (PATCH
	// /sobjects/<Object>/<Field>/<value>); the default is false.
	ExternalID bool `yaml:"external_id,omitempty"`
}

// SObject defines an sObject, or adds fields to a built-in one.
type SObject struct {
	// Name is the object's API name, e.g. Opportunity or Invoice__c.
	Name string `yaml:"name"`
	// KeyPrefix is the three-character prefix of its record ids, e.g.
	// "006"; required for a new object, not allowed for a built-in one.
	KeyPrefix string `yaml:"key_prefix,omitempty"`
	// ChangeEvents publishes its change events (/data/<Name>ChangeEvent);
	// the default is false. Not allowed for a built-in object.
	ChangeEvents bool `yaml:"change_events,omitempty"`
	// Fields are its fields in change event schema order; for a built-in
	// object, the fields appended to it.
	Fields []EventField `yaml:"fields"`
}

// builtinObjects are the objects sffake defines itself.
var builtinObjects = func() map[string]bool {
	m := map[string]bool{sffake.AccountObject().Name: true}
	for _, o := range sffake.TerritoryObjects(false) {
		m[o.Name] = true
	}
	return m
}()

// FieldTypes maps the type names a platform event field may have to
// sffake's types.
var FieldTypes = map[string]sffake.FieldType{
	"Text": sffake.TypeString, "TextArea": sffake.TypeString, "Email": sffake.TypeString,
	"Phone": sffake.TypeString, "URL": sffake.TypeString, "Picklist": sffake.TypePicklist,
	"Reference": sffake.TypeReference, "Number": sffake.TypeDouble, "Currency": sffake.TypeCurrency,
	"Percent": sffake.TypePercent, "Int": sffake.TypeInt, "Checkbox": sffake.TypeBoolean,
	"Date": sffake.TypeDate, "DateTime": sffake.TypeDateTime, "Time": sffake.TypeTime,
}

// Secret is a string that must not be shown: String and YAML output give
// only its first four characters.
type Secret string

// Hint returns the first four characters followed by "…", enough to tell
// tokens apart.
func (s Secret) Hint() string {
	if len(s) <= 4 {
		return "…"
	}
	return string(s[:4]) + "…"
}

// String returns [Secret.Hint].
func (s Secret) String() string { return s.Hint() }

// MarshalYAML writes the hint, never the secret.
func (s Secret) MarshalYAML() (any, error) { return s.Hint() + " (redacted)", nil }

// Default returns the configuration with every default.
func Default() Config {
	return Config{
		Listen:             Listen{PubSub: DefaultPubSubAddr, HTTP: DefaultHTTPAddr},
		OrgID:              sffake.DefaultOrgID,
		Keepalive:          sffake.DefaultKeepalive,
		Retention:          sffake.DefaultRetention,
		TokenTTL:           sffake.DefaultTokenTTL,
		DeliveryAllocation: DefaultDeliveryAllocation,
		Territory:          Territory{ChangeEvents: true, Trigger: true},
		Seed:               1,
		Dataset:            Dataset{Accounts: load.DefaultAccounts, Users: load.DefaultUsers, NamedShare: load.DefaultNamedShare, Batch: load.DefaultBatch},
		Churn:              Churn{Enabled: true, Rate: DefaultRate, Burst: load.DefaultBurstSize, Mix: load.DefaultMix},
		ShutdownTimeout:    DefaultShutdownTimeout,
		LogLevel:           DefaultLogLevel,
	}
}

// Validate checks c and returns a *[svcconfig.ValidationError] listing
// every problem, with Path set and Where empty ([Source.Check] fills it
// in).
func (c Config) Validate() error {
	var k svcconfig.Checker
	bad := k.Bad
	for _, a := range []struct{ path, addr string }{{"listen.pubsub", c.Listen.PubSub}, {"listen.http", c.Listen.HTTP}} {
		if _, port, err := net.SplitHostPort(a.addr); err != nil || port == "" {
			bad(a.path, "must be host:port, got %q", a.addr)
		} else if !c.Listen.Public && !svcconfig.Loopback(a.addr) {
			bad(a.path, "%q is beyond loopback: anyone who reaches it can use the org with its test tokens; use 127.0.0.1, or set listen.public: true if that is intended (a container whose port is published on loopback)", a.addr)
		}
	}
	if c.Listen.PubSub == c.Listen.HTTP && !strings.HasSuffix(c.Listen.PubSub, ":0") {
		bad("listen.http", "must differ from listen.pubsub")
	}
	if !sffake.ValidID(c.OrgID, sffake.PrefixOrganization) {
		bad("org_id", "must be an 18-character id starting with 00D with a valid case-safe suffix, got %q", c.OrgID)
	}
	if len(c.AccessTokens) == 0 {
		bad("access_tokens", "at least one token is required (or set SFEMU_ACCESS_TOKEN)")
	}
	for i, t := range c.AccessTokens {
		if strings.TrimSpace(string(t)) != string(t) || t == "" {
			bad(fmt.Sprintf("access_tokens[%d]", i), "must be non-empty without surrounding spaces")
		}
	}
	for _, d := range []struct {
		path string
		v    time.Duration
	}{{"keepalive", c.Keepalive}, {"retention", c.Retention}, {"token_ttl", c.TokenTTL}, {"shutdown_timeout", c.ShutdownTimeout}} {
		if d.v <= 0 {
			bad(d.path, "must be > 0")
		}
	}
	keys := map[string]bool{}
	for i, a := range c.ConnectedApps {
		p := fmt.Sprintf("connected_apps[%d]", i)
		switch {
		case a.ConsumerKey == "" || strings.TrimSpace(a.ConsumerKey) != a.ConsumerKey:
			bad(p+".consumer_key", "must be non-empty without surrounding spaces")
		case keys[a.ConsumerKey]:
			bad(p+".consumer_key", "%s is defined twice", a.ConsumerKey)
		}
		keys[a.ConsumerKey] = true
		if a.ConsumerSecret == "" && a.CertificateFile == "" {
			bad(p, "needs a consumer_secret (client credentials) or a certificate_file (JWT bearer)")
		}
		if a.ConsumerSecret != "" && strings.TrimSpace(string(a.ConsumerSecret)) != string(a.ConsumerSecret) {
			bad(p+".consumer_secret", "must not have surrounding spaces")
		}
		if a.CertificateFile != "" {
			if err := checkCertificate(a.CertificateFile); err != nil {
				bad(p+".certificate_file", "%v", err)
			}
		}
		if a.Username == "" {
			bad(p+".username", "is required: the run-as user and the JWT subject")
		}
	}
	users := map[string]bool{}
	for i, u := range c.Users {
		p := fmt.Sprintf("users[%d]", i)
		switch {
		case u.Username == "" || strings.TrimSpace(u.Username) != u.Username:
			bad(p+".username", "must be non-empty without surrounding spaces")
		case users[strings.ToLower(u.Username)]:
			bad(p+".username", "%s is defined twice", u.Username)
		}
		users[strings.ToLower(u.Username)] = true
		switch {
		case u.Password == "" && u.PasswordEnv != "":
			bad(p+".password_env", "the environment variable %s is not set or empty", u.PasswordEnv)
		case u.Password == "":
			bad(p, "needs a password or a password_env naming an environment variable that holds it")
		}
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		bad("tls_key_file", "tls_cert_file and tls_key_file go together: set both or neither")
	} else if c.TLSCertFile != "" && !c.TLS {
		bad("tls_cert_file", "needs tls: true")
	}
	if c.DeliveryAllocation < 1 {
		bad("delivery_allocation", "must be >= 1")
	}
	switch {
	case c.Dataset.Accounts < 1:
		bad("dataset.accounts", "must be >= 1")
	case c.Dataset.Accounts > 1_000_000:
		bad("dataset.accounts", "must be <= 1000000")
	}
	if c.Dataset.Users < 1 {
		bad("dataset.users", "must be >= 1")
	}
	if c.Dataset.NamedShare < 0 || c.Dataset.NamedShare > 1 {
		bad("dataset.named_share", "must be between 0 and 1")
	}
	if c.Dataset.Batch < 1 {
		bad("dataset.batch", "must be >= 1")
	}
	if c.Churn.Enabled {
		if c.Churn.Rate <= 0 {
			bad("churn.rate", "must be > 0")
		}
		if c.Churn.Burst < 1 {
			bad("churn.burst", "must be >= 1")
		}
	}
	mix := []struct {
		key string
		v   int
	}{
		{"account_edit", c.Churn.Mix.AccountEdit}, {"address_change", c.Churn.Mix.AddressChange},
		{"reassign", c.Churn.Mix.Reassign}, {"user_move", c.Churn.Mix.UserMove},
		{"delete", c.Churn.Mix.Delete}, {"undelete", c.Churn.Mix.Undelete}, {"burst", c.Churn.Mix.Burst},
		{"multi_record", c.Churn.Mix.MultiRecord}, {"gap", c.Churn.Mix.Gap},
	}
	for _, m := range mix {
		if m.v < 0 {
			bad("churn.mix."+m.key, "must be >= 0")
		}
	}
	if c.Churn.Mix.Total() <= 0 {
		bad("churn.mix", "at least one weight must be > 0")
	}
	if c.Churn.OverflowAfter < 0 {
		bad("churn.overflow_after", "must be >= 0")
	}
	seen := map[string]bool{}
	if c.Territory.Trigger {
		seen[sffake.TerritoryChangeEvent().Name] = true
	}
	for i, e := range c.PlatformEvents {
		p := fmt.Sprintf("platform_events[%d]", i)
		switch {
		case !strings.HasSuffix(e.Name, "__e") || !sffake.ValidAPIName(e.Name):
			bad(p+".name", "must be an API name ending in __e, got %q", e.Name)
		case seen[e.Name]:
			bad(p+".name", "%s is defined twice", e.Name)
		}
		seen[e.Name] = true
		checkFields(bad, p, e.Fields, true)
	}
	objects := map[string]bool{}
	for i, o := range c.Objects {
		p := fmt.Sprintf("objects[%d]", i)
		builtin := builtinObjects[o.Name]
		switch {
		case !sffake.ValidAPIName(o.Name):
			bad(p+".name", "must be an API name, got %q", o.Name)
		case objects[o.Name]:
			bad(p+".name", "%s is defined twice", o.Name)
		case builtin && (o.KeyPrefix != "" || o.ChangeEvents):
			bad(p, "%s is built in: give only fields to add to it", o.Name)
		case !builtin && (len(o.KeyPrefix) != 3 || !sffake.ValidAPIName("x"+o.KeyPrefix)):
			bad(p+".key_prefix", "must be 3 letters or digits, got %q", o.KeyPrefix)
		}
		objects[o.Name] = true
		checkFields(bad, p, o.Fields, false)
	}
	for i, e := range c.PlatformEvents {
		for j, f := range e.Fields {
			if f.ExternalID {
				bad(fmt.Sprintf("platform_events[%d].fields[%d].external_id", i, j), "platform event fields have no external ids")
			}
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	return k.Err()
}

// checkFields checks the fields of the platform event (event) or the
// sObject at path p: each name is an API name defined once, a platform
// event's other than CreatedDate and CreatedById; each type is one of
// [FieldTypes]; an sObject's external ids are Text, Int or Number. (A
// platform event's external ids are refused after the objects' problems.)
func checkFields(bad func(path, format string, args ...any), p string, fields []EventField, event bool) {
	seen := map[string]bool{}
	for j, f := range fields {
		fp := fmt.Sprintf("%s.fields[%d]", p, j)
		switch {
		case event && (!sffake.ValidAPIName(f.Name) || f.Name == "CreatedDate" || f.Name == "CreatedById"):
			bad(fp+".name", "must be an API name other than CreatedDate and CreatedById, got %q", f.Name)
		case !sffake.ValidAPIName(f.Name):
			bad(fp+".name", "must be an API name, got %q", f.Name)
		case seen[f.Name]:
			bad(fp+".name", "%s is defined twice", f.Name)
		}
		seen[f.Name] = true
		typ, ok := FieldTypes[f.Type]
		switch {
		case !ok:
			bad(fp+".type", "must be one of %s, got %q", strings.Join(fieldTypeNames(), ", "), f.Type)
		case !event && f.ExternalID && typ != sffake.TypeString && typ != sffake.TypeInt && typ != sffake.TypeDouble:
			bad(fp+".external_id", "an external id must be Text, Int or Number, not %s", f.Type)
		}
	}
}

// checkCertificate reports whether the file at path holds a PEM
// certificate or public key with an RSA key, as sffake needs.
func checkCertificate(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return errors.New(svcconfig.FileError(path, err))
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return fmt.Errorf("%s is not PEM", path)
	}
	var key any
	switch block.Type {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		key = cert.PublicKey
	case "PUBLIC KEY":
		if key, err = x509.ParsePKIXPublicKey(block.Bytes); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	default:
		return fmt.Errorf("%s holds a %q PEM block, want CERTIFICATE or PUBLIC KEY", path, block.Type)
	}
	if _, ok := key.(*rsa.PublicKey); !ok {
		return fmt.Errorf("%s: the key is not RSA", path)
	}
	return nil
}

func fieldTypeNames() []string {
	names := make([]string, 0, len(FieldTypes))
	for n := range FieldTypes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Source is where a configuration came from: the file's name and syntax
// tree, to give problems their line, and the flags that overrode keys.
// The zero Source (no file, no flags) is valid.
type Source struct {
	file  string
	tree  *ast.File
	flags map[string]string
}

// Load reads the YAML file at path onto [Default] and returns the result
// and its Source. Unknown keys, type mismatches and syntax errors fail
// with "file:line: message". Load does not validate: call [Source.Check]
// once flags are applied.
func Load(path string) (Config, *Source, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse is [Load] for data read from a file called name.
func Parse(name string, data []byte) (Config, *Source, error) {
	cfg := Default()
	src := &Source{file: name}
	tree, err := yamlparser.ParseBytes(data, 0)
	if err != nil {
		return Config{}, nil, src.yamlError(err)
	}
	src.tree = tree
	if len(tree.Docs) > 1 {
		return Config{}, nil, &svcconfig.ValidationError{Problems: []svcconfig.Problem{{Where: name, Message: "want one YAML document"}}}
	}
	if len(tree.Docs) == 1 && tree.Docs[0].Body != nil {
		// The YAML library reports bad durations without a position.
		var ps []svcconfig.Problem
		for _, key := range []string{"keepalive", "retention", "token_ttl", "shutdown_timeout"} {
			if n := src.node(key); n != nil {
				if _, err := time.ParseDuration(strings.Trim(n.String(), `"'`)); err != nil {
					ps = append(ps, svcconfig.Problem{Where: src.where(key), Path: key, Message: fmt.Sprintf("must be a duration such as 30s or 72h, got %s", n.String())})
				}
			}
		}
		if len(ps) > 0 {
			return Config{}, nil, &svcconfig.ValidationError{Problems: ps}
		}
		// A mix given in the file replaces the default mix.
		if src.node("churn.mix") != nil {
			cfg.Churn.Mix = load.Mix{}
		}
		if err := decode(tree.Docs[0].Body, &cfg); err != nil {
			return Config{}, nil, src.yamlError(err)
		}
	}
	// Certificate files are relative to the configuration file.
	rel := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(filepath.Dir(name), *p)
		}
	}
	for i := range cfg.ConnectedApps {
		rel(&cfg.ConnectedApps[i].CertificateFile)
	}
	rel(&cfg.TLSCertFile)
	rel(&cfg.TLSKeyFile)
	return cfg, src, nil
}

// decode decodes node onto cfg, strictly. The YAML library panics on
// some malformed nodes, such as a sequence key holding an empty tag
// ("access_tokens: ! "); decode turns such a panic into an error.
func decode(node ast.Node, cfg *Config) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed YAML the decoder cannot read (%v)", r)
		}
	}()
	dec := yaml.NewDecoder(strings.NewReader(""), yaml.DisallowUnknownField(), yaml.Strict())
	return dec.DecodeFromNode(node, cfg)
}

// yamlError turns a YAML library error into a ValidationError naming the
// line.
func (s *Source) yamlError(err error) error {
	p := svcconfig.YAMLProblem(s.file, err)
	var unknown *yaml.UnknownFieldError
	if errors.As(err, &unknown) {
		p.Message = strings.Replace(p.Message, "unknown field", "unknown key", 1)
	}
	return &svcconfig.ValidationError{Problems: []svcconfig.Problem{p}}
}

// SetFlag records that the flag called flag set the key path, so that
// problems with the key name the flag rather than the file.
func (s *Source) SetFlag(path, flag string) {
	if s.flags == nil {
		s.flags = map[string]string{}
	}
	s.flags[path] = flag
}

// Check validates c and places each problem: the flag that set its key,
// or the file and line of the key, or the file alone.
func (s *Source) Check(c Config) error {
	err := c.Validate()
	var ve *svcconfig.ValidationError
	if s == nil || !errors.As(err, &ve) {
		return err
	}
	for i := range ve.Problems {
		ve.Problems[i].Where = s.where(ve.Problems[i].Path)
	}
	return ve
}

// where returns the place of the key path.
func (s *Source) where(path string) string {
	if f, ok := s.flags[path]; ok {
		return "flag --" + f
	}
	if s.tree == nil || s.file == "" {
		return ""
	}
	// The key itself, or failing that its closest parent in the file.
	for p := path; p != ""; p = svcconfig.Parent(p) {
		if n := s.node(p); n != nil {
			if tk := n.GetToken(); tk != nil && tk.Position != nil {
				return fmt.Sprintf("%s:%d", s.file, tk.Position.Line)
			}
		}
	}
	return s.file
}

// node returns the value of the key path in the file, or nil.
func (s *Source) node(path string) ast.Node {
	if s.tree == nil {
		return nil
	}
	yp, err := yaml.PathString("$." + path)
	if err != nil {
		return nil
	}
	n, err := yp.FilterFile(s.tree)
	if err != nil {
		return nil
	}
	return n
}

// Marshal returns c as YAML, access tokens and consumer secrets redacted
// to their hint.
func Marshal(c Config) ([]byte, error) {
	return yaml.MarshalWithOptions(c, yaml.IndentSequence(true))
}
