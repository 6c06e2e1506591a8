package sffake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/salesforce/sffake"
)

func TestFailNextHTTP(t *testing.T) {
	t.Parallel()
	s := start(t)
	const path = "/services/data/v62.0/limits"
	s.FailNextHTTP(2, sffake.HTTPFault{Status: 500, ErrorCode: "UNKNOWN_EXCEPTION"})
	for range 2 {
		status, body, _ := restCall(t, s, http.MethodGet, s.AccessToken(), path, "")
		wantRESTError(t, status, body, 500, "UNKNOWN_EXCEPTION")
	}
	if status, body, _ := restCall(t, s, http.MethodGet, s.AccessToken(), path, ""); status != http.StatusOK {
		t.Fatalf("after the faults: %d %s", status, body)
	}
	s.FailNextHTTP(1, sffake.HTTPFault{})
	status, body, h := restCall(t, s, http.MethodGet, s.AccessToken(), path, "")
	if status != http.StatusServiceUnavailable || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "Service Unavailable") {
		t.Fatalf("maintenance page: %d %q %s", status, h.Get("Content-Type"), body)
	}
	s.FailNextHTTP(1, sffake.HTTPFault{})
	s.FailNextHTTP(0, sffake.HTTPFault{})
	if status, body, _ := restCall(t, s, http.MethodGet, s.AccessToken(), path, ""); status != http.StatusOK {
		t.Fatalf("cancelled fault still fired: %d %s", status, body)
	}
}
