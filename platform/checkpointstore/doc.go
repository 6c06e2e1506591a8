// Package checkpointstore keeps the replay checkpoints of
// [github.com/sfsync/sfsync/schemas/checkpoint] in a compacted Kafka
// topic, for the producer, which saves where each Pub/Sub API
// subscription may resume, and the reconciler and the consumer's
// bootstrap, which read them. A [Store] creates that topic
// ([Store.EnsureTopic]), loads the newest checkpoint of every key
// ([Store.Load]) and saves new ones ([Store.Save], [Store.Delete]). The
// checkpoint, its key and its wire format are the schemas module's; this
// package is the Kafka I/O.
package checkpointstore
