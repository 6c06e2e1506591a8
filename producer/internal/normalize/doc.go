// Package normalize turns Salesforce change events, as the Pub/Sub client
// decodes them, into the envelopes sfsync writes to Kafka.
//
// A [Normalizer] follows the mapping file: one envelope per record id of an
// event (a merged event with several record ids yields several), values
// only for mapped fields, compound-field components (BillingAddress.City)
// stored under their flat names (BillingCity), every value converted to the
// kind its PostgreSQL column type needs, and the Kafka key taken from the
// mapping's partition key field, or the record id where the event does not
// carry it. Which fields an envelope holds follows Salesforce's rules for
// the change type:
//
//   - CREATE and UNDELETE: every mapped field the event sets, and the key.
//   - UPDATE: the changed fields, with nulled ones as null values; the
//     bitmaps, not null body values, say which (spec §2.3.3).
//   - DELETE: no values.
//   - GAP_* and GAP_OVERFLOW: no values; they are passed on for the
//     reconciler to re-fetch, never dropped.
//
// A value that cannot become its column's type is an error naming the
// entity, record, field and problem ([ErrBadValue]); the caller sends the
// event to the dead-letter topic.
package normalize
