package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// secretStrings returns the string values of the JSON object body whose
// keys are not in shown, long enough to tell apart from the messages'
// own words: the texts an error or a token's printing must not quote.
func secretStrings(body []byte, shown ...string) []string {
	var obj map[string]any
	if json.Unmarshal(body, &obj) != nil {
		return nil
	}
	var out []string
	for k, v := range obj {
		if s, ok := v.(string); ok && len(s) >= 12 && !contains(shown, k) {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// FuzzParseToken feeds hostile token responses to parseToken. A refusal
// wraps ErrMalformedResponse and quotes no string of the body but
// issued_at; a token keeps access_token and instance_url as sent (less
// one trailing slash), holds the org and user of an identity URL, and
// never prints its access token.
func FuzzParseToken(f *testing.F) {
	f.Add([]byte(`{"access_token":"00Dxx0000001gPL!AR8AQJXg5oj8jXSgxJfA0lBog","instance_url":"https://example.my.salesforce.com",` +
		`"id":"https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001Sv6AAAS","token_type":"Bearer",` +
		`"issued_at":"1767225600000","signature":"abc=","scope":"api"}`))
	f.Add([]byte(`{"access_token":"tok-secret-value-123","instance_url":"https://x/","issued_at":"yesterday"}`))
	f.Add([]byte(`{"access_token":"tok-secret-value-123","instance_url":"https://x","id":"/id/a/b/c"}`))
	f.Add([]byte(`{"access_token":5}`))
	f.Add([]byte(`{"access_token":"tok-secret-value-123","instance_url":""}`))
	f.Add([]byte(`not json tok-secret-value-123`))
	f.Add([]byte(`{"access_token":"tok-secret-value-123","instance_url":"https://x","issued_at":"99999999999999999999"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, err := parseToken(body)
		if err != nil {
			if !errors.Is(err, ErrMalformedResponse) {
				t.Fatalf("error %v does not wrap ErrMalformedResponse", err)
			}
			for _, s := range secretStrings(body, "issued_at") {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error %q quotes %q of the body", err, s)
				}
			}
			return
		}
		var v struct {
			AccessToken string `json:"access_token"`
			InstanceURL string `json:"instance_url"`
			ID          string `json:"id"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("parseToken accepted what json refuses: %v", err)
		}
		if string(tok.AccessToken) != v.AccessToken || tok.AccessToken == "" {
			t.Fatalf("access token %q read as %q", v.AccessToken, tok.AccessToken)
		}
		if tok.InstanceURL != strings.TrimSuffix(v.InstanceURL, "/") {
			t.Fatalf("instance url %q read as %q", v.InstanceURL, tok.InstanceURL)
		}
		if tok.OrgID != "" && !strings.Contains(v.ID, tok.OrgID+"/"+tok.UserID) {
			t.Fatalf("identity %q read as org %q user %q", v.ID, tok.OrgID, tok.UserID)
		}
		if !tok.IssuedAt.IsZero() && tok.IssuedAt.Location() != time.UTC {
			t.Fatalf("issued at %v not UTC", tok.IssuedAt)
		}
		if len(v.AccessToken) >= 12 {
			others := tok
			others.AccessToken = ""
			shown := fmt.Sprint(others) + fmt.Sprintf("%+v %#v", others, others)
			for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v", tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok), fmt.Sprintf("%s", tok.AccessToken)} {
				if strings.Contains(s, v.AccessToken) && !strings.Contains(shown, v.AccessToken) {
					t.Fatalf("token printed as %q shows its access token", s)
				}
			}
		}
	})
}

// FuzzParseError feeds hostile error answers to parseError. It keeps
// the status, takes error and error_description only from a JSON
// object, and its message quotes nothing of the body but those two.
func FuzzParseError(f *testing.F) {
	f.Add(400, "application/json", []byte(`{"error":"invalid_grant","error_description":"authentication failure"}`))
	f.Add(401, "application/json; charset=UTF-8", []byte(`{"error":"invalid_client_id","client_secret":"echoed-secret-value"}`))
	f.Add(400, "text/html", []byte(`<html>echoed-secret-value</html>`))
	f.Add(500, "", []byte(`{"error":5}`))
	f.Add(503, "application/json", []byte(`["error"]`))
	f.Add(400, "text/plain", []byte(`{"error":"a","error":"b","password":"echoed-secret-value"}`))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {contentType}}}
		err := parseError(resp, body)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("parseError returned %T, want *Error", err)
		}
		if e.StatusCode != status {
			t.Fatalf("status %d read as %d", status, e.StatusCode)
		}
		var v struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(body, &v) != nil {
			v.Error, v.Description = "", ""
		}
		if e.Code != v.Error || e.Description != v.Description {
			t.Fatalf("error %q %q read as %q %q", v.Error, v.Description, e.Code, e.Description)
		}
		for _, s := range secretStrings(body, "error", "error_description") {
			if strings.Contains(err.Error(), s) && !strings.Contains(e.Code+e.Description, s) {
				t.Fatalf("message %q quotes %q of the body", err, s)
			}
		}
		if e.Code == "" && strings.Contains(err.Error(), string(body)) && len(body) >= 12 {
			t.Fatalf("message %q quotes the body", err)
		}
		_ = IsRetryable(err)
	})
}
