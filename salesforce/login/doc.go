// Package login turns a service's [svcconfig.Salesforce] settings into
// Salesforce clients, so that every service logs in the same way.
//
// [OAuthConfig] and [PubSubConfig] translate the settings into the
// configurations of the oauth and pubsub packages. [Open] logs in, with
// the OAuth grant or the static access token, and returns a [Session]
// holding the org id and a REST client; [Session.DialPubSub] opens a
// Pub/Sub API client with the same credentials.
//
// Secrets never print: keys, client secrets and tokens are
// [oauth.Secret] values in the results, and errors never quote them.
package login
