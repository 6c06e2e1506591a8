package sffake

import (
	"net/http"
	"sync"
)

// HTTPFault is the answer that [Server.FailNextHTTP] makes REST calls
// give instead of being served.
type HTTPFault struct {
	// Status is the HTTP status, e.g. 503 or 500; 0 means 503.
	Status int
	// ErrorCode, when set, makes the body Salesforce's error JSON
	// [{"message", "errorCode"}], e.g. "UNKNOWN_EXCEPTION". When empty the
	// body is a short HTML page, as a load balancer or maintenance page
	// would send.
	ErrorCode string
	// Message is the error message; empty means "Injected fault."
	Message string
	// Hangup closes the connection without answering, as a network
	// failure would; Status, ErrorCode and Message are then ignored.
	Hangup bool
}

// httpFaults holds the REST fault switch. Its zero value injects nothing.
type httpFaults struct {
	mu    sync.Mutex
	n     int
	fault HTTPFault
}

// FailNextHTTP makes the next n REST calls under /services/data/vNN.N/
// (query, describe, limits, Bulk API 2.0 jobs…) answer with f before the
// auth check, without counting against the API request limit; n replaces
// any count still pending, and 0 cancels it. OAuth and the unversioned
// /services/data/ are not affected.
func (s *Server) FailNextHTTP(n int, f HTTPFault) {
	s.httpFaults.mu.Lock()
	defer s.httpFaults.mu.Unlock()
	s.httpFaults.n, s.httpFaults.fault = max(n, 0), f
}

// injectHTTPFault answers r with the pending fault, if any, and reports
// whether it did.
func (s *Server) injectHTTPFault(w http.ResponseWriter) bool {
	f := &s.httpFaults
	f.mu.Lock()
	if f.n == 0 {
		f.mu.Unlock()
		return false
	}
	f.n--
	fault := f.fault
	f.mu.Unlock()
	if fault.Hangup {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	}
	status := fault.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	msg := fault.Message
	if msg == "" {
		msg = "Injected fault."
	}
	if fault.ErrorCode != "" {
		restError(w, status, fault.ErrorCode, msg)
		return true
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<html><body><h1>" + http.StatusText(status) + "</h1><p>" + msg + "</p></body></html>\n"))
	return true
}
