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
//
// # Platform events
//
// An object whose mapping has an event block ([mapping.Event]) is fed by a
// custom platform event instead. The event's object field says which of
// the topic's objects it is about (an object the topic does not feed is
// [ErrUnmapped], skipped like unmapped change events); its record id field
// holds one or more comma-separated ids, one envelope each; its change type
// field CREATE, UPDATE, DELETE or UNDELETE, in any case. The values are
// the event fields the mapping names, converted as change event values
// are:
//
//   - CREATE and UNDELETE: every carried field, nulls included (and listed
//     as nulled), and the key; the changed fields are the carried ones.
//   - UPDATE: the carried fields with values, and the carried null fields
//     the event's changed fields name (as nulls, listed as nulled); the
//     changed fields are the mapped fields the event names, carried or
//     not.
//   - DELETE: no values, but the partition key comes from the carried
//     partition key field, so a record's DELETE meets its other changes on
//     one partition.
//
// A platform event rarely carries every mapped field. When the change
// touches one it does not carry (any mapped field but the key, for CREATE
// and UNDELETE; for UPDATE, those its changed fields name, or any when it
// names none), the record's envelope is followed by a GAP_CREATE,
// GAP_UPDATE or GAP_UNDELETE envelope with no values, so that the
// reconciler re-reads the record. It has the same event id, record id and
// version as the data envelope: duplicates are recognised by event id,
// record id and change type together.
//
// Platform events have no commit number. Their envelopes take the commit
// timestamp from the event's CreatedDate; the commit number from
// CreatedDate in Unix microseconds, raised to one more than the previous
// event's of the topic when it is not greater, so that events created in
// the same millisecond (a trigger's CREATE and DELETE of one record can
// be) keep their replay order; the sequence number from the record id's
// position in the event (from 1); the transaction key and event id from
// the event id (EventUuid); and the commit user from CreatedById. The
// raise holds within one producer run: after a restart, events of the
// same millisecond as events before it may tie. These numbers are not
// comparable with Salesforce's system change numbers, so a record must
// never be fed by both change events and a platform event.
//
// An event without an event id, a record id, a known change type, a
// CreatedDate or (on a shared topic) an object name is [ErrBadEvent].
package normalize
