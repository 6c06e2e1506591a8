// Package diff finds drift between PostgreSQL and Salesforce and repairs
// it through Kafka.
//
// A [Differ] compares one mapped object at a time, in two modes.
// [Differ.Incremental] reads the records Salesforce changed in a recent
// window (deletes included) and compares each with its row.
// [Differ.Full] compares everything without moving it twice: PostgreSQL
// hashes its rows in SQL, per key range (count and XOR of row hashes);
// the Salesforce records are hashed in Go as they stream, once, in id
// order; only the ranges whose hashes differ are kept, bisected against
// PostgreSQL sub-range hashes down to ranges of a few dozen records, and
// compared row by row there. Both sides hash the same canonical text of a
// row (see canon.go), and order keys ignoring ASCII case, as Salesforce
// compares ids.
//
// Only live records are compared: a tombstone row and a deleted record
// agree. A record live in Salesforce whose row is absent or a tombstone
// is [Missing]; a live row whose record is deleted or unknown is
// [Extra]; a live pair with other values is [Different], with its
// differing fields (values hidden for fields the mapping marks
// sensitive).
//
// A difference the stream fixes within the grace period is not drift:
// the differing records are read again on both sides after it and only
// what persists is reported. Unless dry-run, each persisting difference
// is repaired by a corrective envelope (SNAPSHOT of the Salesforce
// record, or DELETE) one sequence newer than the newest version its row
// holds, so that it beats the row and loses to any later streamed
// change. The consumer applies it; the differ writes no rows.
package diff
