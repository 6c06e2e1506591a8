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

// Column is a bookkeeping column: its name and its SQL definition (type,
// nullability and default) as in CREATE TABLE.
type Column struct {
	Name       string
	Definition string
}

// Bookkeeping lists the bookkeeping columns in the order the consumer
// adds them to a table, with their definitions.
var Bookkeeping = []Column{
	{Deleted, "boolean NOT NULL DEFAULT false"},
	{BaseCommit, "bigint NOT NULL DEFAULT 0"},
	{BaseSeq, "integer NOT NULL DEFAULT 0"},
	{Versions, "jsonb NOT NULL DEFAULT '{}'"},
	{CommitTimestamp, "timestamptz"},
	{SyncedAt, "timestamptz NOT NULL DEFAULT now()"},
}

// OffsetsTable is the consumer's table of applied offsets, one row per
// consumer group, topic and partition, written in the transaction that
// applies the records they cover. Its columns are consumer_group, topic,
// partition and next_offset.
const OffsetsTable = "sfsync_consumer_offsets"
