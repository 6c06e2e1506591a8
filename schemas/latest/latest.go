// Package latest names the parts of the latest-state topics' contract
// that their writer (the reconciler) and their readers (a consumer
// bootstrapping a store of its own) share.
//
// # The topics
//
// Each envelope topic T has a latest-state topic T followed by a suffix,
// [Suffix] by default (sfsync.account.latest), with
// cleanup.policy=compact, keyed by record id. The value of a live record
// is a SNAPSHOT envelope holding every mapped field, stamped with the
// newest version (commit number, sequence number) of the record's row in
// sfsync's PostgreSQL; a deleted record has a tombstone (a null value).
// A SNAPSHOT's record also has the header [HeaderVersions]: the version
// of each field, since the fields of one record can come from changes of
// different versions.
//
// # The position
//
// The reconciler commits, for the Kafka consumer group [PositionGroup]
// (a group no process joins), an offset per partition of every envelope
// topic T: the latest-state topic of T then holds the effect of every
// envelope of that partition before that offset. An offset of 0 means
// that no envelope of the partition is known to be held: a reader
// follows that partition from the start of its log. A reader that
// fetches the position first, then reads the latest-state topic to the
// end offsets it has after that, and then follows T from the position,
// misses no envelope. One that applies each latest-state record with its
// fields' versions ([HeaderVersions]) and keeps the newest change of each
// field, as sfsync's consumer does, ends with the same fields as sfsync's
// database: an envelope it reads twice (its effect in the latest-state
// topic, and again from T) changes nothing.
package latest

// Suffix is appended to an envelope topic to name its latest-state topic
// unless configured otherwise.
const Suffix = ".latest"

// PositionGroup is the Kafka consumer group under which the reconciler
// commits the position of the latest-state topics unless configured
// otherwise. It is under the reconciler's group prefix, so the
// reconciler's Kafka rights cover it; readers need Describe on it.
const PositionGroup = "sfsync-reconciler-latest"

// Topic returns the latest-state topic of the envelope topic topic:
// topic then suffix, or then [Suffix] when suffix is "".
func Topic(topic, suffix string) string {
	if suffix == "" {
		suffix = Suffix
	}
	return topic + suffix
}

// HeaderVersions is the header of a latest-state record that holds its
// [Versions] as JSON.
const HeaderVersions = "sfsync-versions"

// Versions are the versions of a record's fields, as sfsync's PostgreSQL
// keeps them: Base, the version most fields share, and Fields, those
// that differ, by field name, with "$deleted" for whether the record is
// deleted. A version is [commit number, sequence number]; [0, 0] is a
// field no change has set. A reader that keeps each field at its own
// version, rather than the SNAPSHOT's one, applies later changes exactly
// as sfsync does, even a change older than the newest field that reaches
// it through another partition.
type Versions struct {
	Base   [2]int64            `json:"base"`
	Fields map[string][2]int64 `json:"fields,omitempty"`
}

// Of returns the version of field name: commit and sequence number, and
// false when no change has set it.
func (v *Versions) Of(name string) (commit int64, seq int32, ok bool) {
	x, found := v.Fields[name]
	if !found {
		x = v.Base
	}
	return x[0], int32(x[1]), x != [2]int64{}
}
