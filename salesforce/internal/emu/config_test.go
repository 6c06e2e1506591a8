package emu_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/internal/emu"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		yaml     string
		flags    map[string]string // path → flag, applied as overrides
		apply    func(*emu.Config)
		want     string // the error; "" for none
		check    func(*testing.T, emu.Config)
	}{
		{
			scenario: "minimal file takes the defaults",
			yaml:     "access_tokens: [abcdefgh]\n",
			check: func(t *testing.T, c emu.Config) {
				want := emu.Default()
				if c.Listen != want.Listen || c.Churn.Rate != emu.DefaultRate || c.Dataset.Accounts != 5000 || !c.Territory.ChangeEvents || !c.Territory.Trigger || c.TLS {
					t.Fatalf("config = %+v", c)
				}
			},
		},
		{
			scenario: "durations, mix and events",
			yaml: `access_tokens: [abcdefgh]
keepalive: 5s
retention: 1h
churn:
  rate: 12.5
  mix: {account_edit: 3, gap: 1}
platform_events:
  - name: Order_Event__e
    fields:
      - {name: OrderId__c, type: Text}
      - {name: Amount__c, type: Number}
`,
			check: func(t *testing.T, c emu.Config) {
				if c.Keepalive != 5*time.Second || c.Retention != time.Hour || c.Churn.Rate != 12.5 ||
					c.Churn.Mix.AccountEdit != 3 || c.Churn.Mix.Gap != 1 || c.Churn.Mix.Reassign != 0 ||
					len(c.PlatformEvents) != 1 || c.PlatformEvents[0].Fields[1].Type != "Number" {
					t.Fatalf("config = %+v", c)
				}
			},
		},
		{
			scenario: "rate must be positive",
			yaml:     "access_tokens: [abcdefgh]\ndataset:\n  accounts: 10\nchurn:\n  burst: 5\n  rate: 0\n",
			want:     "sfemu.yaml:6: churn.rate: must be > 0",
		},
		{
			scenario: "disabled churn needs no rate",
			yaml:     "access_tokens: [abcdefgh]\nchurn:\n  enabled: false\n  rate: 0\n",
		},
		{
			scenario: "an address beyond loopback is refused",
			yaml:     "access_tokens: [abcdefgh]\nlisten:\n  pubsub: 0.0.0.0:7011\n  http: :7012\n",
			want: "sfemu.yaml:3: listen.pubsub: \"0.0.0.0:7011\" is beyond loopback: anyone who reaches it can use the org with its test tokens; use 127.0.0.1, or set listen.public: true if that is intended (a container whose port is published on loopback)\n" +
				"sfemu.yaml:4: listen.http: \":7012\" is beyond loopback: anyone who reaches it can use the org with its test tokens; use 127.0.0.1, or set listen.public: true if that is intended (a container whose port is published on loopback)",
		},
		{
			scenario: "public allows it",
			yaml:     "access_tokens: [abcdefgh]\nlisten:\n  pubsub: 0.0.0.0:7011\n  http: :7012\n  public: true\n",
		},
		{
			scenario: "localhost and ::1 are loopback",
			yaml:     "access_tokens: [abcdefgh]\nlisten:\n  pubsub: localhost:7011\n  http: '[::1]:7012'\n",
		},
		{
			scenario: "unknown key",
			yaml:     "access_tokens: [abcdefgh]\nchurn:\n  rat: 5\n",
			want:     `sfemu.yaml:3: unknown key "rat"`,
		},
		{
			scenario: "unknown top-level key",
			yaml:     "access_tokens: [abcdefgh]\n\nlisten_addr: x\n",
			want:     `sfemu.yaml:3: unknown key "listen_addr"`,
		},
		{
			scenario: "wrong type",
			yaml:     "access_tokens: [abcdefgh]\ndataset:\n  accounts: many\n",
			want:     "sfemu.yaml:3: ",
		},
		{
			scenario: "bad duration",
			yaml:     "access_tokens: [abcdefgh]\nkeepalive: soon\n",
			want:     "sfemu.yaml:2: ",
		},
		{
			scenario: "syntax error",
			yaml:     "access_tokens: [abcdefgh\nchurn: {\n",
			want:     "sfemu.yaml:",
		},
		{
			scenario: "no token",
			yaml:     "tls: true\n",
			want:     "sfemu.yaml: access_tokens: at least one token is required (or set SFEMU_ACCESS_TOKEN)",
		},
		{
			scenario: "users need a password, from the file or the environment",
			yaml:     "access_tokens: [abcdefgh]\nusers:\n  - username: a@example.com\n  - username: b@example.com\n    password_env: SFEMU_B\n  - username: A@example.com\n    password: pw\n",
			want: "sfemu.yaml:3: users[0]: needs a password or a password_env naming an environment variable that holds it\n" +
				"sfemu.yaml:5: users[1].password_env: the environment variable SFEMU_B is not set or empty\n" +
				"sfemu.yaml:6: users[2].username: A@example.com is defined twice",
		},
		{
			scenario: "a password from the environment",
			yaml:     "access_tokens: [abcdefgh]\nusers:\n  - username: b@example.com\n    password_env: SFEMU_B\n",
			apply: func(c *emu.Config) {
				c.ApplyEnv(func(k string) string { return map[string]string{"SFEMU_B": "from-env"}[k] })
			},
			check: func(t *testing.T, c emu.Config) {
				if c.Users[0].Password != "from-env" {
					t.Fatalf("password %q", string(c.Users[0].Password))
				}
			},
		},
		{
			scenario: "objects and fields added to built-in ones",
			yaml: `access_tokens: [abcdefgh]
objects:
  - name: Opportunity
    key_prefix: "006"
    change_events: true
    fields:
      - {name: Name, type: Text}
      - {name: Ref__c, type: Text, external_id: true}
  - name: Account
    fields: [{name: Ext__c, type: Int, external_id: true}]
`,
			check: func(t *testing.T, c emu.Config) {
				if len(c.Objects) != 2 || c.Objects[0].KeyPrefix != "006" || !c.Objects[0].Fields[1].ExternalID || c.Objects[1].Fields[0].Type != "Int" {
					t.Fatalf("objects = %+v", c.Objects)
				}
			},
		},
		{
			scenario: "bad objects",
			yaml: `access_tokens: [abcdefgh]
objects:
  - name: Opportunity
    fields: [{name: Amount, type: Currency, external_id: true}]
  - name: Account
    key_prefix: "001"
    fields: []
platform_events:
  - name: Order__e
    fields: [{name: Ref__c, type: Text, external_id: true}]
`,
			want: "sfemu.yaml:3: objects[0].key_prefix: must be 3 letters or digits, got \"\"\n" +
				"sfemu.yaml:4: objects[0].fields[0].external_id: an external id must be Text, Int or Number, not Currency\n" +
				"sfemu.yaml:5: objects[1]: Account is built in: give only fields to add to it\n" +
				"sfemu.yaml:10: platform_events[0].fields[0].external_id: platform event fields have no external ids",
		},
		{
			scenario: "certificate files need tls and each other",
			yaml:     "access_tokens: [abcdefgh]\ntls_cert_file: c.pem\ntls_key_file: k.pem\n",
			want:     "sfemu.yaml:2: tls_cert_file: needs tls: true",
		},
		{
			scenario: "a certificate file without its key",
			yaml:     "access_tokens: [abcdefgh]\ntls: true\ntls_cert_file: c.pem\n",
			want:     "sfemu.yaml: tls_key_file: tls_cert_file and tls_key_file go together: set both or neither",
		},
		{
			scenario: "several problems in file order",
			yaml: `access_tokens: [abcdefgh]
listen:
  pubsub: localhost
org_id: 00Dxyz
dataset:
  named_share: 2
churn:
  mix:
    delete: -1
log_level: loud
`,
			want: `sfemu.yaml:3: listen.pubsub: must be host:port, got "localhost"
sfemu.yaml:4: org_id: must be an 18-character id starting with 00D with a valid case-safe suffix, got "00Dxyz"
sfemu.yaml:6: dataset.named_share: must be between 0 and 1
sfemu.yaml:9: churn.mix.delete: must be >= 0
sfemu.yaml:9: churn.mix: at least one weight must be > 0
sfemu.yaml:10: log_level: must be debug, info, warn or error, got "loud"`,
		},
		{
			scenario: "platform event problems",
			yaml: `access_tokens: [abcdefgh]
platform_events:
  - name: Order_Event
    fields:
      - name: Amount__c
        type: Money
  - name: Territory_Change__e
`,
			want: `sfemu.yaml:3: platform_events[0].name: must be an API name ending in __e, got "Order_Event"
sfemu.yaml:6: platform_events[0].fields[0].type: must be one of Checkbox, Currency, Date, DateTime, Email, Int, Number, Percent, Phone, Picklist, Reference, Text, TextArea, Time, URL, got "Money"
sfemu.yaml:7: platform_events[1].name: Territory_Change__e is defined twice`,
		},
		{
			scenario: "connected apps and token ttl",
			yaml: `access_tokens: [abcdefgh]
token_ttl: 30m
connected_apps:
  - consumer_key: app-one
    consumer_secret: local-secret-1
    username: integration@sfemu.local
`,
			check: func(t *testing.T, c emu.Config) {
				if c.TokenTTL != 30*time.Minute || len(c.ConnectedApps) != 1 || c.ConnectedApps[0].ConsumerSecret != "local-secret-1" ||
					c.ConnectedApps[0].Username != "integration@sfemu.local" {
					t.Fatalf("config = %+v", c)
				}
			},
		},
		{
			scenario: "token ttl defaults to the session timeout",
			yaml:     "access_tokens: [abcdefgh]\n",
			check: func(t *testing.T, c emu.Config) {
				if c.TokenTTL != 2*time.Hour {
					t.Fatalf("token_ttl = %v", c.TokenTTL)
				}
			},
		},
		{
			scenario: "bad token ttl",
			yaml:     "access_tokens: [abcdefgh]\ntoken_ttl: soon\n",
			want:     "sfemu.yaml:2: token_ttl: must be a duration such as 30s or 72h, got soon",
		},
		{
			scenario: "connected app problems",
			yaml: `access_tokens: [abcdefgh]
token_ttl: 0s
connected_apps:
  - consumer_key: app
    certificate_file: missing.crt
    username: u@example.com
  - consumer_key: app
    consumer_secret: s
  - username: u@example.com
`,
			want: `sfemu.yaml:2: token_ttl: must be > 0
sfemu.yaml:5: connected_apps[0].certificate_file: cannot read missing.crt: no such file or directory
sfemu.yaml:7: connected_apps[1].consumer_key: app is defined twice
sfemu.yaml:7: connected_apps[1].username: is required: the run-as user and the JWT subject
sfemu.yaml:9: connected_apps[2].consumer_key: must be non-empty without surrounding spaces
sfemu.yaml:9: connected_apps[2]: needs a consumer_secret (client credentials) or a certificate_file (JWT bearer)`,
		},
		{
			scenario: "a flag's problem names the flag",
			yaml:     "access_tokens: [abcdefgh]\nchurn:\n  rate: 5\n",
			flags:    map[string]string{"churn.rate": "rate"},
			apply:    func(c *emu.Config) { c.Churn.Rate = -3 },
			want:     "flag --rate: churn.rate: must be > 0",
		},
		{
			scenario: "a key absent from the file names the file",
			yaml:     "access_tokens: [abcdefgh]\n",
			apply:    func(c *emu.Config) { c.Dataset.Users = 0 },
			want:     "sfemu.yaml: dataset.users: must be >= 1",
		},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			cfg, src, err := emu.Parse("sfemu.yaml", []byte(tc.yaml))
			if err == nil {
				for p, f := range tc.flags {
					src.SetFlag(p, f)
				}
				if tc.apply != nil {
					tc.apply(&cfg)
				}
				err = src.Check(cfg)
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("no error, want %q", tc.want)
			case tc.want != "" && !strings.HasPrefix(err.Error(), tc.want):
				t.Fatalf("error:\n%v\nwant (prefix):\n%s", err, tc.want)
			case err != nil && !errors.Is(err, svcconfig.ErrInvalid):
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			if tc.check != nil {
				tc.check(t, cfg)
			}
		})
	}
}

