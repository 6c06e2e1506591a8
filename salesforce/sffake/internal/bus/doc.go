// Package bus is sffake's event bus: per topic, an append-only log of
// stored events, each with an opaque replay id, an event id and the id of
// the schema that wrote it, kept for a retention window.
//
// Replay ids are 8-byte big-endian unsigned sequence numbers drawn from one
// counter shared by every topic of the [Bus], so that, as on Salesforce's
// shared bus, a topic's ids increase but are not contiguous; a configurable
// random gap widens the steps further. [Bus.Tip] is the counter's current
// value: the latest position, which a keepalive reports and which a client
// may resubscribe from.
//
// A [Bus] is safe for concurrent use. Readers wait for appends on the
// channel returned by [Bus.Changed].
package bus
