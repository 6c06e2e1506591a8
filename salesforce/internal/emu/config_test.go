package emu_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/internal/emu"
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
			case err != nil && !errors.Is(err, emu.ErrInvalid):
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
