package sffake_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/sffaketest"
)

// testTimeout bounds every wait of a test; reaching it is a failure, not
// a synchronization mechanism.
const testTimeout = 20 * time.Second

// orderEvent is a platform event used by the tests.
var orderEvent = sffake.EventDefinition{
	Name: "Order_Event__e",
	Fields: []sffake.Field{
		{Name: "OrderId__c", Type: sffake.TypeString},
		{Name: "Amount__c", Type: sffake.TypeDouble},
		{Name: "Rush__c", Type: sffake.TypeBoolean},
	},
}

const orderTopic = "/event/Order_Event__e"

// start starts a server that the test closes when it ends.
func start(t *testing.T, opts ...sffake.Option) *sffake.Server {
	t.Helper()
	return sffaketest.Start(t, opts...)
}

// client dials s in plaintext and returns a client and a context carrying
// valid auth metadata.
func client(t *testing.T, s *sffake.Server) (eventbus.PubSubClient, context.Context) {
	t.Helper()
	conn, err := grpc.NewClient(s.PubSubAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return eventbus.NewPubSubClient(conn), authContext(t, s, s.AccessToken())
}

func authContext(t *testing.T, s *sffake.Server, token string) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx,
		"accessToken", token, "instanceUrl", s.URL(), "tenantId", s.OrgID())
}

// subscribe opens a Subscribe stream and sends first.
func subscribe(t *testing.T, ctx context.Context, c eventbus.PubSubClient, first *eventbus.FetchRequest) eventbus.PubSub_SubscribeClient {
	t.Helper()
	st, err := c.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(first); err != nil {
		t.Fatal(err)
	}
	return st
}

// collect receives responses until n events arrived, checking that no
// response exceeds what was requested, and returns the events and the
// responses.
func collect(t *testing.T, st eventbus.PubSub_SubscribeClient, n int) ([]*eventbus.ConsumerEvent, []*eventbus.FetchResponse) {
	t.Helper()
	var (
		evs   []*eventbus.ConsumerEvent
		resps []*eventbus.FetchResponse
	)
	for len(evs) < n {
		r, err := st.Recv()
		if err != nil {
			t.Fatalf("Recv after %d of %d events: %v", len(evs), n, err)
		}
		resps = append(resps, r)
		evs = append(evs, r.GetEvents()...)
	}
	if len(evs) != n {
		t.Fatalf("received %d events, want %d", len(evs), n)
	}
	return evs, resps
}

// wantStatus checks err's gRPC code and the Pub/Sub error code in the
// trailer, and that the message ends with the rpc id of the trailer.
func wantStatus(t *testing.T, err error, trailer metadata.MD, code codes.Code, errorCode string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != code {
		t.Fatalf("status = %v, want code %v", err, code)
	}
	got := trailer.Get("error-code")
	switch {
	case errorCode == "" && len(got) != 0:
		t.Fatalf("error-code trailer = %q, want none", got)
	case errorCode != "" && (len(got) != 1 || got[0] != sffake.ErrorCodePrefix+errorCode):
		t.Fatalf("error-code trailer = %q, want %q", got, sffake.ErrorCodePrefix+errorCode)
	}
	ids := trailer.Get("rpc-id")
	if len(ids) != 1 || !strings.HasSuffix(st.Message(), "rpcId: "+ids[0]) {
		t.Fatalf("message %q and rpc-id trailer %q: want the message to end with rpcId: <rpc-id>", st.Message(), ids)
	}
}

// recvError receives until the stream fails and returns the error.
func recvError(t *testing.T, st eventbus.PubSub_SubscribeClient) error {
	t.Helper()
	for {
		r, err := st.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				t.Fatal("stream ended without error")
			}
			return err
		}
		if len(r.GetEvents()) > 0 {
			t.Fatalf("unexpected events %v", r.GetEvents())
		}
	}
}

// decoder decodes events with the schemas from GetSchema.
type decoder struct {
	t      *testing.T
	ctx    context.Context
	c      eventbus.PubSubClient
	codecs map[string]*goavro.Codec
	jsons  map[string]string
}

func newDecoder(t *testing.T, ctx context.Context, c eventbus.PubSubClient) *decoder {
	return &decoder{t: t, ctx: ctx, c: c, codecs: map[string]*goavro.Codec{}, jsons: map[string]string{}}
}

func (d *decoder) schema(id string) string {
	d.t.Helper()
	if js, ok := d.jsons[id]; ok {
		return js
	}
	info, err := d.c.GetSchema(d.ctx, &eventbus.SchemaRequest{SchemaId: id})
	if err != nil {
		d.t.Fatalf("GetSchema(%s): %v", id, err)
	}
	codec, err := goavro.NewCodec(info.GetSchemaJson())
	if err != nil {
		d.t.Fatalf("schema %s: %v", id, err)
	}
	d.codecs[id], d.jsons[id] = codec, info.GetSchemaJson()
	return info.GetSchemaJson()
}

func (d *decoder) decode(ev *eventbus.ConsumerEvent) map[string]any {
	d.t.Helper()
	d.schema(ev.GetEvent().GetSchemaId())
	native, rest, err := d.codecs[ev.GetEvent().GetSchemaId()].NativeFromBinary(ev.GetEvent().GetPayload())
	if err != nil || len(rest) != 0 {
		d.t.Fatalf("decode event: %v (%d bytes left)", err, len(rest))
	}
	return native.(map[string]any)
}

// publish publishes n order events through the Go API.
func publish(t *testing.T, s *sffake.Server, n int) []sffake.Published {
	t.Helper()
	out := make([]sffake.Published, n)
	for i := range n {
		p, err := s.PublishEvent(orderEvent.Name, map[string]any{"OrderId__c": "o" + string(rune('A'+i%26))})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = p
	}
	return out
}

func statusCode(err error) codes.Code {
	st, _ := status.FromError(err)
	return st.Code()
}
