package tablelayout

// Bookkeeping columns of every mapped table.
const (
	// Deleted is a boolean: whether the record is deleted (the row is a
	// tombstone). Default false.
	Deleted = "_sf_deleted"
	// BaseCommit is a bigint: the commit number of the version most cells
	// of the row share. Default 0.
	BaseCommit = "_sf_base_commit"
	// BaseSeq is an integer: the sequence number, within BaseCommit, of
	// the version most cells of the row share. Default 0.
	BaseSeq = "_sf_base_seq"
	// Versions is a jsonb object of the cells whose version differs from
	// the base one, as {"Field": [commit, seq]}. Default {}.
	Versions = "_sf_versions"
	// CommitTimestamp is a timestamptz: the Salesforce commit time of the
	// newest change applied to the row; NULL when unknown.
	CommitTimestamp = "_sf_commit_timestamp"
	// SyncedAt is a timestamptz: when sfsync last wrote the row. Default
	// now().
	SyncedAt = "_sf_synced_at"
)

// Bookkeeping lists the bookkeeping columns in the order the consumer
// adds them to a table.
var Bookkeeping = []string{Deleted, BaseCommit, BaseSeq, Versions, CommitTimestamp, SyncedAt}

// OffsetsTable is the consumer's table of applied offsets, one row per
// consumer group, topic and partition, written in the transaction that
// applies the records they cover. Its columns are consumer_group, topic,
// partition and next_offset.
const OffsetsTable = "sfsync_consumer_offsets"
