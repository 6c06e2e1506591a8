// Package deadletter holds the contract of sfsync's dead-letter topics:
// the names of the headers a dead letter carries, the values of its
// [HeaderOrigin] header, and the TOPIC:PARTITION:OFFSET form of a
// [Position] that the services' "dlq" tools print and take, and that the
// consumer's replay writes in [HeaderReplayedFrom].
//
// The producer's dead letters are Salesforce events it could not turn into
// envelopes: the key is the event id, the value the event's Avro payload as
// received, and the headers [HeaderReason], [HeaderOrigin] ([OriginSalesforce]),
// [HeaderOriginTopic] (the Pub/Sub topic), [HeaderReplayID] (hex),
// [HeaderEventID], [HeaderSchemaID] and [HeaderTime]. An event whose
// envelopes are larger than their Kafka topic takes is dead-lettered
// without its payload (an empty value): [HeaderReason] then starts with
// [ReasonOversized], and [HeaderEntity], [HeaderRecordIDs],
// [HeaderChangeType], [HeaderTrimmed] ([TrimmedPayload]), [HeaderSize] and
// [HeaderLimit] say what it was about and why it was left out; so does
// any dead letter too large for the dead-letter topic itself.
//
// The consumer's dead letters are Kafka records it could not decode or
// apply: the original key, value and headers, plus [HeaderReason],
// [HeaderOrigin] ([OriginConsumer]), [HeaderOriginTopic],
// [HeaderOriginPartition], [HeaderOriginOffset], [HeaderGroup] and
// [HeaderTime]. One that Kafka refuses as too large, even alone, is
// written without its value, with [HeaderTrimmed] ([TrimmedValue]) and
// [HeaderSize].
//
// Header names and origin values only ever gain members; a rename is an
// incompatible change and goes into the CHANGELOG.
package deadletter
