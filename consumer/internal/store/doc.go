// Package store keeps the mapped objects in PostgreSQL: [Store.Migrate]
// creates the tables and columns the mapping names (never dropping or
// narrowing), and [Store.Apply] applies a batch of envelopes and the
// offsets it reaches in one transaction with set-based statements, under
// the rules of the apply package. Each table holds the mapped columns and
// bookkeeping columns: _sf_deleted (a tombstone, so that a late, older
// change cannot bring a deleted record back), the cells' versions
// (_sf_base_commit, _sf_base_seq and _sf_versions), _sf_commit_timestamp
// and _sf_synced_at.
package store
