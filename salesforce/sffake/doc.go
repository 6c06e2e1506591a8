// Package sffake is an emulated Salesforce org for tests and local
// development: an in-memory store of sObject records whose writes produce
// the Change Data Capture events Salesforce would, custom platform events,
// an event bus with replay ids and a retention window, and the Pub/Sub API
// (gRPC package eventbus.v1) served on a real listener, so that real
// clients — sfsync's and third parties' — talk to it as to an org.
//
// # Starting
//
// [Start] (or [New], then [Server.Start]) returns a server listening on
// free loopback ports, in plaintext unless [WithTLS] asks for a generated
// self-signed certificate that [Server.CertPool] lets clients trust.
// [Server.PubSubAddr] is the gRPC address; clients send the metadata
// accesstoken = [Server.AccessToken], instanceurl = [Server.URL] and
// tenantid = [Server.OrgID]. [Server.Close] stops it. Options such as
// [WithKeepalive], [WithIdleTimeout], [WithRetention], [WithClock] and
// [WithSeed] shrink the protocol's timers and make runs deterministic.
//
// # Records and change events
//
// The built-in objects are [AccountObject] and the territory objects of
// [TerritoryObjects]; [Server.DefineObject] adds others. [Server.Create],
// [Server.Update], [Server.Delete] and [Server.Undelete] write one record
// in a transaction of their own; [Server.Transact] groups writes, so their
// events share a transaction key and commit number and carry sequence
// numbers 1..n; [Tx.UpdateMany] and [Tx.Delete] with several ids produce
// one merged event listing them all. Events are published on the object's
// topic (/data/AccountChangeEvent, /data/Employee__ChangeEvent) and on
// /data/ChangeEvents, encoded as spec §2.3 and §2.4 describe: the header
// first, nullable body fields, addresses as nested records, and
// changedFields, nulledFields and diffFields (always empty) as bitmaps.
// [Server.AddField] changes a schema mid-stream; [Server.EmitGap] and
// [Server.EmitOverflow] produce GAP_* and GAP_OVERFLOW events.
//
// Change events of the territory objects are an emulator extension, off
// unless [WithTerritoryChangeEvents]: real orgs are not known to publish
// them. The way real teams stream territory changes — an Apex trigger
// publishing a platform event — is [WithTerritoryChangeEvent], and
// [WithTrigger] installs such rules for any object and event.
//
// # Platform events
//
// [Server.DefineEvent] (or [WithEvent]) defines /event/<Name>__e; events
// are published through Publish, PublishStream, [Server.PublishEvent] or
// a [Trigger].
//
// # Pub/Sub API behaviour
//
// The server follows spec §1: auth metadata checked on every call through
// a [TokenValidator]; errors with the gRPC status, the error-code trailer
// (sfdc.platform.eventbus.grpc.…), "rpcId: <id>" at the end of the message
// and an rpc-id trailer; Subscribe flow control with the per-stream
// counter capped at 100, keepalives carrying latest_replay_id, the idle
// close, the replay presets and the replay id errors; 8-byte big-endian
// replay ids with random gaps; Publish size and CreatedDate/CreatedById
// checks. ManagedSubscribe is not implemented (UNIMPLEMENTED).
//
// Choices where Salesforce's behaviour is unverified ([U] in the spec):
// the idle close is DEADLINE_EXCEEDED without error-code; an unknown
// schema id fails GetSchema with INVALID_ARGUMENT schema.validation.failed;
// publishing to a non-platform-event topic fails with PERMISSION_DENIED
// publish.topic.permission; a PublishStream idle for the publish idle
// timeout ends with DEADLINE_EXCEEDED publish.stream.sweeper.timeout; a
// CUSTOM replay id is valid when it is 8 bytes, not beyond the bus tip
// and newer than the last purged event of the topic; tenant_guid is the
// org id; ChangeType is an Avro enum; Date is an Avro int with logical
// type date and Time a long of milliseconds; the schema id hashes the
// Parsing Canonical Form. Publish does not validate Avro: a payload that
// does not decode is stored and delivered as is, but one that decodes must
// have CreatedDate > 0 and a non-empty CreatedById, and an empty payload
// is refused.
//
// # Faults and counters
//
// [Server.FailNext], [Server.DropStreams] and [Server.StallStreams] inject
// failures; [Server.RevokeToken] expires a token; [Server.Purge] and
// [Server.ExpireBefore] expire retained events. [Server.Stats] counts
// deliveries and publications.
//
// A [Server] is safe for concurrent use.
package sffake
