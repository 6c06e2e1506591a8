package sffake

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// SOAP namespaces of the partner API.
const (
	nsSOAPEnv      = "http://schemas.xmlsoap.org/soap/envelope/"
	nsPartner      = "urn:partner.soap.sforce.com"
	nsPartnerFault = "urn:fault.partner.soap.sforce.com"
	nsXSI          = "http://www.w3.org/2001/XMLSchema-instance"
)

// maxSOAPBody bounds a SOAP request body.
const maxSOAPBody = 1 << 20

// msgInvalidLogin is the message of the INVALID_LOGIN fault.
const msgInvalidLogin = "Invalid username, password, security token; or user locked out."

// soapRequest is a parsed partner API call: its operation and the
// arguments sfemu reads.
type soapRequest struct {
	// Op is the call, the local name of the Body's element: login,
	// undelete, …
	Op string
	// Username and Password are login's arguments.
	Username, Password string
	// IDs are undelete's arguments.
	IDs []string
	// SessionID is the SessionHeader's sessionId.
	SessionID string
	// AllOrNone is the AllOrNoneHeader's allOrNone.
	AllOrNone bool
}

// soapEnvelope is the request document; elements match by local name, in
// any namespace prefix.
type soapEnvelope struct {
	XMLName xml.Name
	Header  struct {
		SessionID string `xml:"SessionHeader>sessionId"`
		AllOrNone string `xml:"AllOrNoneHeader>allOrNone"`
	} `xml:"Header"`
	Body *struct {
		Calls []struct {
			XMLName  xml.Name
			Username string   `xml:"username"`
			Password string   `xml:"password"`
			IDs      []string `xml:"ids"`
		} `xml:",any"`
	} `xml:"Body"`
}

// parseSOAP parses a partner API request: a SOAP 1.1 envelope whose Body
// holds exactly one call element. Errors name what is wrong.
func parseSOAP(body []byte) (soapRequest, error) {
	var env soapEnvelope
	dec := xml.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&env); err != nil {
		return soapRequest{}, fmt.Errorf("request is not a SOAP envelope: %w", err)
	}
	if env.XMLName.Local != "Envelope" || env.XMLName.Space != nsSOAPEnv {
		return soapRequest{}, fmt.Errorf("root element {%s}%s: want a SOAP 1.1 {%s}Envelope", env.XMLName.Space, env.XMLName.Local, nsSOAPEnv)
	}
	if env.Body == nil || len(env.Body.Calls) != 1 {
		n := 0
		if env.Body != nil {
			n = len(env.Body.Calls)
		}
		return soapRequest{}, fmt.Errorf("the SOAP Body holds %d calls, want 1", n)
	}
	call := env.Body.Calls[0]
	req := soapRequest{
		Op: call.XMLName.Local, Username: strings.TrimSpace(call.Username), Password: call.Password,
		SessionID: strings.TrimSpace(env.Header.SessionID),
	}
	for _, id := range call.IDs {
		req.IDs = append(req.IDs, strings.TrimSpace(id))
	}
	if a := strings.TrimSpace(env.Header.AllOrNone); a != "" {
		v, err := strconv.ParseBool(a)
		if err != nil {
			return soapRequest{}, fmt.Errorf("AllOrNoneHeader allOrNone %q is not a boolean", a)
		}
		req.AllOrNone = v
	}
	return req, nil
}

func (s *Server) routeSOAP() {
	s.mux.HandleFunc("POST /services/Soap/u/{ver}", s.handleSOAP)
	s.mux.HandleFunc("POST /services/Soap/u/{ver}/{rest...}", s.handleSOAP)
}

