// Package oauth obtains Salesforce access tokens for server integrations:
// the OAuth 2.0 JWT bearer flow, the client-credentials flow and, for
// examples only, the username-password flow. It POSTs a form to
// {LoginURL}/services/oauth2/token and turns the JSON answer into a
// [Token], whose OrgID is the Pub/Sub tenantid.
//
// A [Client] fetches one token per call. A [TokenSource] caches the
// current token for many goroutines: Salesforce returns no expiry, so a
// caller whose request is rejected (HTTP 401 INVALID_SESSION_ID, Pub/Sub
// service.auth.error) calls [TokenSource.Invalidate] and then
// [TokenSource.Token], and concurrent callers share a single fetch. An
// optional maximum age refreshes tokens before they are rejected.
//
// [Credentials] is how the API clients (pubsub, rest) take their token:
// a [Bearer] per call, and Invalidate when the server rejects it.
// [SourceCredentials] adapts a [TokenSource] to it, [StaticCredentials]
// gives a fixed bearer for emulators and tests.
//
// Failures from the token endpoint are [*Error] values carrying the HTTP
// status and Salesforce's error and error_description; [IsRetryable] is the
// one place that decides whether trying again can help.
//
// Secrets never reach output: the access token, client secret, password
// and private key are [Secret] values, which print, log (log/slog) and
// marshal to JSON as "[REDACTED]", and error messages never include a
// request body.
//
// For the emulator's side of the flow, [VerifyAssertion] checks a JWT
// bearer assertion (RS256 signature, audience, expiry) and fails with the
// error Salesforce returns.
package oauth
