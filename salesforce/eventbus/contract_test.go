package eventbus_test

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/sfsync/sfsync/salesforce/eventbus"
)

// The tables below are the Pub/Sub API wire contract as sfsync's
// specification states it. They are written by hand on purpose: the
// generated descriptor is checked against them, so an edit of
// pubsub_api.proto that breaks compatibility with Salesforce fails here.

// wantField is one field of a message: number, name, type and whether it is
// repeated. typeName is the full name of a message or enum type, else empty.
type wantField struct {
	number   protoreflect.FieldNumber
	name     string
	kind     protoreflect.Kind
	typeName protoreflect.FullName
	repeated bool
}

var wantMessages = map[protoreflect.FullName][]wantField{
	"eventbus.v1.TopicRequest": {
		{1, "topic_name", protoreflect.StringKind, "", false},
	},
	"eventbus.v1.TopicInfo": {
		{1, "topic_name", protoreflect.StringKind, "", false},
		{2, "tenant_guid", protoreflect.StringKind, "", false},
		{3, "can_publish", protoreflect.BoolKind, "", false},
		{4, "can_subscribe", protoreflect.BoolKind, "", false},
		{5, "schema_id", protoreflect.StringKind, "", false},
		{6, "rpc_id", protoreflect.StringKind, "", false},
	},
	"eventbus.v1.SchemaRequest": {
		{1, "schema_id", protoreflect.StringKind, "", false},
	},
	"eventbus.v1.SchemaInfo": {
		{1, "schema_json", protoreflect.StringKind, "", false},
		{2, "schema_id", protoreflect.StringKind, "", false},
		{3, "rpc_id", protoreflect.StringKind, "", false},
	},
	"eventbus.v1.EventHeader": {
		{1, "key", protoreflect.StringKind, "", false},
		{2, "value", protoreflect.BytesKind, "", false},
	},
	"eventbus.v1.ProducerEvent": {
		{1, "id", protoreflect.StringKind, "", false},
		{2, "schema_id", protoreflect.StringKind, "", false},
		{3, "payload", protoreflect.BytesKind, "", false},
		{4, "headers", protoreflect.MessageKind, "eventbus.v1.EventHeader", true},
	},
	"eventbus.v1.ConsumerEvent": {
		{1, "event", protoreflect.MessageKind, "eventbus.v1.ProducerEvent", false},
		{2, "replay_id", protoreflect.BytesKind, "", false},
	},
	"eventbus.v1.PublishRequest": {
		{1, "topic_name", protoreflect.StringKind, "", false},
		{2, "events", protoreflect.MessageKind, "eventbus.v1.ProducerEvent", true},
		{3, "auth_refresh", protoreflect.StringKind, "", false},
	},
	"eventbus.v1.PublishResult": {
		{1, "replay_id", protoreflect.BytesKind, "", false},
		{2, "error", protoreflect.MessageKind, "eventbus.v1.Error", false},
		{3, "correlation_key", protoreflect.StringKind, "", false},
	},
	"eventbus.v1.PublishResponse": {
		{1, "results", protoreflect.MessageKind, "eventbus.v1.PublishResult", true},
		{2, "schema_id", protoreflect.StringKind, "", false},
		{3, "rpc_id", protoreflect.StringKind, "", false},
	},
	"eventbus.v1.Error": {
		{1, "code", protoreflect.EnumKind, "eventbus.v1.ErrorCode", false},
		{2, "msg", protoreflect.StringKind, "", false},
	},
	"eventbus.v1.FetchRequest": {
		{1, "topic_name", protoreflect.StringKind, "", false},
		{2, "replay_preset", protoreflect.EnumKind, "eventbus.v1.ReplayPreset", false},
		{3, "replay_id", protoreflect.BytesKind, "", false},
		{4, "num_requested", protoreflect.Int32Kind, "", false},
		{5, "auth_refresh", protoreflect.StringKind, "", false},
	},
	"eventbus.v1.FetchResponse": {
		{1, "events", protoreflect.MessageKind, "eventbus.v1.ConsumerEvent", true},
		{2, "latest_replay_id", protoreflect.BytesKind, "", false},
		{3, "rpc_id", protoreflect.StringKind, "", false},
		{4, "pending_num_requested", protoreflect.Int32Kind, "", false},
	},
	"eventbus.v1.ManagedFetchRequest": {
		{1, "subscription_id", protoreflect.StringKind, "", false},
		{2, "developer_name", protoreflect.StringKind, "", false},
		{3, "num_requested", protoreflect.Int32Kind, "", false},
		{4, "auth_refresh", protoreflect.StringKind, "", false},
		{5, "commit_replay_id_request", protoreflect.MessageKind, "eventbus.v1.CommitReplayRequest", false},
	},
	"eventbus.v1.ManagedFetchResponse": {
		{1, "events", protoreflect.MessageKind, "eventbus.v1.ConsumerEvent", true},
		{2, "latest_replay_id", protoreflect.BytesKind, "", false},
		{3, "rpc_id", protoreflect.StringKind, "", false},
		{4, "pending_num_requested", protoreflect.Int32Kind, "", false},
		{5, "commit_response", protoreflect.MessageKind, "eventbus.v1.CommitReplayResponse", false},
	},
	"eventbus.v1.CommitReplayRequest": {
		{1, "commit_request_id", protoreflect.StringKind, "", false},
		{2, "replay_id", protoreflect.BytesKind, "", false},
	},
	"eventbus.v1.CommitReplayResponse": {
		{1, "commit_request_id", protoreflect.StringKind, "", false},
		{2, "replay_id", protoreflect.BytesKind, "", false},
		{3, "error", protoreflect.MessageKind, "eventbus.v1.Error", false},
		{4, "process_time", protoreflect.Int64Kind, "", false},
	},
}

