package eventbus_test

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/sfsync/sfsync/salesforce/eventbus"
)

// topicServer answers GetTopic for one topic and leaves every other RPC
// unimplemented.
type topicServer struct {
	eventbus.UnimplementedPubSubServer
}

func (topicServer) GetTopic(ctx context.Context, req *eventbus.TopicRequest) (*eventbus.TopicInfo, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if got := md.Get("accesstoken"); len(got) != 1 || got[0] != "token" {
		return nil, status.Error(codes.Unauthenticated, "missing accesstoken")
	}
	if req.GetTopicName() != "/data/AccountChangeEvent" {
		return nil, status.Errorf(codes.NotFound, "no topic %s", req.GetTopicName())
	}
	return &eventbus.TopicInfo{
		TopicName:    req.GetTopicName(),
		TenantGuid:   "00D000000000001AAA",
		CanSubscribe: true,
		SchemaId:     "schema-1",
		RpcId:        "rpc-1",
	}, nil
}

// TestGeneratedCodeOverGRPC serves the generated service on a loopback
// listener and calls it with the generated client.
func TestGeneratedCodeOverGRPC(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	eventbus.RegisterPubSubServer(srv, topicServer{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client := eventbus.NewPubSubClient(conn)
	ctx := metadata.AppendToOutgoingContext(t.Context(),
		"accesstoken", "token", "instanceurl", "https://example.my.salesforce.com", "tenantid", "00D000000000001AAA")

	for _, tc := range []struct {
		scenario string
		topic    string
		wantCode codes.Code
	}{
		{scenario: "known topic", topic: "/data/AccountChangeEvent", wantCode: codes.OK},
		{scenario: "unknown topic", topic: "/data/NopeChangeEvent", wantCode: codes.NotFound},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			info, err := client.GetTopic(ctx, &eventbus.TopicRequest{TopicName: tc.topic})
			if got := status.Code(err); got != tc.wantCode {
				t.Fatalf("GetTopic code = %v (%v), want %v", got, err, tc.wantCode)
			}
			if tc.wantCode != codes.OK {
				return
			}
			if info.GetTopicName() != tc.topic || !info.GetCanSubscribe() || info.GetCanPublish() ||
				info.GetSchemaId() != "schema-1" || info.GetRpcId() != "rpc-1" {
				t.Errorf("GetTopic = %v", info)
			}
		})
	}

	t.Run("unimplemented", func(t *testing.T) {
		t.Parallel()
		_, err := client.GetSchema(ctx, &eventbus.SchemaRequest{SchemaId: "schema-1"})
		if got := status.Code(err); got != codes.Unimplemented {
			t.Errorf("GetSchema code = %v (%v), want Unimplemented", got, err)
		}
	})
}
