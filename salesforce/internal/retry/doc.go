// Package retry holds the retry delays of the Salesforce clients (rest,
// and pubsub's [Backoff] that callers resubscribe with): one jittered
// exponential [Backoff] on top of github.com/cenkalti/backoff/v5, and
// [Sleep], which waits for a delay or the end of a context.
//
// [Backoff]: https://pkg.go.dev/github.com/sfsync/sfsync/salesforce/pubsub#Backoff
package retry
