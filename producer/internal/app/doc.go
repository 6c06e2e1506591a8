// Package app wires the producer from its configuration: the Salesforce
// credentials and Pub/Sub client, the Kafka sink, the checkpoints and
// reconcile requests (package replay), one stream per Pub/Sub topic of
// the mapping, and the HTTP endpoints (/metrics, /healthz, /readyz).
// main only parses flags and calls [Run], [Check], [ListDeadLetters] or
// [ReplayDeadLetters].
//
// [Run] only builds and starts: which Kafka topics to create
// (planTopics), what each stream is given (streamConfig) and how the
// streams stop together (runAll) are functions of their own, tested
// without services.
package app
