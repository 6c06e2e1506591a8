package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/salesforce/internal/emu"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
)

const (
	filePassword = "file-password-4b1d"
	envPassword  = "env-password-77c2"
)

// TestRunWithUsersAndTLS runs sfemu with password users (one password in
// the file, one from the environment) and TLS with certificate files: it
// writes the certificate and key on first start and serves the same pair
// on the next; clients trusting the written file log in with the OAuth
// password grant and the SOAP partner login, and use the session on REST
// and the Pub/Sub API. No password reaches the log or --print-config.
func TestRunWithUsersAndTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "sfemu.yaml")
	if err := os.WriteFile(cfgPath, []byte(`listen:
  pubsub: 127.0.0.1:0
  http: 127.0.0.1:0
access_tokens: [`+token+`]
connected_apps:
  - consumer_key: `+appKey+`
    consumer_secret: `+appSecret+`
    username: `+appUser+`
users:
  - username: dev@sfemu.test
    password: `+filePassword+`
  - username: ci@sfemu.test
    password_env: SFEMU_TEST_CI_PASSWORD
objects:
  - name: Opportunity
    key_prefix: "006"
    change_events: true
    fields:
      - {name: Name, type: Text}
      - {name: Description, type: TextArea}
      - {name: Ref__c, type: Text, external_id: true}
  - name: Account
    fields: [{name: Ext__c, type: Int, external_id: true}]
tls: true
tls_cert_file: tls/sfemu.crt
tls_key_file: tls/sfemu.key
dataset:
  accounts: 5
  users: 3
churn:
  enabled: false
`), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "SFEMU_TEST_CI_PASSWORD" {
			return envPassword
		}
		return ""
	}
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()

	ep, stop := startEmu(t, ctx, []string{"--config", cfgPath}, getenv)
	certFile := filepath.Join(dir, "tls", "sfemu.crt")
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatalf("certificate not written: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "tls", "sfemu.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(certPEM) {
		t.Fatalf("%s holds no certificate", certFile)
	}
	httpc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	if !strings.HasPrefix(ep.InstanceURL, "https://") {
		t.Fatalf("instance URL %s", ep.InstanceURL)
	}

	// The password grant, for the user whose password came from the
	// environment.
	oc, err := oauth.NewClient(oauth.Config{Grant: oauth.GrantPassword, LoginURL: ep.InstanceURL, ClientID: appKey,
		ClientSecret: appSecret, Username: "ci@sfemu.test", Password: envPassword, HTTPClient: httpc})
	if err != nil {
		t.Fatal(err)
	}
	ts := oauth.NewTokenSource(oc)
	if tok, err := ts.Token(ctx); err != nil || tok.OrgID != ep.OrgID {
		t.Fatalf("password grant: %+v, %v", tok, err)
	}
	subscribeOnce(t, ctx, ep, roots, pubsub.OAuthCredentials(ts))

	// The SOAP login, for the user whose password is in the file; its
	// session writes through REST and subscribes.
	session, org := soapLogin(t, ctx, httpc, ep.InstanceURL, "dev@sfemu.test", filePassword)
	if org != ep.OrgID {
		t.Fatalf("login's organizationId %s, want %s", org, ep.OrgID)
	}
	// The session writes through REST, upserting by the external ids of
	// the configured objects.
	for _, w := range []struct {
		method, path, body string
		status             int
	}{
		{http.MethodPost, "/sobjects/Account", `{"Name":"From SOAP"}`, http.StatusCreated},
		{http.MethodPatch, "/sobjects/Account/Ext__c/7", `{"Name":"External seven"}`, http.StatusCreated},
		{http.MethodPatch, "/sobjects/Opportunity/Ref__c/O-1", `{"Name":"Deal"}`, http.StatusCreated},
		{http.MethodPatch, "/sobjects/Opportunity/Ref__c/O-1", `{"Description":"Estimated Delivery Date: 2027-01-04"}`, http.StatusOK},
	} {
		req, _ := http.NewRequestWithContext(ctx, w.method, ep.InstanceURL+"/services/data/v62.0"+w.path, strings.NewReader(w.body))
		req.Header.Set("Authorization", "Bearer "+session)
		req.Header.Set("Content-Type", "application/json")
		resp, err := httpc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != w.status {
			t.Fatalf("%s %s with the SOAP session: %d %s", w.method, w.path, resp.StatusCode, body)
		}
	}
	creds := pubsub.StaticCredentials(pubsub.Token{AccessToken: oauth.Secret(session), InstanceURL: ep.InstanceURL, TenantID: org})
	subscribeOnce(t, ctx, ep, roots, creds)
	c, err := pubsub.Dial(ctx, pubsub.Config{Endpoint: ep.PubSub, RootCAs: roots, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.Subscribe(ctx, pubsub.SubscribeRequest{Topic: "/data/OpportunityChangeEvent", Preset: pubsub.Earliest})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []pubsub.ChangeType{pubsub.Create, pubsub.Update} {
		ev, err := sub.Next(ctx)
		for err == nil && ev.Keepalive {
			ev, err = sub.Next(ctx)
		}
		if err != nil || ev.Header == nil || ev.Header.ChangeType != want || ev.Header.EntityName != "Opportunity" {
			t.Fatalf("Opportunity event: %+v, %v; want %s", ev.Header, err, want)
		}
	}
	_ = sub.Close()
	_ = c.Close()
	if _, _, err := soapLoginErr(ctx, httpc, ep.InstanceURL, "dev@sfemu.test", envPassword); err == nil || !strings.Contains(err.Error(), "INVALID_LOGIN") {
		t.Errorf("login with another user's password: %v", err)
	}

	log := stop()
	for _, want := range []string{"generated a self-signed certificate", "trust the certificate", "cert_file=" + certFile, "REQUESTS_CA_BUNDLE=" + certFile, `users="[dev@sfemu.test ci@sfemu.test]"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	for _, secret := range []string{filePassword, envPassword} {
		if strings.Contains(log, secret) {
			t.Errorf("log shows a password:\n%s", log)
		}
	}

	// A second start serves the certificate kept in the files.
	ep, stop = startEmu(t, ctx, []string{"--config", cfgPath}, getenv)
	subscribeOnce(t, ctx, ep, roots, pubsub.StaticCredentials(pubsub.Token{AccessToken: token, InstanceURL: ep.InstanceURL, TenantID: ep.OrgID}))
	if again, _ := os.ReadFile(certFile); !bytes.Equal(again, certPEM) {
		t.Error("the certificate file was rewritten")
	}
	if log := stop(); strings.Contains(log, "generated a self-signed certificate") {
		t.Errorf("second start generated a certificate:\n%s", log)
	}

	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"--config", cfgPath, "--print-config"}, getenv, &out, &errOut, nil); code != 0 {
		t.Fatalf("print-config: exit %d: %s", code, errOut.String())
	}
	if strings.Contains(out.String(), filePassword) || strings.Contains(out.String(), envPassword) || !strings.Contains(out.String(), "password_env: SFEMU_TEST_CI_PASSWORD") {
		t.Errorf("print-config:\n%s", out.String())
	}
}

// subscribeOnce calls GetTopic over TLS trusting roots with creds.
func subscribeOnce(t *testing.T, ctx context.Context, ep emu.Endpoints, roots *x509.CertPool, creds pubsub.Credentials) {
	t.Helper()
	c, err := pubsub.Dial(ctx, pubsub.Config{Endpoint: ep.PubSub, RootCAs: roots, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if topic, err := c.GetTopic(ctx, "/data/AccountChangeEvent"); err != nil || !topic.CanSubscribe {
		t.Fatalf("GetTopic over TLS: %+v, %v", topic, err)
	}
}

// soapLogin logs in with the SOAP partner API and returns the session id
// and organizationId.
func soapLogin(t *testing.T, ctx context.Context, c *http.Client, base, user, pass string) (string, string) {
	t.Helper()
	session, org, err := soapLoginErr(ctx, c, base, user, pass)
	if err != nil {
		t.Fatal(err)
	}
	return session, org
}

// loginResult is the part of a login answer read here.
type loginResult struct {
	SessionID string `xml:"Body>loginResponse>result>sessionId"`
	OrgID     string `xml:"Body>loginResponse>result>userInfo>organizationId"`
	Fault     string `xml:"Body>Fault>faultcode"`
}

func soapLoginErr(ctx context.Context, c *http.Client, base, user, pass string) (string, string, error) {
	env := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Body><urn:login><urn:username>` +
		user + `</urn:username><urn:password>` + pass + `</urn:password></urn:login></soapenv:Body></soapenv:Envelope>`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/services/Soap/u/62.0/", strings.NewReader(env))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("SOAPAction", "login")
	resp, err := c.Do(req)
	if err != nil {
		return "", "", err
	}
	defer func() { _ = resp.Body.Close() }()
	var res loginResult
	if err := xml.NewDecoder(resp.Body).Decode(&res); err != nil {
		return "", "", err
	}
	if res.Fault != "" || res.SessionID == "" {
		return "", "", &loginError{status: resp.StatusCode, fault: res.Fault}
	}
	return res.SessionID, res.OrgID, nil
}

type loginError struct {
	status int
	fault  string
}

func (e *loginError) Error() string { return http.StatusText(e.status) + " " + e.fault }
