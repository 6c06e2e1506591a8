// Package svcmain is the part of main that every sfsync service binary
// shares, so that each main states only what is its own: the --version
// and --probe flags ([Flags]); the configuration's errors and exit
// status, the logger its log_level and log_format ask for with the
// configuration's warnings logged, running until SIGINT or SIGTERM
// between a "starting" and a "stopped" line, or --check ([Service],
// [Start], [Serve]); and the one-line-a-check output of --check
// ([Check], [Checklist]).
//
// Exit statuses are those of every sfsync binary: 0 on success, 1 on a
// runtime failure, 2 on bad usage or configuration.
package svcmain
