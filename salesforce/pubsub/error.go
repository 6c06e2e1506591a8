package pubsub

import (
	"context"
	"errors"
	"io"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// ErrorCodePrefix starts every error code Pub/Sub API sends in the
// error-code trailer; [Error.ErrorCode] keeps the full code.
const ErrorCodePrefix = "sfdc.platform.eventbus.grpc."

// Error codes the client branches on, without [ErrorCodePrefix]
// (spec §1.6).
const (
	CodeServiceUnavailable     = "service.unavailable"
	CodeAuth                   = "service.auth.error"
	CodeAuthHeadersInvalid     = "service.auth.headers.invalid"
	CodeAuthRefreshInvalid     = "service.auth.refresh.invalid"
	CodeProtectionTriggered    = "service.protection.triggered"
	CodeStreamLimitTriggered   = "service.protection.stream.limit.triggered"
	CodeConcurrentClientLimit  = "concurrent.client.limit.exceeded"
	CodeTopicNotFound          = "topic.not.found"
	CodeTopicAPIUnavailable    = "topic.api.unavailable"
	CodeSchemaAPIUnavailable   = "schema.api.unavailable"
	CodeReplayIDCorrupted      = "subscription.fetch.replayid.corrupted"
	CodeReplayIDValidation     = "subscription.fetch.replayid.validation.failed"
	CodeRequestedEventsInvalid = "subscription.fetch.requested.events.invalid"
	CodeReplayRepeated         = "subscription.fetch.replay.repeated"
	CodeAllocationExceeded     = "subscription.limit.exceeded"
	CodeSubscriptionInternal   = "subscription.internal.error"
	CodePublishSweeperTimeout  = "publish.stream.sweeper.timeout"
)

// Sentinel errors for the outcomes callers branch on. An [*Error] matches
// them with errors.Is according to its error code; see [IsRetryable] for
// which of them are worth retrying.
var (
	// ErrReplayIDCorrupted reports a CUSTOM replay id that is malformed,
	// unknown or older than the retention window
	// (subscription.fetch.replayid.corrupted). Retrying the same id fails
	// again: resubscribe with EARLIEST (and suspect a gap) or LATEST.
	ErrReplayIDCorrupted = errors.New("replay id corrupted or expired")
	// ErrAuth reports rejected credentials (service.auth.error, invalid or
	// missing auth headers, any UNAUTHENTICATED status). The client has
	// already invalidated the token it sent when the server said
	// service.auth.error, so the next call fetches a fresh one.
	ErrAuth = errors.New("authentication failed")
	// ErrAllocationExceeded reports that the org's 24-hour event delivery
	// allocation is used up (subscription.limit.exceeded).
	ErrAllocationExceeded = errors.New("event delivery allocation exceeded")
	// ErrTopicNotFound reports an unknown topic (topic.not.found), also
	// when change data capture is not enabled for the object.
	ErrTopicNotFound = errors.New("topic not found")
	// ErrPermission reports a topic or schema the user may not read or
	// publish to (PERMISSION_DENIED).
	ErrPermission = errors.New("permission denied")
	// ErrStalled reports a subscription that received neither events nor
	// keepalives within its stall timeout; it was torn down by the
	// client's watchdog.
	ErrStalled = errors.New("subscription stalled")
	// ErrStreamEnded reports a Subscribe stream that the server ended
	// without a status, which Salesforce is not expected to do.
	ErrStreamEnded = errors.New("stream ended by server")
	// ErrDecode reports an event payload that could not be decoded: bad
	// Avro, an unknown schema, or a malformed change event header. It is
	// carried by [Event.DecodeErr], never ends a subscription.
	ErrDecode = errors.New("decode event")
	// ErrClosed reports use of a closed [Client] or [Subscription].
	ErrClosed = errors.New("closed")
)

// Error is a failed Pub/Sub API call: the gRPC status, the Salesforce
// error code from the error-code trailer and the rpc id Salesforce support
// asks for. Transport failures (RST_STREAM, maintenance pages) have an
// empty ErrorCode and usually no RPCID. Error never holds credentials.
type Error struct {
	// Code is the gRPC status code.
	Code codes.Code
	// ErrorCode is the error-code trailer, e.g.
	// "sfdc.platform.eventbus.grpc.service.auth.error"; empty when the
	// server sent none.
	ErrorCode string
	// RPCID is the rpc id from the rpc-id trailer or the message suffix
	// "rpcId: …"; empty when the failure did not come from Pub/Sub API.
	RPCID string
	// TraceID is the x-client-trace-id the client sent with the call.
	TraceID string
	// Message is the status message without the rpc id suffix.
	Message string
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(strings.ToLower(e.Code.String()))
	if e.ErrorCode != "" {
		b.WriteString(" ")
		b.WriteString(strings.TrimPrefix(e.ErrorCode, ErrorCodePrefix))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RPCID != "" {
		b.WriteString(" (rpc id ")
		b.WriteString(e.RPCID)
		b.WriteString(")")
	}
	return b.String()
}

// Short returns ErrorCode without [ErrorCodePrefix].
func (e *Error) Short() string { return strings.TrimPrefix(e.ErrorCode, ErrorCodePrefix) }

// Is reports whether e means target, one of the package's sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrReplayIDCorrupted:
		return e.Short() == CodeReplayIDCorrupted
	case ErrAuth:
		return e.Code == codes.Unauthenticated || strings.HasPrefix(e.Short(), "service.auth.")
	case ErrAllocationExceeded:
		return e.Short() == CodeAllocationExceeded
	case ErrTopicNotFound:
		return e.Short() == CodeTopicNotFound
	case ErrPermission:
		return e.Code == codes.PermissionDenied
	}
	return false
}

