// Package sflogin turns a service's [svcconfig.Salesforce] settings, the
// salesforce section of every sfsync service's configuration, into the
// configurations of the salesforce module's login, oauth and pubsub
// packages, so that every service logs in the same way and the
// Salesforce library need not know the services' configuration format.
//
// [OAuthConfig], [PubSubConfig] and [Config] translate the settings;
// [Open] logs in with them ([login.Open]).
//
// It is a module of its own, github.com/sfsync/sfsync/platform/sflogin,
// beside the platform module rather than in it: it requires the
// salesforce module, whose sfemu command requires the platform module
// (its --version and --probe), and a package here inside the platform
// module would make the two modules require each other.
//
// Secrets never print: keys, client secrets and tokens are
// [oauth.Secret] values in the results, and errors never quote them.
package sflogin