func TestSecretNeverShown(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario, secret, want string
	}{
		{scenario: "long token", secret: "00D!supersecret", want: "00D!…"},
		{scenario: "short token", secret: "abc", want: "…"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			s := emu.Secret(tc.secret)
			if s.String() != tc.want || s.Hint() != tc.want {
				t.Fatalf("String = %q, want %q", s.String(), tc.want)
			}
			out, err := emu.Marshal(emu.Config{AccessTokens: []emu.Secret{s}})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(out), tc.secret) && len(tc.secret) > 4 {
				t.Fatalf("printed config shows the secret:\n%s", out)
			}
		})
	}
}

// TestCertificateFile checks that a connected app's certificate file is
// taken relative to the configuration file and must hold an RSA
// certificate or public key.
func TestCertificateFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"app.crt":     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"app.pub":     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}),
		"app.key":     pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		"garbage.crt": []byte("not a certificate"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		scenario, file, want string
	}{
		{scenario: "certificate beside the config file", file: "app.crt"},
		{scenario: "public key", file: "app.pub"},
		{scenario: "absolute path", file: filepath.Join(dir, "app.crt")},
		{scenario: "a private key is refused", file: "app.key",
			want: `sfemu.yaml:4: connected_apps[0].certificate_file: ` + filepath.Join(dir, "app.key") + ` holds a "RSA PRIVATE KEY" PEM block, want CERTIFICATE or PUBLIC KEY`},
		{scenario: "not PEM", file: "garbage.crt",
			want: `sfemu.yaml:4: connected_apps[0].certificate_file: ` + filepath.Join(dir, "garbage.crt") + ` is not PEM`},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			name := filepath.Join(dir, "sfemu.yaml")
			cfg, src, err := emu.Parse(name, []byte("access_tokens: [abcdefgh]\nconnected_apps:\n  - consumer_key: app\n    certificate_file: "+tc.file+"\n    username: u@example.com\n"))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.ConnectedApps[0].CertificateFile; !filepath.IsAbs(got) || filepath.Dir(got) != dir {
				t.Fatalf("certificate file %s, want one in %s", got, dir)
			}
			err = src.Check(cfg)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || strings.ReplaceAll(err.Error(), dir+"/sfemu.yaml", "sfemu.yaml") != tc.want):
				t.Fatalf("error:\n%v\nwant:\n%s", err, tc.want)
			}
		})
	}
}
