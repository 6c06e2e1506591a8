// Package pubsub is a client of Salesforce's Pub/Sub API (gRPC package
// eventbus.v1): topics, schemas, subscriptions with caller-controlled
// flow control, Avro decoding of change events and platform events, and
// publishing.
//
// # Connecting
//
// [Dial] connects to [Config.Endpoint] (default [DefaultEndpoint]) over TLS
// with the system roots, or [Config.RootCAs], or in plaintext for local
// emulators when [Config.Plaintext] says so. Every call carries the
// metadata accesstoken, instanceurl and tenantid from [Config.Credentials]
// and a fresh x-client-trace-id; [OAuthCredentials] adapts an
// [oauth.TokenSource]. When the server answers service.auth.error the
// client invalidates the token it sent, so the next call gets a fresh
// one; unary calls retry once by themselves.
//
// # Subscribing
//
// [Client.Subscribe] opens a stream and [Subscription.Next] pulls events.
// The caller controls backpressure: a subscription holds at most
// [SubscribeRequest.Capacity] events, counting those requested from the
// server, and asks for more only as the caller takes them. Each [Event]
// is decoded with its writer schema ([Client.GetSchema] caches schemas by
// id, fetching each once); change events get a parsed [ChangeEventHeader]
// whose field bitmaps are expanded into names, including
// "Parent.Component" for compound fields. An event that does not decode
// is delivered with [Event.DecodeErr] set and the stream goes on.
// Keepalives advance [Subscription.LatestReplayID] and surface as events
// with [Event.Keepalive] set, so an idle subscription can checkpoint. A
// watchdog ends a silent subscription with [ErrStalled].
//
// # Errors and reconnecting
//
// Failures are [*Error] values with the gRPC code, the Salesforce error
// code, the rpc id and the trace id; errors.Is matches them against
// [ErrReplayIDCorrupted], [ErrAuth], [ErrAllocationExceeded],
// [ErrTopicNotFound] and [ErrPermission]. [IsRetryable] is the one place
// deciding what is worth retrying. Reconnecting is the caller's policy:
// [Backoff] computes jittered delays, and the package example shows the
// resubscribe loop (resume with CUSTOM from the last position; on
// ErrReplayIDCorrupted pick a preset instead).
//
// # Publishing
//
// [Client.Publish] and [Client.PublishStream] publish platform events,
// encoded with the topic's current schema, and return per-event results
// with correlation keys.
//
// A [Client] is safe for concurrent use.
package pubsub
