package sffake_test

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

// xmlNode is any XML element with its children in order.
type xmlNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []xmlNode  `xml:",any"`
}

// child returns the i-th child element, failing the test when missing.
func (n xmlNode) child(t *testing.T, i int) xmlNode {
	t.Helper()
	if i >= len(n.Children) {
		t.Fatalf("<%s> has %d children, no %d-th", n.XMLName.Local, len(n.Children), i)
	}
	return n.Children[i]
}

// find returns the first descendant called local.
func (n xmlNode) find(local string) (xmlNode, bool) {
	for _, c := range n.Children {
		if c.XMLName.Local == local {
			return c, true
		}
		if f, ok := c.find(local); ok {
			return f, true
		}
	}
	return xmlNode{}, false
}

// soapPost posts a SOAP envelope (header and body elements given) to the
// partner endpoint and returns the status and the parsed response.
func soapPost(t *testing.T, s *sffake.Server, path, header, body string) (int, xmlNode) {
	t.Helper()
	env := `<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xmlns:urn='urn:partner.soap.sforce.com'>` +
		`<soapenv:Header>` + header + `</soapenv:Header><soapenv:Body>` + body + `</soapenv:Body></soapenv:Envelope>`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+path, strings.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("SOAPAction", "login")
	status, raw, h := httpDo(t, req)
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Fatalf("SOAP answer content type %q: %s", ct, raw)
	}
	var n xmlNode
	if err := xml.Unmarshal(raw, &n); err != nil {
		t.Fatalf("SOAP answer: %v: %s", err, raw)
	}
	return status, n
}

// loginBody is the login call as Salesforce's Python example sends it:
// CDATA-wrapped credentials.
func loginBody(user, pass string) string {
	return `<urn:login><urn:username><![CDATA[` + user + `]]></urn:username><urn:password><![CDATA[` + pass + `]]></urn:password></urn:login>`
}

// soapLogin logs in and returns the session id.
func soapLogin(t *testing.T, s *sffake.Server, user, pass string) string {
	t.Helper()
	status, env := soapPost(t, s, "/services/Soap/u/59.0/", "", loginBody(user, pass))
	if status != http.StatusOK {
		t.Fatalf("login: status %d: %+v", status, env)
	}
	sid, ok := env.find("sessionId")
	if !ok || sid.Text == "" {
		t.Fatalf("login answer without sessionId: %+v", env)
	}
	return sid.Text
}

// soapUndelete undeletes ids with the session and returns each result's
// success, or its statusCode when it failed.
func soapUndelete(t *testing.T, s *sffake.Server, session string, allOrNone bool, ids ...string) []string {
	t.Helper()
	header := `<urn:SessionHeader><urn:sessionId>` + session + `</urn:sessionId></urn:SessionHeader>`
	if allOrNone {
		header += `<urn:AllOrNoneHeader><urn:allOrNone>true</urn:allOrNone></urn:AllOrNoneHeader>`
	}
	var body strings.Builder
	body.WriteString("<urn:undelete>")
	for _, id := range ids {
		body.WriteString("<urn:ids>" + id + "</urn:ids>")
	}
	body.WriteString("</urn:undelete>")
	status, env := soapPost(t, s, "/services/Soap/u/62.0/"+s.OrgID(), header, body.String())
	if status != http.StatusOK {
		t.Fatalf("undelete: status %d: %+v", status, env)
	}
	resp, _ := env.find("undeleteResponse")
	var out []string
	for _, r := range resp.Children {
		ok, _ := r.find("success")
		if ok.Text == "true" {
			out = append(out, "true")
			continue
		}
		code, _ := r.find("statusCode")
		out = append(out, code.Text)
	}
	return out
}

// wantFault checks a SOAP fault's status and faultcode.
func wantFault(t *testing.T, status int, env xmlNode, code string) {
	t.Helper()
	fc, ok := env.find("faultcode")
	if status != http.StatusInternalServerError || !ok || fc.Text != code {
		t.Fatalf("got %d %+v, want 500 with faultcode %s", status, env, code)
	}
	if fs, _ := env.find("faultstring"); fs.Text == "" {
		t.Errorf("fault %s without faultstring", code)
	}
}

