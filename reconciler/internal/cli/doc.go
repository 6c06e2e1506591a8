// Package cli is the sfsync-reconciler command: [Run] parses the command
// line (the service, verify or backfill, and their flags), loads the
// configuration, and runs the command through package app, returning the
// process's exit status. main passes in the arguments, the output and the
// environment, so the whole command runs in tests.
package cli
