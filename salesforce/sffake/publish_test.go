package sffake_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

func encodeOrder(t *testing.T, codec *goavro.Codec, createdBy string, orderID string) []byte {
	t.Helper()
	b, err := codec.BinaryFromNative(nil, map[string]any{
		"CreatedDate": time.Now().UnixMilli(), "CreatedById": createdBy,
		"OrderId__c": goavro.Union("string", orderID), "Amount__c": goavro.Union("double", 12.5),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPublishSubscribeRoundTrip(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithEvent(orderEvent))
	c, ctx := client(t, s)
	d := newDecoder(t, ctx, c)

	topic, err := c.GetTopic(ctx, &eventbus.TopicRequest{TopicName: orderTopic})
	if err != nil {
		t.Fatal(err)
	}
	if !topic.GetCanPublish() || !topic.GetCanSubscribe() || topic.GetTenantGuid() != s.OrgID() || len(topic.GetSchemaId()) != 22 {
		t.Fatalf("GetTopic = %v", topic)
	}
	codec, err := goavro.NewCodec(d.schema(topic.GetSchemaId()))
	if err != nil {
		t.Fatal(err)
	}
	sid := topic.GetSchemaId()
	events := []*eventbus.ProducerEvent{
		{Id: "my-key-1", SchemaId: sid, Payload: encodeOrder(t, codec, s.UserID(), "O-1")},
		{SchemaId: sid, Payload: encodeOrder(t, codec, s.UserID(), "O-2")},
		{Id: "too-big", SchemaId: sid, Payload: make([]byte, 1<<20+1)},
		{Id: "no-creator", SchemaId: sid, Payload: encodeOrder(t, codec, "", "O-3")},
		{Id: "wrong-schema", SchemaId: "AAAAAAAAAAAAAAAAAAAAAA", Payload: encodeOrder(t, codec, s.UserID(), "O-4")},
		{Id: "garbage", SchemaId: sid, Payload: []byte{0xff, 0xff, 0xff}},
	}
	resp, err := c.Publish(ctx, &eventbus.PublishRequest{TopicName: orderTopic, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetResults()) != len(events) || resp.GetSchemaId() != sid || resp.GetRpcId() == "" {
		t.Fatalf("PublishResponse = %v", resp)
	}
	wantOK := []bool{true, true, false, false, false, true}
	for i, r := range resp.GetResults() {
		if ok := r.GetError() == nil; ok != wantOK[i] {
			t.Fatalf("result %d = %v, want success %v", i, r, wantOK[i])
		}
		if !wantOK[i] && (r.GetError().GetCode() != eventbus.ErrorCode_PUBLISH || r.GetCorrelationKey() != events[i].GetId()) {
			t.Fatalf("failed result %d = %v", i, r)
		}
		if wantOK[i] && (len(r.GetReplayId()) != 8 || r.GetCorrelationKey() == "") {
			t.Fatalf("result %d = %v, want a replay id and correlation key", i, r)
		}
	}
	if resp.GetResults()[0].GetCorrelationKey() != "my-key-1" || len(resp.GetResults()[1].GetCorrelationKey()) != 36 {
		t.Fatalf("correlation keys %q, %q", resp.GetResults()[0].GetCorrelationKey(), resp.GetResults()[1].GetCorrelationKey())
	}

	sub := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: orderTopic, ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 10})
	evs, _ := collect(t, sub, 3)
	if got := d.decode(evs[0]); got["OrderId__c"].(map[string]any)["string"] != "O-1" || evs[0].GetEvent().GetId() != "my-key-1" {
		t.Fatalf("first event %v id %s", got, evs[0].GetEvent().GetId())
	}
	if !bytes.Equal(evs[2].GetEvent().GetPayload(), []byte{0xff, 0xff, 0xff}) {
		t.Fatal("undecodable payload not delivered as is")
	}
	if got := s.Stats().EventsPublished; got != 3 {
		t.Fatalf("Stats().EventsPublished = %d, want 3", got)
	}

	// Errors of the whole call.
	calls := []struct {
		scenario  string
		req       *eventbus.PublishRequest
		code      codes.Code
		errorCode string
	}{
		{scenario: "change event topic", req: &eventbus.PublishRequest{TopicName: accountTopic, Events: events[:1]},
			code: codes.PermissionDenied, errorCode: "publish.topic.permission"},
		{scenario: "unknown topic", req: &eventbus.PublishRequest{TopicName: "/event/Nope__e", Events: events[:1]},
			code: codes.NotFound, errorCode: "topic.not.found"},
		{scenario: "no events", req: &eventbus.PublishRequest{TopicName: orderTopic},
			code: codes.InvalidArgument, errorCode: "publish.event.count.invalid"},
	}
	for _, tt := range calls {
		var tr metadata.MD
		_, err := c.Publish(ctx, tt.req, grpc.Trailer(&tr))
		wantStatus(t, err, tr, tt.code, tt.errorCode)
	}
}

func TestPublishStream(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithEvent(orderEvent), sffake.WithPublishIdleTimeout(200*time.Millisecond))
	c, ctx := client(t, s)
	sid, _ := s.SchemaID(orderTopic)
	js, _ := s.Schema(sid)
	codec, err := goavro.NewCodec(js)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := c.PublishStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, topic := range []string{orderTopic, ""} {
		ev := &eventbus.ProducerEvent{Id: "k" + string(rune('0'+i)), SchemaId: sid, Payload: encodeOrder(t, codec, s.UserID(), "O")}
		if err := ps.Send(&eventbus.PublishRequest{TopicName: topic, Events: []*eventbus.ProducerEvent{ev}}); err != nil {
			t.Fatal(err)
		}
		resp, err := ps.Recv()
		if err != nil || len(resp.GetResults()) != 1 || resp.GetResults()[0].GetCorrelationKey() != ev.GetId() || resp.GetResults()[0].GetError() != nil {
			t.Fatalf("batch %d: %v, %v", i, resp, err)
		}
	}
	if err := ps.Send(&eventbus.PublishRequest{TopicName: "/event/Other__e"}); err != nil {
		t.Fatal(err)
	}
	_, err = ps.Recv()
	wantStatus(t, err, ps.Trailer(), codes.InvalidArgument, "publish.topic.mismatch")

	// An idle stream is closed.
	ps, err = c.PublishStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ps.Recv()
	wantStatus(t, err, ps.Trailer(), codes.DeadlineExceeded, "publish.stream.sweeper.timeout")
}

