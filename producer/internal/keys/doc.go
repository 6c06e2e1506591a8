// Package keys gives every envelope the partition key of its record, so
// that all changes to a record land on the partition of its creation
// even when their change events do not carry the partition key field.
//
// A change event carries the fields it changed: a CREATE or UNDELETE
// carries every field that is set, an UPDATE only the changed ones, a
// DELETE none. A [Resolver] remembers, for each record it saw, the value
// of its object's partition key field (see mapping.Object.PartitionKey),
// in a least-recently-used cache of bounded size, and asks Salesforce for
// the records it does not know: one queryAll per object and batch (so
// that deleted records are found too), split to stay under the URL length
// limit. A record whose partition key field is null or empty, or that
// Salesforce does not know at all, is keyed by its record id.
//
// Objects whose partition key is their key (the default) need nothing:
// their envelopes are keyed by the record id as normalised. GAP_* and
// overflow envelopes are left as they are.
package keys
