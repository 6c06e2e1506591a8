// Package retry is the one backoff with jitter of sfsync, on top of
// [github.com/cenkalti/backoff/v5]: a [Backoff] hands out the waits of a
// retry loop, growing exponentially and drawn at random so that replicas
// that failed together do not retry together, and [Sleep] waits one of
// them or until a context ends.
//
// [New] builds a Backoff from a [Policy]. [Halves] (the consumer's
// retries) draws each wait from the upper half of a doubling step;
// [Between] (the Salesforce clients') keeps them within a minimum and a
// maximum as well.
package retry
