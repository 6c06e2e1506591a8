// Package retry spaces the consumer's retries with
// [github.com/cenkalti/backoff/v5]: [New] gives an exponential backoff
// with jitter, so that replicas that failed together do not retry
// together, and [Sleep] waits one step or until its context ends.
package retry
