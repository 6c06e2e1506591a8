package sffake

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// REST error codes the emulator answers with (spec §5.1, §5.3).
const (
	codeInvalidSession      = "INVALID_SESSION_ID"
	codeNotFound            = "NOT_FOUND"
	codeMalformedQuery      = "MALFORMED_QUERY"
	codeInvalidQueryLocator = "INVALID_QUERY_LOCATOR"
	codeRequestLimit        = "REQUEST_LIMIT_EXCEEDED"
	codeInvalidJobState     = "INVALIDJOBSTATE"
	codeAPIError            = "API_ERROR"
	codeJSONParser          = "JSON_PARSER_ERROR"
	codeLimitExceeded       = "LIMIT_EXCEEDED"
)

// Messages of common REST errors.
const (
	msgInvalidSession = "Session expired or invalid"
	msgNotFound       = "The requested resource does not exist"
)

// restError writes a REST API error: the status and a JSON array holding
// one {"message", "errorCode"} object.
func restError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, []obj{{{"message", msg}, {"errorCode", code}}})
}

// oauthError writes a token endpoint error: the status and
// {"error", "error_description"} (spec §4.6).
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, obj{{"error", code}, {"error_description", desc}})
}

// writeJSON writes v as the JSON body of a response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "sffake: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// obj is a JSON object that keeps its keys in order, as Salesforce's
// responses do (attributes first, then fields in SELECT order).
type obj []kv

// kv is one member of an obj.
type kv struct {
	k string
	v any
}

// MarshalJSON encodes o with its members in order.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.k)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(m.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
