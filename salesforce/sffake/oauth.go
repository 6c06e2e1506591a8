package sffake

import (
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sfsync/sfsync/salesforce/oauth"
)

// Grant types of the token endpoint (spec §4).
const (
	grantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	grantClientCredentials = "client_credentials"
	grantPassword          = "password"
)

// Login hosts accepted as a JWT assertion's aud besides the server's own
// URL (spec §4.2).
const (
	LoginURL   = "https://login.salesforce.com"
	SandboxURL = "https://test.salesforce.com"
)

// App is a connected app (or external client app) known to the OAuth
// token endpoint; register it with [WithConnectedApp].
//
// The emulator has a single user, [Server.UserID]: every username an app
// names acts as that user.
type App struct {
	// ConsumerKey is the app's client id: the iss of JWT assertions and
	// client_id of the other grants. Required.
	ConsumerKey string
	// ConsumerSecret is the app's client secret, checked by the
	// client_credentials and password grants and used to sign token
	// responses.
	ConsumerSecret string
	// Certificate is the certificate uploaded to the app, whose RSA public
	// key verifies JWT bearer assertions. Without it (or CertificatePEM)
	// the app refuses the JWT bearer grant.
	Certificate *x509.Certificate
	// CertificatePEM is Certificate in PEM form (a CERTIFICATE or a PUBLIC
	// KEY block); it is used when Certificate is nil.
	CertificatePEM []byte
	// Username is the user the app is approved for: the only accepted sub
	// of JWT assertions, the run-as user of the client_credentials grant
	// (which fails without one) and the username of the password grant.
	Username string
	// Password is the password (with security token, if any) that the
	// password grant expects for Username; empty refuses the password
	// grant.
	Password string
	// Scope is the scope reported in token responses; the default is
	// "api".
	Scope string
}

// connectedApp is a registered App with its parsed key.
type connectedApp struct {
	App
	pub *rsa.PublicKey
}

func compileApp(a App) (*connectedApp, error) {
	if a.ConsumerKey == "" {
		return nil, fmt.Errorf("connected app: %w: no consumer key", ErrInvalidDefinition)
	}
	if a.Scope == "" {
		a.Scope = "api"
	}
	ca := &connectedApp{App: a}
	cert := a.Certificate
	if cert == nil && len(a.CertificatePEM) > 0 {
		block, _ := pem.Decode(a.CertificatePEM)
		if block == nil {
			return nil, fmt.Errorf("connected app %s: %w: certificate is not PEM", a.ConsumerKey, ErrInvalidDefinition)
		}
		switch block.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("connected app %s: %w: %w", a.ConsumerKey, ErrInvalidDefinition, err)
			}
			cert = c
		case "PUBLIC KEY":
			k, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("connected app %s: %w: %w", a.ConsumerKey, ErrInvalidDefinition, err)
			}
			pub, ok := k.(*rsa.PublicKey)
			if !ok {
				return nil, fmt.Errorf("connected app %s: %w: public key is not RSA", a.ConsumerKey, ErrInvalidDefinition)
			}
			ca.pub = pub
		default:
			return nil, fmt.Errorf("connected app %s: %w: PEM block %q", a.ConsumerKey, ErrInvalidDefinition, block.Type)
		}
	}
	if cert != nil {
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("connected app %s: %w: certificate key is not RSA", a.ConsumerKey, ErrInvalidDefinition)
		}
		ca.pub = pub
	}
	return ca, nil
}

// app returns the connected app with the consumer key.
func (s *Server) app(key string) *connectedApp {
	for _, a := range s.apps {
		if a.ConsumerKey == key {
			return a
		}
	}
	return nil
}

func (s *Server) routeOAuth() {
	s.mux.HandleFunc("POST /services/oauth2/token", s.handleToken)
	s.mux.HandleFunc("GET /services/oauth2/userinfo", s.handleUserInfo)
	s.mux.HandleFunc("GET /id/{org}/{user}", s.handleUserInfo)
}

// handleToken serves the OAuth token endpoint (spec §4): the JWT bearer,
// client credentials and password grants.
//
// Errors are 400 with {"error", "error_description"}, except a bad client
// secret sent with HTTP Basic authentication, which is 401 invalid_client
// as RFC 6749 §5.2 prescribes for that case [U].
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed request body")
		return
	}
	var (
		app *connectedApp
		ok  bool
	)
	switch r.PostForm.Get("grant_type") {
	case grantJWTBearer:
		app, ok = s.grantJWT(w, r)
	case grantClientCredentials:
		if app, ok = s.clientAuth(w, r, true); ok && app.Username == "" {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "no client credentials user enabled")
			ok = false
		}
	case grantPassword:
		if app, ok = s.clientAuth(w, r, false); ok {
			user, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
			appUser := app.Password != "" && strings.EqualFold(user, app.Username) &&
				subtle.ConstantTimeCompare([]byte(pass), []byte(app.Password)) == 1
			if !appUser && !s.checkPassword(user, pass) {
				oauthError(w, http.StatusBadRequest, "invalid_grant", "authentication failure")
				return
			}
			s.issueToken(w, app, user)
			return
		}
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant type not supported")
		return
	}
	if ok {
		s.issueToken(w, app, app.Username)
	}
}

// checkPassword reports whether username (any case) is a user of
// [WithUser] whose password is pass.
func (s *Server) checkPassword(username, pass string) bool {
	ok := false
	for _, u := range s.cfg.users {
		if strings.EqualFold(u.Username, username) && subtle.ConstantTimeCompare([]byte(pass), []byte(u.Password)) == 1 {
			ok = true
		}
	}
	return ok && username != ""
}