// wantEnums lists each enum's values in number order.
var wantEnums = map[protoreflect.FullName][]string{
	"eventbus.v1.ReplayPreset": {"LATEST", "EARLIEST", "CUSTOM"},
	"eventbus.v1.ErrorCode":    {"UNKNOWN", "PUBLISH", "COMMIT"},
}

// wantMethod is one RPC of the PubSub service.
type wantMethod struct {
	fullMethod   string
	input        protoreflect.FullName
	output       protoreflect.FullName
	clientStream bool
	serverStream bool
}

var wantMethods = []wantMethod{
	{"/eventbus.v1.PubSub/Subscribe", "eventbus.v1.FetchRequest", "eventbus.v1.FetchResponse", true, true},
	{"/eventbus.v1.PubSub/GetSchema", "eventbus.v1.SchemaRequest", "eventbus.v1.SchemaInfo", false, false},
	{"/eventbus.v1.PubSub/GetTopic", "eventbus.v1.TopicRequest", "eventbus.v1.TopicInfo", false, false},
	{"/eventbus.v1.PubSub/Publish", "eventbus.v1.PublishRequest", "eventbus.v1.PublishResponse", false, false},
	{"/eventbus.v1.PubSub/PublishStream", "eventbus.v1.PublishRequest", "eventbus.v1.PublishResponse", true, true},
	{"/eventbus.v1.PubSub/ManagedSubscribe", "eventbus.v1.ManagedFetchRequest", "eventbus.v1.ManagedFetchResponse", true, true},
}

func TestFileIdentity(t *testing.T) {
	t.Parallel()
	fd := eventbus.File_pubsub_api_proto
	if got := fd.Path(); got != "pubsub_api.proto" {
		t.Errorf("path = %q, want pubsub_api.proto", got)
	}
	if got := fd.Syntax(); got != protoreflect.Proto3 {
		t.Errorf("syntax = %v, want proto3", got)
	}
	if got := fd.Package(); got != "eventbus.v1" {
		t.Errorf("package = %q, want eventbus.v1", got)
	}
	if n := fd.Imports().Len(); n != 0 {
		t.Errorf("file imports %d files, want none (no well-known types)", n)
	}
	opts, ok := fd.Options().(*descriptorpb.FileOptions)
	if !ok {
		t.Fatalf("file options have type %T", fd.Options())
	}
	for _, tc := range []struct {
		scenario string
		got      any
		want     any
	}{
		{"java_multiple_files", opts.GetJavaMultipleFiles(), true},
		{"java_package", opts.GetJavaPackage(), "com.salesforce.eventbus.protobuf"},
		{"java_outer_classname", opts.GetJavaOuterClassname(), "PubSubProto"},
		{"go_package", opts.GetGoPackage(), "github.com/developerforce/pub-sub-api/go/proto"},
	} {
		if tc.got != tc.want {
			t.Errorf("option %s = %v, want %v", tc.scenario, tc.got, tc.want)
		}
	}
}