// rpcIDMarker precedes the rpc id at the end of status messages.
const rpcIDMarker = "rpcId: "

// fromStatus turns the error of a gRPC call into an [*Error] using the
// call's trailer; errors of the caller's own context pass through.
func fromStatus(err error, trailer metadata.MD, traceID string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, io.EOF) {
		return ErrStreamEnded
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	if st.Code() == codes.Canceled {
		return context.Canceled
	}
	e := &Error{Code: st.Code(), Message: st.Message(), TraceID: traceID}
	if v := trailer.Get("error-code"); len(v) > 0 {
		e.ErrorCode = v[0]
	}
	if i := strings.LastIndex(e.Message, rpcIDMarker); i >= 0 {
		e.RPCID = strings.TrimSpace(e.Message[i+len(rpcIDMarker):])
		e.Message = strings.TrimSpace(e.Message[:i])
	}
	if v := trailer.Get("rpc-id"); len(v) > 0 && v[0] != "" {
		e.RPCID = v[0]
	}
	return e
}

// IsRetryable reports whether err is worth retrying — for a Subscribe,
// resubscribing with CUSTOM from the last stored replay id — after a
// backoff. It is the one place that decides; the producer's reconnect
// policy builds on it.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	// The caller gave up or the client was closed: not a server fault.
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrClosed) {
		return false
	}
	// The watchdog tore down a silent stream (spec §1.7.3,
	// forcedotcom#31): resubscribing is the cure.
	if errors.Is(err, ErrStalled) {
		return true
	}
	// A stream the server closed without a status: open a new one.
	if errors.Is(err, ErrStreamEnded) {
		return true
	}
	// Undecodable payloads are poison; retrying decodes the same bytes.
	if errors.Is(err, ErrDecode) && !errors.As(err, new(*Error)) {
		return false
	}
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Short() {
	case CodeServiceUnavailable, CodeTopicAPIUnavailable, CodeSchemaAPIUnavailable:
		// Temporarily unavailable: retry with backoff.
		return true
	case CodeAuth:
		// Expired or rejected token: the client invalidated it, so the
		// retry runs with a fresh token.
		return true
	case CodeAuthHeadersInvalid, CodeAuthRefreshInvalid:
		// Missing or malformed auth headers: a configuration error that
		// a retry repeats.
		return false
	case CodeProtectionTriggered, CodeStreamLimitTriggered, CodeConcurrentClientLimit:
		// Rate or connection protection: back off, then retry.
		return true
	case CodeReplayIDCorrupted, CodeReplayIDValidation:
		// The stored replay id is unusable; the caller must pick a preset
		// (EARLIEST or LATEST) rather than hot-loop (CAMEL-21740).
		return false
	case CodeAllocationExceeded:
		// The 24-hour delivery allocation is spent; retrying before it
		// recovers only burns attempts, so it is the caller's decision.
		return false
	case CodeReplayRepeated, CodeSubscriptionInternal:
		// The server asks for the subscription to be restarted.
		return true
	case CodePublishSweeperTimeout:
		// An idle PublishStream was closed: reopen it.
		return true
	case "":
		// No Pub/Sub code: decide by the transport status below.
	default:
		// Validation, permission, topic and other known codes describe a
		// request that will fail again as is.
		return false
	}
	switch e.Code {
	case codes.Unavailable:
		// RST_STREAM, maintenance pages, upstream resets, connection loss.
		return true
	case codes.DeadlineExceeded:
		// The server closed a stream left idle (counter at zero for 60 s).
		return true
	case codes.Internal, codes.Aborted:
		// Transport resets surface as INTERNAL; the server's own internal
		// errors ask for a restart.
		return true
	case codes.ResourceExhausted:
		// A message over the client's receive limit comes back the same
		// on every retry from the same replay id; anything else is
		// protection without a code: back off and retry.
		return !strings.Contains(e.Message, "larger than max")
	case codes.Unauthenticated:
		// Auth failure without a code: treated like service.auth.error.
		return true
	}
	// Everything else (INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED,
	// UNIMPLEMENTED, …) fails again as is.
	return false
}