func TestSOAPLogin(t *testing.T) {
	t.Parallel()
	const user, pass = "dev@example.com", "s3cret&<token>"
	s := start(t, sffake.WithUser(sffake.User{Username: user, Password: pass}))
	status, env := soapPost(t, s, "/services/Soap/u/59.0/", "", loginBody("DEV@example.com", pass))
	if status != http.StatusOK {
		t.Fatalf("login: %d %+v", status, env)
	}
	// Read the answer by position, as Salesforce's Python example does:
	// Envelope/Body/loginResponse/result, serverUrl the 4th child,
	// sessionId the 5th, userInfo the 7th with organizationId its 9th.
	result := env.child(t, 0).child(t, 0).child(t, 0)
	names := []string{"metadataServerUrl", "passwordExpired", "sandbox", "serverUrl", "sessionId", "userId", "userInfo"}
	for i, n := range names {
		if got := result.child(t, i).XMLName; got.Local != n || got.Space != "urn:partner.soap.sforce.com" {
			t.Errorf("result child %d is %v, want %s", i, got, n)
		}
	}
	serverURL, err := url.Parse(result.child(t, 3).Text)
	if err != nil || serverURL.Scheme+"://"+serverURL.Host != s.URL() || serverURL.Path != "/services/Soap/u/59.0/"+s.OrgID() {
		t.Errorf("serverUrl %q", result.child(t, 3).Text)
	}
	session := result.child(t, 4).Text
	info := result.child(t, 6)
	if org := info.child(t, 8); org.XMLName.Local != "organizationId" || org.Text != s.OrgID() {
		t.Errorf("userInfo's 9th element %s = %q, want organizationId %s", org.XMLName.Local, org.Text, s.OrgID())
	}
	if u, _ := info.find("userName"); u.Text != user {
		t.Errorf("userName %q", u.Text)
	}
	if result.child(t, 5).Text != s.UserID() {
		t.Errorf("userId %q", result.child(t, 5).Text)
	}

	// The session id is a bearer token for REST and an access token for
	// the Pub/Sub API.
	restGet(t, s, session, apiBase+"/limits", http.StatusOK, nil)
	c, err := pubsub.Dial(t.Context(), pubsub.Config{Endpoint: s.PubSubAddr(), Plaintext: true, Credentials: pubsub.StaticCredentials(pubsub.Token{
		AccessToken: oauth.Secret(session), InstanceURL: s.URL(), TenantID: info.child(t, 8).Text,
	})})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if topic, err := c.GetTopic(t.Context(), "/data/AccountChangeEvent"); err != nil || !topic.CanSubscribe {
		t.Errorf("GetTopic with the session: %+v, %v", topic, err)
	}

	for _, tt := range []struct{ scenario, user, pass string }{
		{"wrong password", user, "nope"},
		{"unknown user", "who@example.com", pass},
		{"empty", "", ""},
	} {
		status, env := soapPost(t, s, "/services/Soap/u/62.0", "", loginBody(tt.user, tt.pass))
		t.Run(tt.scenario, func(t *testing.T) {
			wantFault(t, status, env, "sf:INVALID_LOGIN")
			if code, _ := env.find("exceptionCode"); code.Text != "INVALID_LOGIN" {
				t.Errorf("exceptionCode %q", code.Text)
			}
			if detail, _ := env.find("LoginFault"); detail.XMLName.Space != "urn:fault.partner.soap.sforce.com" {
				t.Errorf("LoginFault in namespace %q", detail.XMLName.Space)
			}
		})
	}
	status, env = soapPost(t, s, "/services/Soap/u/62.0", "", `<urn:query><urn:queryString>SELECT Id FROM Account</urn:queryString></urn:query>`)
	wantFault(t, status, env, "sf:INVALID_OPERATION")
	status, env = soapPost(t, s, "/services/Soap/u/12.0", "", loginBody(user, pass))
	wantFault(t, status, env, "sf:UNSUPPORTED_API_VERSION")
}

func TestSOAPLoginRefusesMalformedRequests(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithUser(sffake.User{Username: "u", Password: "p"}))
	for _, body := range []string{"", "not xml", `<Envelope><Body><login/></Body></Envelope>`, `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>`} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/services/Soap/u/62.0", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		status, raw, _ := httpDo(t, req)
		var n xmlNode
		if err := xml.Unmarshal(raw, &n); err != nil {
			t.Fatalf("body %q: answer %v: %s", body, err, raw)
		}
		wantFault(t, status, n, "soapenv:Client")
	}
}

