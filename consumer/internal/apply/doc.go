// Package apply holds the consumer's rules for turning envelopes into
// rows, independent of PostgreSQL: a [Record] is a set of cells, each
// holding the newest value of one field with the [Version] of the change
// that set it, so duplicates, replays and changes arriving through
// different partitions never move a field backwards and the end state is
// the one Salesforce holds. The store package keeps the same cells in
// tables and applies batches with set-based statements.
package apply
