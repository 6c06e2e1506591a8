// Package tablelayout names the parts of sfsync's PostgreSQL table layout
// that more than one service relies on: the bookkeeping columns the
// consumer keeps in every mapped table beside the mapped columns, and the
// table of the consumer's applied offsets.
//
// The consumer creates and writes these columns; the reconciler reads
// them to compare PostgreSQL with Salesforce, to publish the latest-state
// topics and to find records deleted for good. The names are a public
// contract: they change only compatibly, and a change is listed in the
// CHANGELOG.
//
// [Bookkeeping] lists the columns, with their SQL definitions, in the
// order the consumer adds them.
// Every name starts with an underscore, which keeps it apart from the
// mapped columns, whose names the mapping validates.
package tablelayout