func TestTerritoryChangeRule(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithTerritoryChangeEvent(), sffake.WithTerritoryChangeEvents())
	c, ctx := client(t, s)
	d := newDecoder(t, ctx, c)

	model, err := s.Create("Territory2Model", map[string]any{"Name": "FY26", "DeveloperName": "FY26_Sales_Plan", "State": "Active"})
	if err != nil {
		t.Fatal(err)
	}
	terr, err := s.Create("Territory2", map[string]any{"Name": "EMEA", "DeveloperName": "EMEA", "Territory2ModelId": model})
	if err != nil {
		t.Fatal(err)
	}
	acct, err := s.Create("Account", map[string]any{"Name": "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	assoc, err := s.Create("ObjectTerritory2Association", map[string]any{"ObjectId": acct, "Territory2Id": terr, "AssociationCause": "Territory2Manual", "SobjectType": "Account"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(terr, map[string]any{"Description": "Europe"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(assoc); err != nil {
		t.Fatal(err)
	}

	sub := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: "/event/Territory_Change__e", ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 10})
	evs, _ := collect(t, sub, 5)
	str := func(m map[string]any, k string) string {
		if v, ok := m[k].(map[string]any); ok {
			return v["string"].(string)
		}
		return ""
	}
	want := []struct{ object, typ, territory, changed string }{
		{"Territory2Model", "CREATE", "", ""},
		{"Territory2", "CREATE", terr, ""},
		{"ObjectTerritory2Association", "CREATE", terr, ""},
		{"Territory2", "UPDATE", terr, "Description,LastModifiedDate"},
		{"ObjectTerritory2Association", "DELETE", terr, ""},
	}
	for i, w := range want {
		e := d.decode(evs[i])
		if str(e, "ObjectName__c") != w.object || str(e, "ChangeType__c") != w.typ || str(e, "Territory2Id__c") != w.territory ||
			str(e, "ChangedFields__c") != w.changed || e["CreatedById"] != s.UserID() || e["CreatedDate"].(int64) <= 0 {
			t.Fatalf("event %d = %v, want %+v", i, e, w)
		}
	}
	if e := d.decode(evs[2]); str(e, "ObjectId__c") != acct {
		t.Fatalf("association event %v, want ObjectId__c %s", e, acct)
	}

	// The extension's change event topics exist and carry the changes.
	sub = subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: "/data/ObjectTerritory2AssociationChangeEvent", ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 10})
	evs, _ = collect(t, sub, 2)
	if ce := d.change(evs[1]); ce.header["changeType"] != "DELETE" {
		t.Fatalf("association change event %v", ce.header)
	}
}

func TestTerritoryChangeEventsOffByDefault(t *testing.T) {
	t.Parallel()
	s := start(t)
	c, ctx := client(t, s)
	var tr metadata.MD
	_, err := c.GetTopic(ctx, &eventbus.TopicRequest{TopicName: "/data/Territory2ChangeEvent"}, grpc.Trailer(&tr))
	wantStatus(t, err, tr, codes.NotFound, "topic.not.found")
}

func TestTLS(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithTLS(), sffake.WithEvent(orderEvent))
	if !strings.HasPrefix(s.URL(), "https://") || s.CertPool() == nil || !bytes.Contains(s.CertificatePEM(), []byte("BEGIN CERTIFICATE")) {
		t.Fatalf("URL %s, cert pool %v", s.URL(), s.CertPool())
	}
	conn, err := grpc.NewClient(s.PubSubAddr(), grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(s.CertPool(), "")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := authContext(t, s, s.AccessToken())
	if _, err := eventbus.NewPubSubClient(conn).GetTopic(ctx, &eventbus.TopicRequest{TopicName: orderTopic}); err != nil {
		t.Fatalf("GetTopic over TLS: %v", err)
	}

	plain, err := grpc.NewClient(s.PubSubAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := eventbus.NewPubSubClient(plain).GetTopic(ctx, &eventbus.TopicRequest{TopicName: orderTopic}); statusCode(err) != codes.Unavailable {
		t.Fatalf("plaintext GetTopic on a TLS server: %v, want UNAVAILABLE", err)
	}
}
