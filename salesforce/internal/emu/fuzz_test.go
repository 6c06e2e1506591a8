package emu_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/salesforce/internal/emu"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// FuzzParse feeds hostile configuration files to Parse and Check. A
// refusal is a *svcconfig.ValidationError wrapping svcconfig.ErrInvalid
// whose problems name the file; an accepted file prints (Marshal)
// without any secret, and what it prints parses back to the same
// configuration, secrets aside.
func FuzzParse(f *testing.F) {
	f.Add([]byte("access_tokens: [abcdefgh]\n"))
	f.Add([]byte("access_tokens: [00D!supersecret]\nkeepalive: 5s\nretention: 1h\nchurn:\n  rate: 12.5\n  mix: {account_edit: 3, gap: 1}\n" +
		"platform_events:\n  - name: Order_Event__e\n    fields:\n      - {name: OrderId__c, type: Text}\n      - {name: Amount__c, type: Number}\n"))
	f.Add([]byte("listen: {pubsub: '0.0.0.0:7011', public: true}\naccess_tokens: [abcdefgh]\nconnected_apps:\n" +
		"  - {consumer_key: key, consumer_secret: consumer-secret-value, username: u@example.com}\n" +
		"users:\n  - {username: dev@example.com, password: user-password-value}\n  - {username: ci@example.com, password_env: CI_PW}\n" +
		"tls: true\ntls_cert_file: tls/c.pem\ntls_key_file: tls/k.pem\n" +
		"objects:\n  - {name: Opportunity, key_prefix: '006', change_events: true, fields: [{name: Ref__c, type: Text, external_id: true}]}\n" +
		"  - {name: Account, fields: [{name: Ext__c, type: Int, external_id: true}]}\n"))
	f.Add([]byte("keepalive: forever\n"))
	f.Add([]byte("a: 1\n---\nb: 2\n"))
	f.Add([]byte("access_tokens: abc\nunknown: 1\n"))
	f.Add([]byte("dataset: {accounts: -1, named_share: 2}\ntoken_ttl: 1ns\n"))
	f.Add([]byte("[1, 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "/etc/sfemu.yaml"
		cfg, src, err := emu.Parse(name, data)
		if err != nil {
			checkRefusal(t, err, name)
			return
		}
		// Certificates are read from disk: keep the fuzzer off the
		// file system.
		for i := range cfg.ConnectedApps {
			cfg.ConnectedApps[i].CertificateFile = ""
		}
		if err := src.Check(cfg); err != nil {
			checkRefusal(t, err, "")
		}
		out, err := emu.Marshal(cfg)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		bare := cfg
		bare.AccessTokens = nil
		bare.ConnectedApps = nil
		bare.Users = nil
		others, _ := emu.Marshal(bare)
		secrets := append([]emu.Secret(nil), cfg.AccessTokens...)
		for _, a := range cfg.ConnectedApps {
			secrets = append(secrets, a.ConsumerSecret)
		}
		for _, u := range cfg.Users {
			secrets = append(secrets, u.Password)
		}
		for _, s := range secrets {
			if len(s) >= 8 && strings.Contains(string(out), string(s)) && !strings.Contains(string(others), string(s)) {
				t.Fatalf("printed config shows the secret %q:\n%s", s, out)
			}
		}
		again, _, err := emu.Parse(name, out)
		if err != nil {
			t.Fatalf("printed config\n%s\nrefused: %v", out, err)
		}
		if len(again.AccessTokens) != len(cfg.AccessTokens) || len(again.ConnectedApps) != len(cfg.ConnectedApps) || len(again.Users) != len(cfg.Users) {
			t.Fatalf("printed config\n%s\nparses back to %+v, want %+v", out, again, cfg)
		}
		copy(again.AccessTokens, cfg.AccessTokens)
		for i := range again.ConnectedApps {
			again.ConnectedApps[i].ConsumerSecret = cfg.ConnectedApps[i].ConsumerSecret
		}
		for i := range again.Users {
			again.Users[i].Password = cfg.Users[i].Password
		}
		if !reflect.DeepEqual(normal(again), normal(cfg)) {
			t.Fatalf("printed config\n%s\nparses back to\n%+v\nwant\n%+v", out, again, cfg)
		}
	})
}

// normal makes empty and nil slices alike.
func normal(c emu.Config) emu.Config {
	if len(c.AccessTokens) == 0 {
		c.AccessTokens = nil
	}
	if len(c.ConnectedApps) == 0 {
		c.ConnectedApps = nil
	}
	if len(c.Users) == 0 {
		c.Users = nil
	}
	if len(c.PlatformEvents) == 0 {
		c.PlatformEvents = nil
	}
	for i := range c.PlatformEvents {
		if len(c.PlatformEvents[i].Fields) == 0 {
			c.PlatformEvents[i].Fields = nil
		}
	}
	if len(c.Objects) == 0 {
		c.Objects = nil
	}
	for i := range c.Objects {
		if len(c.Objects[i].Fields) == 0 {
			c.Objects[i].Fields = nil
		}
	}
	return c
}

func checkRefusal(t *testing.T, err error, file string) {
	t.Helper()
	var ve *svcconfig.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, svcconfig.ErrInvalid) || len(ve.Problems) == 0 {
		t.Fatalf("refusal %v (%T) is not a ValidationError with problems", err, err)
	}
	for _, p := range ve.Problems {
		if p.Message == "" || file != "" && !strings.HasPrefix(p.Where, file) {
			t.Fatalf("problem %+v does not say what and where", p)
		}
	}
}
