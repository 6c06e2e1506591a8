// Package dlqcmd parses the command line of the services' dead-letter
// tools, "dlq list" and "dlq replay", so that sfsync-producer and
// sfsync-consumer take the same flags with the same meanings:
//
//	PROGRAM dlq list [--config FILE] [--limit N] [--format table|json]
//	PROGRAM dlq replay [--config FILE] [--dry-run] (--origin-offset TOPIC:PARTITION:OFFSET ... | --all)
//
// What the commands do is each service's own.
package dlqcmd
