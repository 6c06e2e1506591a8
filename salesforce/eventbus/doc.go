// Package eventbus is the Go code generated from pubsub_api.proto, the
// Salesforce Pub/Sub API (gRPC package eventbus.v1): the message types, the
// [PubSubClient] that sfsync's producer and reconciler dial, and the
// [PubSubServer] interface that the sffake emulator implements.
//
// The .proto is written from sfsync's specification and is wire-identical
// to the one Salesforce publishes: same package, service, messages, field
// names, numbers and types, and enum values. The contract test in this
// package checks that against a table taken from the specification, so an
// edit that would break compatibility with Salesforce fails.
//
// pubsub_api.pb.go and pubsub_api_grpc.pb.go are generated; do not edit
// them. Run `go generate ./...` in the salesforce module (or `make generate`
// at the repository root) after changing the .proto; generate.sh pins the
// protoc-gen-go and protoc-gen-go-grpc versions and installs them.
//
// The generated types are the usual protobuf-go messages: a message value
// must not be copied after first use, and a message is not safe for
// concurrent mutation. [NewPubSubClient] returns a client that is safe for
// concurrent use.
package eventbus

//go:generate bash generate.sh
