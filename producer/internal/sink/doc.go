// Package sink writes envelopes to Kafka for the producer.
//
// Each envelope goes to its object's topic as one record keyed by the
// envelope's partition key, placed with murmur2 as Java clients place keys
// (kafka-go's Murmur2Balancer), so other tools agree on where a territory
// lives, and acknowledged by every in-sync replica. Writes are
// asynchronous: [Sink.Batch] encodes an event's envelopes and checks
// them against their topic's size limit, [Sink.Write] queues the records
// and returns, and an [Ack] value per record comes back on the caller's
// channel once Kafka acknowledged it or the writer gave up. At most
// [Config.MaxInFlight] records are unacknowledged at a time; Write blocks
// beyond that, which is how a slow Kafka slows the Salesforce
// subscription instead of growing memory.
package sink
