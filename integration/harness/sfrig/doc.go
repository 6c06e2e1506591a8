// Package sfrig sets up the Salesforce side of a service test: sffake,
// the Salesforce emulator, started for the test ([StartSalesforce]), a
// Pub/Sub client of it ([DialPubSub]), and the configuration text that
// points a service at it: the `salesforce` section ([SalesforceYAML]), a
// whole producer configuration ([ProducerYAML]) and a mapping of Account
// ([AccountMapping]).
//
// It is a package of its own, beside [github.com/sfsync/sfsync/integration/harness],
// so that the tests that need no Salesforce (the consumer's) do not
// require the salesforce module.
package sfrig
