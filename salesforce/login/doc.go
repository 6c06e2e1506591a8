// Package login logs in to a Salesforce org the same way for every
// client: [Open] logs in, with an OAuth grant or a static access token as
// its [Config] says, and returns a [Session] holding the org id and a
// REST client; [Session.DialPubSub] opens a Pub/Sub API client with the
// same credentials, configured by [PubSubConfig].
//
// The package knows no configuration file: the sfsync services build a
// [Config] from their salesforce settings with
// github.com/sfsync/sfsync/platform/sflogin.
//
// Secrets never print: keys, client secrets and tokens are
// [oauth.Secret] values, and errors never quote them.
package login
