// Package bitmap decodes and encodes the field lists of Salesforce change
// events: the changedFields, nulledFields and diffFields arrays of a
// ChangeEventHeader, which Pub/Sub API sends as hex bitmaps over the
// fields of the change event's Avro schema.
//
// A list is an array of strings. Its first element, when it starts with
// "0x", is a big-endian hex number whose bit i stands for the field at index
// i of the schema's top-level fields (index 0 is ChangeEventHeader). Each
// further element "P-0x…" is a bitmap over the components of the compound
// field at index P, such as BillingAddress; the decoded names are
// "Parent.Component", e.g. "BillingAddress.City". An empty array lists no
// fields.
//
// [Decode] turns a list into field names and [Encode] does the reverse, for
// the emulator. Both take a [Schema], the top-level field names and the
// components of compound fields; [SchemaFromAvro] builds one from the
// schema JSON that GetSchema returns. Errors wrap [ErrMalformed],
// [ErrOutOfRange], [ErrNotCompound] or [ErrUnknownField].
//
// A bitmap bit beyond the schema's fields is an error, not ignored: the
// schema id pins the exact field list the bitmap was written against, so
// such a bit means the wrong schema or corrupt data, and dropping it would
// silently lose a changed or nulled field (a column that should have been
// nulled would keep its old value).
//
// Decoders of Salesforce's output accept lower-case hex digits, odd digit
// counts and leading zero bytes; [Encode] writes what Salesforce writes:
// upper-case digits, whole bytes, no leading zero bytes.
package bitmap
