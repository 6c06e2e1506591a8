package sflogin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/salesforce/login"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/schemas/svcconfig"
	"github.com/sfsync/sfsync/schemas/svcconfig/svcconfigtest"
)

// fixtures writes the shared fixture files, among them pkcs1.key and
// pkcs8.key (one RSA key) and ca.pem (a CA certificate), into a new
// directory and returns it.
func fixtures(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	svcconfigtest.WriteFiles(t, dir)
	return dir
}

// static returns settings of the static auth form, as sfemu's example
// files have them.
func static() *svcconfig.Salesforce {
	s := &svcconfig.Salesforce{
		PubSubEndpoint: "127.0.0.1:7011", Plaintext: true,
		AccessToken: "sfemu-local-dev-token", InstanceURL: "http://127.0.0.1:7012", OrgID: "00D000000000001EAA",
	}
	s.SetDefaults()
	return s
}

func TestStatic(t *testing.T) {
	t.Parallel()
	s := static()
	if _, err := OAuthConfig(s); !errors.Is(err, ErrNoGrant) {
		t.Errorf("OAuthConfig: %v, want ErrNoGrant", err)
	}
	ps, err := PubSubConfig(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ps.Endpoint != "127.0.0.1:7011" || !ps.Plaintext || ps.RootCAs != nil || ps.Validate() != nil {
		t.Errorf("pubsub config %+v", ps)
	}
	tok, err := ps.Credentials.Token(context.Background())
	if err != nil || string(tok.AccessToken) != "sfemu-local-dev-token" || tok.InstanceURL != "http://127.0.0.1:7012" || tok.TenantID != "00D000000000001EAA" {
		t.Errorf("token %+v, %v", tok, err)
	}
}

func TestOAuthConfig(t *testing.T) {
	t.Parallel()
	dir := fixtures(t)
	for _, tc := range []struct {
		scenario string
		s        svcconfig.Salesforce
		want     func(oauth.Config) bool
		err      string
	}{
		{
			scenario: "jwt_bearer with a PKCS#1 key",
			s:        svcconfig.Salesforce{Grant: "jwt_bearer", ClientID: "app", Username: "u@x", PrivateKeyFile: filepath.Join(dir, "pkcs1.key"), LoginURL: "https://test.salesforce.com"},
			want: func(oc oauth.Config) bool {
				data, _ := os.ReadFile(filepath.Join(dir, "pkcs1.key"))
				return oc.Grant == oauth.GrantJWTBearer && oc.LoginURL == "https://test.salesforce.com" && oc.ClientID == "app" && oc.Username == "u@x" && string(oc.PrivateKey) == string(data)
			},
		},
		{
			scenario: "jwt_bearer with a PKCS#8 key",
			s:        svcconfig.Salesforce{Grant: "jwt_bearer", ClientID: "app", Username: "u@x", PrivateKeyFile: filepath.Join(dir, "pkcs8.key"), LoginURL: "https://test.salesforce.com"},
			want: func(oc oauth.Config) bool {
				data, _ := os.ReadFile(filepath.Join(dir, "pkcs8.key"))
				return oc.Grant == oauth.GrantJWTBearer && string(oc.PrivateKey) == string(data)
			},
		},
		{
			scenario: "client_credentials",
			s:        svcconfig.Salesforce{Grant: "client_credentials", ClientID: "app", ClientSecret: "cs-secret-value", LoginURL: "https://acme.my.salesforce.com"},
			want: func(oc oauth.Config) bool {
				return oc.Grant == oauth.GrantClientCredentials && string(oc.ClientSecret) == "cs-secret-value" && oc.PrivateKey == ""
			},
		},
		{
			scenario: "unknown grant",
			s:        svcconfig.Salesforce{Grant: "password", ClientID: "app"},
			err:      `salesforce.grant: unknown grant "password"`,
		},
		{
			scenario: "jwt_bearer with a missing key file",
			s:        svcconfig.Salesforce{Grant: "jwt_bearer", ClientID: "app", Username: "u@x", PrivateKeyFile: filepath.Join(dir, "absent.key")},
			err:      "salesforce.private_key_file: ",
		},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			oc, err := OAuthConfig(&tc.s)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("got %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.want(oc) {
				t.Errorf("got %v", oc)
			}
			if err := oc.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestPubSubConfig(t *testing.T) {
	t.Parallel()
	dir := fixtures(t)
	s := &svcconfig.Salesforce{Grant: "client_credentials", ClientID: "app", ClientSecret: "cs", LoginURL: "https://acme.my.salesforce.com", CAFile: filepath.Join(dir, "ca.pem")}
	s.SetDefaults()
	_, err := PubSubConfig(s, nil)
	if want := "salesforce: pubsub credentials are required with an OAuth grant"; err == nil || err.Error() != want {
		t.Errorf("without credentials: %v, want %s", err, want)
	}
	ps, err := PubSubConfig(s, pubsub.StaticCredentials(pubsub.Token{AccessToken: "x"}))
	if err != nil || ps.RootCAs == nil || ps.Plaintext || ps.Endpoint != svcconfig.DefaultPubSubEndpoint {
		t.Errorf("pubsub %+v, %v", ps, err)
	}
	s.CAFile = filepath.Join(dir, "pkcs8.key")
	if _, err := PubSubConfig(s, pubsub.StaticCredentials(pubsub.Token{})); err == nil || !strings.HasPrefix(err.Error(), "salesforce.ca_file: ") {
		t.Errorf("with a key as ca_file: %v", err)
	}
}

// TestSharedDefaults checks that svcconfig, which does not import the
// salesforce module, states its defaults and grants as this module does.
func TestSharedDefaults(t *testing.T) {
	t.Parallel()
	if svcconfig.DefaultLoginURL != oauth.DefaultLoginURL || svcconfig.DefaultPubSubEndpoint != pubsub.DefaultEndpoint {
		t.Errorf("svcconfig defaults %s %s, salesforce's %s %s", svcconfig.DefaultLoginURL, svcconfig.DefaultPubSubEndpoint, oauth.DefaultLoginURL, pubsub.DefaultEndpoint)
	}
	if len(grants) != len(svcconfig.Grants) {
		t.Errorf("grants %v, svcconfig's %v", grants, svcconfig.Grants)
	}
	for _, name := range svcconfig.Grants {
		if g, ok := grants[name]; !ok || g == "" {
			t.Errorf("grant %q -> %q", name, g)
		}
	}
}

// TestSecretsNeverShow prints an OAuth configuration in every way and
// looks for its secrets.
func TestSecretsNeverShow(t *testing.T) {
	t.Parallel()
	const marker = "S3CRET-MARKER"
	for _, s := range []svcconfig.Salesforce{
		{Grant: "client_credentials", ClientID: "app", ClientSecret: marker, LoginURL: "https://acme.my.salesforce.com"},
		{Grant: "jwt_bearer", ClientID: "app", Username: "u@x", PrivateKeyFile: filepath.Join(fixtures(t), "pkcs8.key")},
	} {
		oc, err := OAuthConfig(&s)
		if err != nil {
			t.Fatal(err)
		}
		key := string(oc.PrivateKey)
		for _, text := range []string{fmt.Sprintf("%v", oc), fmt.Sprintf("%+v", oc), fmt.Sprintf("%#v", oc)} {
			if strings.Contains(text, marker) || (key != "" && strings.Contains(text, "PRIVATE KEY")) {
				t.Errorf("secret shown in %s", text)
			}
		}
	}
}

// TestOpen logs in through login.Open with the settings' static token,
// and refuses an unknown grant before dialling anything; login's own
// tests dial the Pub/Sub API.
func TestOpen(t *testing.T) {
	t.Parallel()
	const orgID = "00D000000000042EAA"
	srv, err := sffake.Start(sffake.WithOrgID(orgID))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ctx := t.Context()
	s := &svcconfig.Salesforce{AccessToken: svcconfig.Secret(srv.AccessToken()), InstanceURL: srv.URL(), OrgID: orgID,
		PubSubEndpoint: srv.PubSubAddr(), Plaintext: true}
	ss, err := Open(ctx, s, login.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ss.OrgID != orgID {
		t.Errorf("org id %q, want %q", ss.OrgID, orgID)
	}
	if _, err := ss.REST.Versions(ctx); err != nil {
		t.Errorf("rest: %v", err)
	}
	if _, err := Open(ctx, &svcconfig.Salesforce{Grant: "password"}, login.Options{}); err == nil || err.Error() != `salesforce.grant: unknown grant "password"` {
		t.Errorf("unknown grant: %v", err)
	}
}