// handleSOAP serves the partner API's login and undelete calls at
// /services/Soap/u/<version>[/<orgId>]. Other calls answer a fault.
func (s *Server) handleSOAP(w http.ResponseWriter, r *http.Request) {
	ver := r.PathValue("ver")
	if n, err := strconv.ParseFloat(ver, 64); err != nil || !strings.HasSuffix(ver, ".0") || n < minAPIVersion || n > maxAPIVersion {
		soapFault(w, "UNSUPPORTED_API_VERSION", "UnexpectedErrorFault", "Invalid Api version specified on URL")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSOAPBody))
	if err != nil {
		soapClientFault(w, "request body: "+err.Error())
		return
	}
	req, err := parseSOAP(body)
	if err != nil {
		soapClientFault(w, err.Error())
		return
	}
	switch req.Op {
	case "login":
		s.soapLogin(w, req, ver)
	case "undelete":
		s.soapUndelete(w, r, req, ver)
	default:
		soapFault(w, "INVALID_OPERATION", "UnexpectedErrorFault", fmt.Sprintf("sfemu does not emulate the SOAP call %s; it serves login and undelete", req.Op))
	}
}

// soapLogin answers login: the session of a [WithUser] user, or the
// INVALID_LOGIN fault.
func (s *Server) soapLogin(w http.ResponseWriter, req soapRequest, ver string) {
	if !s.checkPassword(req.Username, req.Password) {
		soapFault(w, "INVALID_LOGIN", "LoginFault", msgInvalidLogin)
		return
	}
	var username string
	for _, u := range s.cfg.users {
		if strings.EqualFold(u.Username, req.Username) {
			username = u.Username
		}
	}
	tok := s.newSession(username, "")
	base := s.URL()
	var b soapWriter
	b.open("loginResponse")
	b.open("result")
	b.el("metadataServerUrl", base+"/services/Soap/m/"+ver+"/"+s.cfg.orgID)
	b.el("passwordExpired", "false")
	b.el("sandbox", "false")
	b.el("serverUrl", base+"/services/Soap/u/"+ver+"/"+s.cfg.orgID)
	b.el("sessionId", tok)
	b.el("userId", s.cfg.userID)
	b.open("userInfo")
	// The elements of GetUserInfoResult, in the WSDL's order: clients
	// such as Salesforce's Python example read organizationId as the
	// ninth.
	b.el("accessibilityMode", "false")
	b.el("chatterExternal", "false")
	b.el("currencySymbol", "$")
	b.el("orgAttachmentFileSizeLimit", "5242880")
	b.el("orgDefaultCurrencyIsoCode", "USD")
	b.el("orgDefaultCurrencyLocale", "en_US")
	b.el("orgDisallowHtmlAttachments", "false")
	b.el("orgHasPersonAccounts", "false")
	b.el("organizationId", s.cfg.orgID)
	b.el("organizationMultiCurrency", "false")
	b.el("organizationName", "sfemu")
	b.el("profileId", ID("00e", 1))
	b.nilEl("roleId")
	b.el("sessionSecondsValid", strconv.Itoa(int(s.cfg.tokenTTL.Seconds())))
	b.el("userDefaultCurrencyIsoCode", "")
	b.el("userEmail", username)
	b.el("userFullName", username)
	b.el("userId", s.cfg.userID)
	b.el("userLanguage", "en_US")
	b.el("userLocale", "en_US")
	b.el("userName", username)
	b.el("userTimeZone", "GMT")
	b.el("userType", "Standard")
	b.el("userUiSkin", "Theme3")
	b.close("userInfo")
	b.close("result")
	b.close("loginResponse")
	soapResponse(w, b.String())
}

