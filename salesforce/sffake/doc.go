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
// # HTTP API: OAuth, REST and Bulk API 2.0
//
// The HTTP listener ([Server.URL], the instance URL) serves:
//
//   - POST /services/oauth2/token (spec §4) for the connected apps of
//     [WithConnectedApp]: the JWT bearer grant (RS256 assertion verified
//     against the app's certificate; iss the consumer key, sub the app's
//     Username, aud [Server.URL], [LoginURL] or [SandboxURL], exp within
//     three minutes of skew), client_credentials (client id and secret in
//     the body or with HTTP Basic) and password. Answers carry
//     access_token (org id, "!", opaque text), instance_url, id,
//     token_type, issued_at, signature (HMAC-SHA256 of id + issued_at
//     keyed with the consumer secret) and scope; errors are
//     {"error", "error_description"} with Salesforce's codes.
//   - GET /services/oauth2/userinfo and the identity URL /id/{org}/{user}.
//   - GET /services/data/ (versions v31.0 to v64.0, no token needed, as in
//     Salesforce) and, with a bearer token, under /services/data/vNN.N/:
//     query and queryAll (the SOQL subset of package soql, paged by
//     Sforce-Query-Options batchSize with nextRecordsUrl), sobjects,
//     sobjects/{Object}/describe, limits, and the Bulk API 2.0 query jobs
//     under jobs/query. Errors are JSON arrays of {"message", "errorCode"}.
//   - Record writes under /services/data/vNN.N/: POST sobjects/{Object}
//     (201 with {"id", "success", "errors"}), GET, PATCH (204) and DELETE
//     (204) sobjects/{Object}/{id} (15- or 18-character ids), PATCH
//     sobjects/{Object}/{Field}/{value}, the upsert by a field marked
//     [Field.ExternalID] (201 created true, 200 created false, 204 before
//     v46.0, 300 with the URLs of several matches, updateOnly=true), and
//     the sObject Collections POST, PATCH and DELETE of composite/sobjects
//     (up to 200 records, allOrNone, one SaveResult each). Each call is one
//     transaction acting as the caller's user: its change events share a
//     transaction key and commit number, numbered by sequenceNumber, with
//     changeOrigin com/salesforce/api/rest/NN.N (and ;client=<name> from
//     Sforce-Call-Options); a collection delete publishes one DELETE event
//     per object. Errors use Salesforce's codes: REQUIRED_FIELD_MISSING
//     (Name, where the object has it, on create and when cleared),
//     INVALID_FIELD, INVALID_FIELD_FOR_INSERT_UPDATE (system fields),
//     JSON_PARSER_ERROR, NOT_FOUND, ENTITY_IS_DELETED, MALFORMED_ID,
//     MISSING_ARGUMENT, INVALID_TYPE, EXCEEDED_ID_LIMIT and, for the
//     records an all-or-none call rolled back,
//     ALL_OR_NONE_OPERATION_ROLLED_BACK.
//   - The SOAP partner API at /services/Soap/u/NN.N[/orgId]: login, for the
//     users of [WithUser] (loginResponse/result with metadataServerUrl,
//     passwordExpired, sandbox, serverUrl, sessionId, userId and userInfo
//     in the WSDL's order; bad credentials answer HTTP 500 with the fault
//     sf:INVALID_LOGIN and a LoginFault), and undelete (SessionHeader,
//     AllOrNoneHeader, up to 200 ids, one UndeleteResult each), the call
//     Salesforce offers for undeleting since its REST API has none. Other
//     calls answer the fault sf:INVALID_OPERATION. A session id is an
//     access token for REST and the Pub/Sub API.
//
// Issued tokens are valid on the Pub/Sub API and REST alike and expire
// after [WithTokenTTL] (two hours by default) without use, measured on
// the server's clock; an expired token fails Pub/Sub calls with
// service.auth.error and REST calls with 401 INVALID_SESSION_ID.
//
// /limits reports an Enterprise Edition org's allocations ([WithLimit]
// changes them). DailyDeliveredPlatformEvents, HourlyPublishedPlatformEvents,
// DailyApiRequests and DailyBulkV2QueryJobs count real traffic in fixed
// windows of a day or an hour on the server's clock; when the delivery
// allocation is used up, Subscribe fails with RESOURCE_EXHAUSTED
// subscription.limit.exceeded ([Server.ExhaustLimit], [Server.SetLimit]
// and [Server.ResetLimits] drive it in tests). A REST query computes its
// whole result at once and keeps it behind the locator; a Bulk job takes
// its snapshot when it leaves UploadComplete.
//
// Departures from Salesforce in the HTTP API, and choices where its
// behaviour is unverified ([U] in the spec):
//
//   - The org has one user: every username an app or a login names acts
//     as [Server.UserID]; static tokens act as it with the username
//     [DefaultUsername]. Consent, IP restrictions, scopes and refresh
//     tokens are not modelled; responses never carry expires_in.
//   - A bad client secret sent with HTTP Basic answers 401
//     invalid_client (RFC 6749), in the body 400; an unknown JWT user
//     answers invalid_grant "user hasn't approved this consumer"; the
//     JWT error wording is oauth.VerifyAssertion's. userinfo with a bad
//     token answers 403 Bad_OAuth_Token.
//   - The client credentials grant is accepted on the emulator's URL,
//     which stands for the org's My Domain; no login host refuses it.
//   - Token expiry is by inactivity, restarted by every accepted call.
//   - Query locators ("01g…-offset") stay valid [WithQueryLocatorTTL]
//     (15 minutes by default) after their last use, not two days; the
//     nextRecordsUrl of queryAll uses /query/, and both forms are
//     accepted. batchSize outside 200..2000 is clamped.
//   - Relationship paths follow standard reference fields named <Rel>Id
//     to an object named <Rel> (ParentId to the object itself,
//     Parent<X>Id to <X>); polymorphic, User and custom lookups have
//     none. Address fields are queried through their components
//     (BillingCity), not as compound values. An unset checkbox reads as
//     false.
//   - DailyApiRequests counts every authenticated /services/data/vNN.N/
//     call, including /limits itself; publishing past
//     HourlyPublishedPlatformEvents is not refused. Windows are fixed,
//     not rolling, and deliveries from concurrent streams may overshoot
//     the allocation by a response.
//   - Record writes run no validation rules, triggers (other than
//     [Trigger]), workflows, duplicate rules or field-level security; the
//     only required field is Name; picklist values and field lengths are
//     not checked; numbers and booleans are also accepted as strings.
//     Compound fields (BillingAddress) are written through their
//     components. GET of a record answers every field, address components
//     flat. The emulator chose the wording of most write error messages.
//   - Collections create records of one call in one transaction, however
//     many object types they mix (Salesforce processes chunks of one type
//     in order, up to ten); a collection delete naming an id twice deletes
//     it once and reports success for both.
//   - The SOAP API serves only login and undelete; userInfo's values
//     other than the ids and the username are fixed. The login call needs
//     no connected app and is not counted against DailyApiRequests;
//     undelete is.
//   - Bulk jobs move UploadComplete → InProgress → JobComplete after
//     [WithBulkJobDelay] each (one second by default) on the server's
//     clock; SELECT COUNT() jobs end Failed. Invalid queries are refused
//     at creation with the REST query error codes. Results of an
//     unfinished job answer 400 INVALIDJOBSTATE, an unknown locator 400
//     INVALID_QUERY_LOCATOR, a bad body 400 JSON_PARSER_ERROR, other bad
//     parameters 400 API_ERROR, another API version than the job's 409
//     API_ERROR; only finished jobs can be deleted. Locators are base64
//     offsets, [DefaultBulkMaxRecords] rows per page by default, every
//     page repeats the header, every non-null value is quoted and dates
//     are written 2024-01-15T10:30:00.000Z. Job lists are one page and
//     ignore filters.
//
// # Faults and counters
//
// [Server.FailNext], [Server.DropStreams] and [Server.StallStreams] inject
// Pub/Sub API failures, [Server.FailNextHTTP] REST and Bulk API ones (an
// HTTP status with or without error JSON, or a dropped connection);
// [Server.DuplicateNext] makes Subscribe deliver each of the next events
// twice in a row (same replay id, event id and payload), the
// at-least-once delivery of spec §3.4, with the copies counted against
// the requested events and the delivery allocation; [Server.RevokeToken]
// expires a token; [Server.Purge] and [Server.ExpireBefore] expire
// retained events; [Server.ExhaustLimit] uses up an allocation;
// [Server.EmitGap], [Server.EmitOverflow] and [Server.AddField] produce
// gap and overflow events and schema changes. [Server.Stats] counts
// deliveries and publications.
//
// Salesforce re-delivers events when a client resubscribes from a stored
// position; whether it ever repeats an event within one stream is not
// known. The emulator repeats within the stream, so a client's duplicate
// handling is exercised without a reconnect; resubscribing with CUSTOM
// from an earlier replay id re-delivers what follows it, as in Salesforce.
//
// A [Server] is safe for concurrent use.
package sffake
