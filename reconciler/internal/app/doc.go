// Package app wires the reconciler's parts into its commands: the service
// ([Serve]: re-fetch, poll-only objects, the compacted topics and the
// verify loop), [Verify] and [VerifyCompacted]. [Connect] builds the
// [Deps] from the configuration; [ServeOptionsFrom] and
// [VerifyOptions.WithDefaults] turn the configuration into the options.
// Package cli runs the commands.
package app
