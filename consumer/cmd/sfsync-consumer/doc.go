// Command sfsync-consumer applies sfsync envelopes from Kafka to
// PostgreSQL, and inspects and replays its dead letters.
//
//	sfsync-consumer [--config FILE] [--check]
//	sfsync-consumer --version | --probe URL
//	sfsync-consumer dlq list [--config FILE] [--limit N] [--format table|json]
//	sfsync-consumer dlq replay [--config FILE] [--dry-run] (--origin-offset TOPIC:PARTITION:OFFSET ... | --all)
//	sfsync-consumer bootstrap [--config FILE] [--no-follow] [--suffix S] [--position-group G]
//
// See the README and consumer.example.yaml.
package main
