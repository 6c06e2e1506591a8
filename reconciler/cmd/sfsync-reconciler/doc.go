// Command sfsync-reconciler proves that PostgreSQL equals Salesforce and
// repairs it when it does not, by publishing corrective envelopes that the
// consumer applies.
//
//	sfsync-reconciler [--config FILE]            the service: GAP re-fetch, reconcile requests, poll-only objects, compacted topics, verify loop
//	sfsync-reconciler verify [--config FILE] [--full] [--window D] [--objects A,B] [--dry-run] [--max-deletes N] [--against postgres|compacted] [--format table|json]
//	sfsync-reconciler backfill [--config FILE] [--objects A,B] [--run NAME]
//	sfsync-reconciler --version
//
// verify exits 0 when in sync, 1 when drift was found, 2 on error. See the
// README and reconciler.example.yaml; the commands live in package cli.
package main