// soapUndelete answers undelete: up to 200 ids restored in one
// transaction, an UndeleteResult each; without AllOrNoneHeader the
// valid ids commit alone. It needs a session (SessionHeader) and counts
// against DailyApiRequests.
func (s *Server) soapUndelete(w http.ResponseWriter, r *http.Request, req soapRequest, ver string) {
	sess, ok := s.authenticate(r.Context(), req.SessionID)
	if !ok {
		soapFault(w, codeInvalidSession, "UnexpectedErrorFault", "Invalid Session ID found in SessionHeader: Illegal Session")
		return
	}
	if s.limits.remaining(LimitDailyAPIRequests) <= 0 {
		soapFault(w, codeRequestLimit, "UnexpectedErrorFault", "TotalRequests Limit exceeded.")
		return
	}
	s.limits.apiRequests.Add(1)
	if len(req.IDs) == 0 || len(req.IDs) > maxCollection {
		soapFault(w, codeExceededIDLimit, "InvalidIdFault", fmt.Sprintf("undelete takes 1 to %d ids, not %d", maxCollection, len(req.IDs)))
		return
	}
	ids := make([]string, len(req.IDs))
	errs := make([]error, len(req.IDs))
	_, err := s.Transact(func(tx *Tx) error {
		tx.SetUser(sess.userID)
		tx.origin = apiOrigin("soap", ver, r)
		failed := false
		for i, raw := range req.IDs {
			id, err := s.existingID(raw)
			if err == nil {
				ids[i] = id
				err = tx.Undelete(id)
			}
			errs[i] = err
			failed = failed || err != nil
		}
		if failed && req.AllOrNone {
			return errRolledBack
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRolledBack) {
		soapFault(w, codeUnknownException, "UnexpectedErrorFault", err.Error())
		return
	}
	var b soapWriter
	b.open("undeleteResponse")
	for i := range ids {
		e := errs[i]
		if e == nil && err != nil {
			e = errRolledBack
		}
		b.open("result")
		if e != nil {
			we := asWriteError(e)
			b.open("errors")
			for _, f := range we.fields {
				b.el("fields", f)
			}
			b.el("message", we.msg)
			b.el("statusCode", we.code)
			b.close("errors")
		}
		if ids[i] != "" {
			b.el("id", ids[i])
		} else {
			b.nilEl("id")
		}
		b.el("success", strconv.FormatBool(e == nil))
		b.close("result")
	}
	b.close("undeleteResponse")
	soapResponse(w, b.String())
}

// soapWriter builds the Body of a partner API response.
type soapWriter struct{ bytes.Buffer }

func (b *soapWriter) open(name string)  { b.WriteString("<" + name + ">") }
func (b *soapWriter) close(name string) { b.WriteString("</" + name + ">") }
func (b *soapWriter) nilEl(name string) { b.WriteString("<" + name + ` xsi:nil="true"/>`) }

// el writes an element with escaped text.
func (b *soapWriter) el(name, text string) {
	b.open(name)
	_ = xml.EscapeText(b, []byte(text))
	b.close(name)
}

// soapResponse writes a 200 response around body.
func soapResponse(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, xml.Header+`<soapenv:Envelope xmlns:soapenv="`+nsSOAPEnv+`" xmlns="`+nsPartner+`" xmlns:xsi="`+nsXSI+`"><soapenv:Body>`+
		body+`</soapenv:Body></soapenv:Envelope>`)
}

// soapFault writes a partner API fault, HTTP 500: faultcode sf:<code>,
// faultstring "<code>: <msg>", and the typed fault in detail.
func soapFault(w http.ResponseWriter, code, faultType, msg string) {
	var b soapWriter
	b.WriteString(`<soapenv:Fault><faultcode>sf:` + code + `</faultcode>`)
	b.el("faultstring", code+": "+msg)
	b.WriteString(`<detail><sf:` + faultType + ` xsi:type="sf:` + faultType + `">`)
	b.el("sf:exceptionCode", code)
	b.el("sf:exceptionMessage", msg)
	b.WriteString(`</sf:` + faultType + `></detail></soapenv:Fault>`)
	writeFault(w, `xmlns:sf="`+nsPartnerFault+`" `, b.String())
}

// soapClientFault writes a soapenv:Client fault for a request that is not
// a partner API call.
func soapClientFault(w http.ResponseWriter, msg string) {
	var b soapWriter
	b.WriteString(`<soapenv:Fault><faultcode>soapenv:Client</faultcode>`)
	b.el("faultstring", msg)
	b.WriteString(`</soapenv:Fault>`)
	writeFault(w, "", b.String())
}

func writeFault(w http.ResponseWriter, ns, fault string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = io.WriteString(w, xml.Header+`<soapenv:Envelope xmlns:soapenv="`+nsSOAPEnv+`" `+ns+`xmlns:xsi="`+nsXSI+`"><soapenv:Body>`+
		fault+`</soapenv:Body></soapenv:Envelope>`)
}