// grantJWT checks a JWT bearer assertion: iss a known consumer key, the
// signature by the app's certificate, aud the server's URL or a
// Salesforce login host, exp not past, sub the app's user.
func (s *Server) grantJWT(w http.ResponseWriter, r *http.Request) (*connectedApp, bool) {
	assertion := r.PostForm.Get("assertion")
	if assertion == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "assertion is required")
		return nil, false
	}
	var mc jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(assertion, &mc); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "invalid assertion")
		return nil, false
	}
	iss, _ := mc.GetIssuer()
	app := s.app(iss)
	if app == nil {
		oauthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
		return nil, false
	}
	if app.pub == nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "invalid assertion")
		return nil, false
	}
	var (
		claims oauth.Claims
		err    error
	)
	for _, aud := range []string{s.URL(), LoginURL, SandboxURL} {
		claims, err = oauth.VerifyAssertion(assertion, app.pub, aud, s.clock.Now())
		var oe *oauth.Error
		if err == nil || !errors.As(err, &oe) || oe.Description != "audience is invalid" {
			break
		}
	}
	if err != nil {
		var oe *oauth.Error
		if errors.As(err, &oe) {
			oauthError(w, oe.StatusCode, oe.Code, oe.Description)
		} else {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "invalid assertion")
		}
		return nil, false
	}
	if app.Username == "" || !strings.EqualFold(claims.Subject, app.Username) {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "user hasn't approved this consumer")
		return nil, false
	}
	return app, true
}

// clientAuth identifies the app from client_id and client_secret, taken
// from HTTP Basic authentication when basic allows it and the request has
// it, else from the body.
func (s *Server) clientAuth(w http.ResponseWriter, r *http.Request, basic bool) (*connectedApp, bool) {
	id, secret, viaBasic := r.BasicAuth()
	if !basic || !viaBasic {
		id, secret, viaBasic = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), false
	}
	app := s.app(id)
	if app == nil {
		oauthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
		return nil, false
	}
	if app.ConsumerSecret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(app.ConsumerSecret)) != 1 {
		status := http.StatusBadRequest
		if viaBasic {
			status = http.StatusUnauthorized
		}
		oauthError(w, status, "invalid_client", "invalid client credentials")
		return nil, false
	}
	return app, true
}

// tokenAlphabet is the alphabet of the opaque part of access tokens.
const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._"

// newSession creates a session for username, issued for the app with
// consumer key appKey ("" for a SOAP login), and returns its token.
func (s *Server) newSession(username, appKey string) string {
	raw := make([]byte, 96)
	_, _ = s.rand.Read(raw)
	var b strings.Builder
	b.WriteString(s.cfg.orgID[:15] + "!AQ")
	for _, c := range raw {
		b.WriteByte(tokenAlphabet[int(c)%len(tokenAlphabet)])
	}
	tok := b.String()
	s.tokens.issue(tok, session{userID: s.cfg.userID, username: username, appKey: appKey})
	return tok
}

// issueToken creates a session for username through app and writes the
// token response of spec §4.5.
func (s *Server) issueToken(w http.ResponseWriter, app *connectedApp, username string) {
	tok := s.newSession(username, app.ConsumerKey)

	issuedAt := strconv.FormatInt(s.clock.Now().UnixMilli(), 10)
	id := s.identityURL()
	mac := hmac.New(sha256.New, []byte(app.ConsumerSecret))
	mac.Write([]byte(id + issuedAt))
	w.Header().Set("Cache-Control", "no-cache,must-revalidate,max-age=0,no-store,private")
	writeJSON(w, http.StatusOK, obj{
		{"access_token", tok},
		{"signature", base64.StdEncoding.EncodeToString(mac.Sum(nil))},
		{"scope", app.Scope},
		{"instance_url", s.URL()},
		{"id", id},
		{"token_type", "Bearer"},
		{"issued_at", issuedAt},
	})
}

// identityURL is the id of token responses: {base}/id/{orgId}/{userId}.
func (s *Server) identityURL() string {
	return s.URL() + "/id/" + s.cfg.orgID + "/" + s.cfg.userID
}

// bearer returns the token of an "Authorization: Bearer <token>" (or
// "OAuth <token>") header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "OAuth") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// handleUserInfo serves /services/oauth2/userinfo and the identity URL.
// An invalid token gets 403 with the text Bad_OAuth_Token [U].
func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.authenticate(r.Context(), bearer(r))
	if !ok {
		w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("Bad_OAuth_Token"))
		return
	}
	if org, user := r.PathValue("org"), r.PathValue("user"); org != "" && (org != s.cfg.orgID || user != sess.userID) {
		restError(w, http.StatusNotFound, codeNotFound, msgNotFound)
		return
	}
	writeJSON(w, http.StatusOK, obj{
		{"sub", s.identityURL()},
		{"user_id", sess.userID},
		{"organization_id", s.cfg.orgID},
		{"preferred_username", sess.username},
		{"nickname", strings.SplitN(sess.username, "@", 2)[0]},
		{"name", sess.username},
		{"email", sess.username},
		{"email_verified", true},
		{"active", true},
		{"user_type", "STANDARD"},
		{"language", "en_US"},
		{"locale", "en_US"},
		{"utcOffset", 0},
		{"zoneinfo", "GMT"},
		{"urls", obj{
			{"rest", s.URL() + "/services/data/v{version}/"},
			{"sobjects", s.URL() + "/services/data/v{version}/sobjects/"},
			{"query", s.URL() + "/services/data/v{version}/query/"},
		}},
	})
}