func TestSOAPUndelete(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithUser(sffake.User{Username: "dev@example.com", Password: "pw"}))
	var ids []string
	for i := range 3 {
		id, err := s.Create("Account", map[string]any{"Name": fmt.Sprint("Acme ", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := s.Delete(ids[0], ids[1]); err != nil {
		t.Fatal(err)
	}
	sess := soapLogin(t, s, "dev@example.com", "pw")

	// All or none with a live record among them: nothing is restored.
	if got := soapUndelete(t, s, sess, true, ids[0], ids[2]); !slices.Equal(got, []string{"ALL_OR_NONE_OPERATION_ROLLED_BACK", "UNDELETE_FAILED"}) {
		t.Errorf("all-or-none undelete: %v", got)
	}
	// Partial success: both deleted records in one transaction.
	got := soapUndelete(t, s, sess, false, ids[0], ids[2], ids[1][:15], "bad")
	if !slices.Equal(got, []string{"true", "UNDELETE_FAILED", "true", "MALFORMED_ID"}) {
		t.Errorf("undelete: %v", got)
	}
	for _, id := range ids {
		if r, _ := s.Record(id); r.Deleted {
			t.Errorf("%s still deleted", id)
		}
	}
	status, env := soapPost(t, s, "/services/Soap/u/62.0", `<urn:SessionHeader><urn:sessionId>bogus</urn:sessionId></urn:SessionHeader>`, `<urn:undelete><urn:ids>`+ids[0]+`</urn:ids></urn:undelete>`)
	wantFault(t, status, env, "sf:INVALID_SESSION_ID")

	evs := changes(t, s, "/data/AccountChangeEvent", 3+1+2)
	und := evs[4:]
	for i, ev := range und {
		h := ev.Header
		if h.ChangeType != pubsub.Undelete || h.TransactionKey != und[0].Header.TransactionKey || h.SequenceNumber != i+1 ||
			!strings.HasPrefix(h.ChangeOrigin, "com/salesforce/api/soap/62.0") {
			t.Errorf("undelete event %d: %+v", i, h)
		}
		if value(ev, "Name") == nil {
			t.Errorf("undelete event %d carries no Name: %v", i, ev.Record)
		}
	}
	if !slices.Equal([]string{und[0].Header.RecordIDs[0], und[1].Header.RecordIDs[0]}, []string{ids[0], ids[1]}) {
		t.Errorf("undelete events of %v %v, want %v", und[0].Header.RecordIDs, und[1].Header.RecordIDs, ids[:2])
	}
}

func TestPasswordGrantForConfiguredUser(t *testing.T) {
	t.Parallel()
	s := start(t,
		sffake.WithConnectedApp(sffake.App{ConsumerKey: "app", ConsumerSecret: "app-secret"}),
		sffake.WithUser(sffake.User{Username: "dev@example.com", Password: "pw+token"}))
	form := url.Values{"grant_type": {"password"}, "client_id": {"app"}, "client_secret": {"app-secret"}, "username": {"dev@example.com"}, "password": {"pw+token"}}
	status, out := postToken(t, s, form, nil)
	tok, _ := out["access_token"].(string)
	if status != http.StatusOK || tok == "" || out["instance_url"] != s.URL() {
		t.Fatalf("password grant: %d %v", status, out)
	}
	var info map[string]any
	restGet(t, s, tok, "/services/oauth2/userinfo", http.StatusOK, &info)
	if info["preferred_username"] != "dev@example.com" || info["organization_id"] != s.OrgID() {
		t.Errorf("userinfo %v", info)
	}
	// The token writes through REST; the change is the user's.
	createdID(t, func() any {
		status, raw, _ := restCall(t, s, "POST", tok, apiBase+"/sobjects/Account", `{"Name":"Mine"}`)
		var v any
		decodeJSON(t, raw, &v)
		if status != http.StatusCreated {
			t.Fatalf("create with the password grant's token: %d %s", status, raw)
		}
		return v
	}())
	for _, tt := range []struct {
		scenario string
		set      url.Values
		code     string
	}{
		{"wrong password", url.Values{"password": {"pw"}}, "invalid_grant"},
		{"unknown user", url.Values{"username": {"x@example.com"}}, "invalid_grant"},
		{"wrong client secret", url.Values{"client_secret": {"nope"}}, "invalid_client"},
	} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		for k, v := range tt.set {
			f[k] = v
		}
		status, out := postToken(t, s, f, nil)
		t.Run(tt.scenario, func(t *testing.T) {
			if status != http.StatusBadRequest || out["error"] != tt.code {
				t.Errorf("got %d %v, want 400 %s", status, out, tt.code)
			}
			if strings.Contains(fmt.Sprint(out), "pw") {
				t.Errorf("answer %v repeats the password", out)
			}
		})
	}
}