func TestService(t *testing.T) {
	t.Parallel()
	services := eventbus.File_pubsub_api_proto.Services()
	if services.Len() != 1 {
		t.Fatalf("file declares %d services, want 1", services.Len())
	}
	sd := services.Get(0)
	if sd.FullName() != "eventbus.v1.PubSub" {
		t.Fatalf("service = %s, want eventbus.v1.PubSub", sd.FullName())
	}
	if got, want := sd.Methods().Len(), len(wantMethods); got != want {
		t.Errorf("service has %d methods, want %d", got, want)
	}
	for _, tc := range wantMethods {
		t.Run(tc.fullMethod, func(t *testing.T) {
			t.Parallel()
			name := protoreflect.Name(tc.fullMethod[len("/eventbus.v1.PubSub/"):])
			md := sd.Methods().ByName(name)
			if md == nil {
				t.Fatalf("method %s missing", name)
			}
			if got := "/" + string(sd.FullName()) + "/" + string(md.Name()); got != tc.fullMethod {
				t.Errorf("full method = %s, want %s", got, tc.fullMethod)
			}
			if md.Input().FullName() != tc.input || md.Output().FullName() != tc.output {
				t.Errorf("types = %s -> %s, want %s -> %s", md.Input().FullName(), md.Output().FullName(), tc.input, tc.output)
			}
			if md.IsStreamingClient() != tc.clientStream || md.IsStreamingServer() != tc.serverStream {
				t.Errorf("streaming = client %v server %v, want client %v server %v",
					md.IsStreamingClient(), md.IsStreamingServer(), tc.clientStream, tc.serverStream)
			}
		})
	}
	// The generated gRPC code must route to the same full method names.
	gotNames := []string{
		eventbus.PubSub_Subscribe_FullMethodName,
		eventbus.PubSub_GetSchema_FullMethodName,
		eventbus.PubSub_GetTopic_FullMethodName,
		eventbus.PubSub_Publish_FullMethodName,
		eventbus.PubSub_PublishStream_FullMethodName,
		eventbus.PubSub_ManagedSubscribe_FullMethodName,
	}
	for i, m := range wantMethods {
		if gotNames[i] != m.fullMethod {
			t.Errorf("generated full method name %s, want %s", gotNames[i], m.fullMethod)
		}
	}
	if got := eventbus.PubSub_ServiceDesc.ServiceName; got != "eventbus.v1.PubSub" {
		t.Errorf("ServiceDesc.ServiceName = %s, want eventbus.v1.PubSub", got)
	}
}

func TestMessages(t *testing.T) {
	t.Parallel()
	msgs := eventbus.File_pubsub_api_proto.Messages()
	if got, want := msgs.Len(), len(wantMessages); got != want {
		t.Errorf("file declares %d messages, want %d", got, want)
	}
	for i := range msgs.Len() {
		if _, ok := wantMessages[msgs.Get(i).FullName()]; !ok {
			t.Errorf("message %s is not in the contract", msgs.Get(i).FullName())
		}
	}
	for name, fields := range wantMessages {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			md := msgs.ByName(name.Name())
			if md == nil || md.FullName() != name {
				t.Fatalf("message %s missing", name)
			}
			if md.Messages().Len() != 0 || md.Enums().Len() != 0 || md.Oneofs().Len() != 0 {
				t.Errorf("message has nested types or oneofs; the contract has none")
			}
			if got := md.Fields().Len(); got != len(fields) {
				t.Errorf("message has %d fields, want %d", got, len(fields))
			}
			for _, want := range fields {
				fd := md.Fields().ByNumber(want.number)
				if fd == nil {
					t.Errorf("field %d (%s) missing", want.number, want.name)
					continue
				}
				if string(fd.Name()) != want.name {
					t.Errorf("field %d is named %s, want %s", want.number, fd.Name(), want.name)
				}
				if fd.Kind() != want.kind {
					t.Errorf("field %s has kind %v, want %v", want.name, fd.Kind(), want.kind)
				}
				if got := fd.Cardinality() == protoreflect.Repeated; got != want.repeated {
					t.Errorf("field %s repeated = %v, want %v", want.name, got, want.repeated)
				}
				if fd.HasPresence() && fd.Message() == nil {
					t.Errorf("field %s has explicit presence; the contract uses plain proto3 fields", want.name)
				}
				if fd.IsMap() || fd.ContainingOneof() != nil {
					t.Errorf("field %s is a map or in a oneof", want.name)
				}
				var typeName protoreflect.FullName
				switch {
				case fd.Message() != nil:
					typeName = fd.Message().FullName()
				case fd.Enum() != nil:
					typeName = fd.Enum().FullName()
				}
				if typeName != want.typeName {
					t.Errorf("field %s has type %s, want %s", want.name, typeName, want.typeName)
				}
			}
		})
	}
}

func TestEnums(t *testing.T) {
	t.Parallel()
	enums := eventbus.File_pubsub_api_proto.Enums()
	if got, want := enums.Len(), len(wantEnums); got != want {
		t.Errorf("file declares %d enums, want %d", got, want)
	}
	for name, values := range wantEnums {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			ed := enums.ByName(name.Name())
			if ed == nil || ed.FullName() != name {
				t.Fatalf("enum %s missing", name)
			}
			var got []string
			for i := range ed.Values().Len() {
				v := ed.Values().Get(i)
				if int(v.Number()) != i {
					t.Errorf("value %s has number %d, want %d", v.Name(), v.Number(), i)
				}
				got = append(got, string(v.Name()))
			}
			if !slices.Equal(got, values) {
				t.Errorf("values = %v, want %v", got, values)
			}
		})
	}
}

// TestCorrelationKeyJSONName pins the JSON name that the May 2024 rename of
// PublishResult field 3 kept.
func TestCorrelationKeyJSONName(t *testing.T) {
	t.Parallel()
	fd := (&eventbus.PublishResult{}).ProtoReflect().Descriptor().Fields().ByNumber(3)
	if got := fd.JSONName(); got != "correlationKey" {
		t.Errorf("JSON name = %s, want correlationKey", got)
	}
}
