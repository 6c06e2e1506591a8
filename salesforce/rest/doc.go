// Package rest is a client for the Salesforce REST API resources sfsync
// reads (spec §5.1, §5.2): SOQL query and queryAll with transparent
// nextRecordsUrl paging, sObject describe, the sObject list, org limits
// and API versions.
//
// [New] builds a [Client] from a [Config]; its [Credentials] supply the
// bearer token and, unless [Config.InstanceURL] is set, the instance URL.
// [OAuthCredentials] adapts an [oauth.TokenSource]; [StaticCredentials]
// serves a fixed token.
//
// [Client.Query] and [Client.QueryAll] return [Rows], an iterator over
// [Record] values that fetches the next page when the current one is
// used up; [Rows.All] offers the same as a range-over-func sequence.
// Field values keep their JSON form, numbers as [encoding/json.Number] so
// that no precision is lost, and typed accessors read strings, numbers,
// booleans, datetimes ([ParseDateTime]), dates ([Date]) and relationship
// paths such as Account.Owner.Name.
//
// # Errors and retries
//
// Failures answered by Salesforce are [*Error] values carrying the HTTP
// status and the errorCode of the JSON error array; errors.Is matches
// them against sentinels such as [ErrMalformedQuery] and
// [ErrInvalidSession]. [IsRetryable] is the one place that decides
// whether a failure is worth retrying; the client retries those itself,
// with jittered exponential backoff, up to [Config.MaxRetries] times and
// while the context lasts. A 401 INVALID_SESSION_ID makes the client
// invalidate the token and retry once with a fresh one.
//
// Access tokens never appear in errors or logs, and response bodies that
// are not Salesforce error JSON are never echoed.
//
// [Client.Do] is the low-level call the other methods (and package bulk)
// are built on.
//
// A [Client] is safe for concurrent use; a [Rows] is not.
package rest
