package sffake

import (
	"sync"

	"google.golang.org/grpc/codes"

	"github.com/sfsync/sfsync/salesforce/sffake/internal/bus"
)

// Fault is an error that [Server.FailNext] makes calls fail with.
type Fault struct {
	// Code is the gRPC status code.
	Code codes.Code
	// ErrorCode is the error code sent in the error-code trailer, without
	// the "sfdc.platform.eventbus.grpc." prefix, e.g. "service.unavailable";
	// empty sends no error-code trailer.
	ErrorCode string
	// Message is the status message; the rpc id is appended to it. Empty
	// means "Injected fault."
	Message string
}

// faults holds the fault switches. Its zero value injects nothing.
type faults struct {
	mu    sync.Mutex
	failN int
	fail  Fault
	// dupN is how many more delivered events Subscribe sends twice.
	dupN int
	// drop and stall are closed to drop or stall the streams open at that
	// moment; streams take the current channels when they start.
	drop, stall chan struct{}
}

// next returns the injected error for the call starting now, if any.
func (f *faults) next() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failN == 0 {
		return nil
	}
	f.failN--
	msg := f.fail.Message
	if msg == "" {
		msg = "Injected fault."
	}
	return apiError(f.fail.Code, f.fail.ErrorCode, msg)
}

// signals returns the channels that will be closed to drop and to stall
// the streams open now.
func (f *faults) signals() (drop, stall <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.drop == nil {
		f.drop = make(chan struct{})
	}
	if f.stall == nil {
		f.stall = make(chan struct{})
	}
	return f.drop, f.stall
}

// FailNext makes the next n Pub/Sub API calls (unary or streaming) fail
// with f before the auth check; n replaces any count still pending, and 0
// cancels it.
func (s *Server) FailNext(n int, f Fault) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.failN, s.faults.fail = max(n, 0), f
}

// DropStreams ends every Subscribe and PublishStream call open now with
// UNAVAILABLE "RST_STREAM closed stream. HTTP/2 error code: NO_ERROR" and
// no error-code or rpc-id trailer, as a transport failure would. Streams
// opened later are not affected.
func (s *Server) DropStreams() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if s.faults.drop != nil {
		close(s.faults.drop)
	}
	s.faults.drop = make(chan struct{})
}

// StallStreams makes every Subscribe stream open now go silent: no more
// events, keepalives or idle close, until the client cancels it or
// [Server.DropStreams] or [Server.Close] ends it — the silent streams
// reported in forcedotcom/pub-sub-api#31. Streams opened later are not
// affected.
func (s *Server) StallStreams() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if s.faults.stall != nil {
		close(s.faults.stall)
	}
	s.faults.stall = make(chan struct{})
}

// DuplicateNext makes Subscribe streams deliver each of the next n events
// they deliver twice in a row: the same replay id, event id, schema id and
// payload, as a client sees after Salesforce's at-least-once delivery
// (spec §3.4) re-delivers an event. The copy counts against the stream's
// requested events and against the delivery allocation like any event,
// so flow control still holds; when a response has no room left for an
// event's copy, a later event is doubled instead. n is shared by all
// streams, replaces any count still pending, and 0 cancels it.
func (s *Server) DuplicateNext(n int) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.dupN = max(n, 0)
}

// duplicates takes up to n from the pending duplicate count and returns
// how many it took.
func (f *faults) duplicates(n int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n = min(n, f.dupN)
	f.dupN -= n
	return n
}

// withDuplicates returns the events of one Subscribe response of at most
// want events and their number of bytes kept under maxResponseBytes: first
// the copy owed from the previous response, if any, then a prefix of evs,
// each followed by its copy while [Server.DuplicateNext] has some left. It
// also returns how many of evs are included; the stream resumes after the
// last of them. A copy taken from the count that does not fit is left in
// *owed for the next response.
func (f *faults) withDuplicates(owed **bus.Event, evs []bus.Event, want int) (out []bus.Event, n int) {
	size := 0
	fits := func(e bus.Event) bool {
		return len(out) < want && (len(out) == 0 || size+len(e.Payload) <= maxResponseBytes)
	}
	add := func(e bus.Event) {
		out = append(out, e)
		size += len(e.Payload)
	}
	if *owed != nil {
		if !fits(**owed) {
			return nil, 0
		}
		add(**owed)
		*owed = nil
	}
	for _, e := range evs {
		if !fits(e) {
			break
		}
		add(e)
		n++
		if f.duplicates(1) == 0 {
			continue
		}
		if !fits(e) {
			*owed = &e
			break
		}
		add(e)
	}
	return out, n
}

// msgDropped is the status message of dropped streams.
const msgDropped = "RST_STREAM closed stream. HTTP/2 error code: NO_ERROR"
