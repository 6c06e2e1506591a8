package sffake

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// ErrorCodePrefix starts every error code the Pub/Sub API sends in the
// error-code trailer.
const ErrorCodePrefix = "sfdc.platform.eventbus.grpc."

// Trailer keys of failed calls.
const (
	TrailerErrorCode = "error-code"
	TrailerRPCID     = "rpc-id"
)

// rpcError is a Pub/Sub API error: a gRPC status code, the error code
// suffix sent in the error-code trailer ("" for none) and a message to
// which the rpc id is appended. A transport error carries neither the
// trailers nor the rpc id, like the transport failures clients see from
// Salesforce.
type rpcError struct {
	code      codes.Code
	errorCode string
	msg       string
	transport bool
}

func (e *rpcError) Error() string { return e.msg }

func apiError(code codes.Code, errorCode, msg string) *rpcError {
	return &rpcError{code: code, errorCode: errorCode, msg: msg}
}

func authError(errorCode, msg string) *rpcError {
	return apiError(codes.Unauthenticated, errorCode, msg)
}

func transportError(msg string) *rpcError {
	return &rpcError{code: codes.Unavailable, msg: msg, transport: true}
}

type rpcIDKey struct{}

// rpcIDFrom returns the id of the call whose context is ctx.
func rpcIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(rpcIDKey{}).(string)
	return id
}

// toStatus turns a handler error into the status the client sees, and the
// trailers to send with it.
func toStatus(id string, err error) (metadata.MD, error) {
	var re *rpcError
	if !errors.As(err, &re) {
		if _, isStatus := status.FromError(err); isStatus {
			return metadata.Pairs(TrailerRPCID, id), err
		}
		return metadata.Pairs(TrailerRPCID, id), status.Error(codes.Internal, fmt.Sprintf("%v rpcId: %s", err, id))
	}
	if re.transport {
		return nil, status.Error(re.code, re.msg)
	}
	md := metadata.Pairs(TrailerRPCID, id)
	if re.errorCode != "" {
		md.Set(TrailerErrorCode, ErrorCodePrefix+re.errorCode)
	}
	return md, status.Error(re.code, re.msg+" rpcId: "+id)
}

// begin starts a call: it gives it an rpc id and applies injected faults
// and the auth check.
func (s *Server) begin(ctx context.Context) (context.Context, string, error) {
	id := s.rand.uuid()
	ctx = context.WithValue(ctx, rpcIDKey{}, id)
	if err := s.faults.next(); err != nil {
		return ctx, id, err
	}
	if err := s.checkAuth(ctx); err != nil {
		return ctx, id, err
	}
	return ctx, id, nil
}

func (s *Server) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx, id, err := s.begin(ctx)
	var resp any
	if err == nil {
		resp, err = handler(ctx, req)
	}
	if err == nil {
		return resp, nil
	}
	md, st := toStatus(id, err)
	if md != nil {
		_ = grpc.SetTrailer(ctx, md)
	}
	s.log.Debug("pubsub call failed", "method", info.FullMethod, "rpc_id", id, "err", st)
	return nil, st
}

func (s *Server) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, id, err := s.begin(ss.Context())
	if err == nil {
		err = handler(srv, &idStream{ServerStream: ss, ctx: ctx})
	}
	if err == nil {
		return nil
	}
	md, st := toStatus(id, err)
	if md != nil {
		ss.SetTrailer(md)
	}
	s.log.Debug("pubsub stream ended", "method", info.FullMethod, "rpc_id", id, "err", st)
	return st
}

// idStream is a server stream whose context carries the rpc id.
type idStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *idStream) Context() context.Context { return s.ctx }
