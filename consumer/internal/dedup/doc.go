// Package dedup is the consumer's fast duplicate filter: a Redis set of
// the keys of envelopes already applied, checked and written with one
// pipelined round trip per batch. It is an optimisation only: the store's
// version guards make a repeat harmless, so a [Filter] that cannot reach
// Redis reports nothing as seen and the consumer carries on, slower.
//
// Its keys live under the database's epoch token (see [Filter.SetEpoch]),
// and beside them it keeps, per epoch, the highest offsets committed to
// PostgreSQL when keys were marked (see [Filter.Committed] and
// [Filter.Behind]): a database whose offsets went back behind them (a
// restore from backup, a failover to a lagging replica) would have its
// re-read records skipped as seen, so the consumer moves to a new epoch,
// and so to an empty key space, instead.
package dedup
