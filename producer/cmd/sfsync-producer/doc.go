// Command sfsync-producer streams Salesforce change events into Kafka,
// and inspects and replays its dead letters.
//
//	sfsync-producer --config FILE [--check] [--create-topics N]
//	sfsync-producer --version | --probe URL
//	sfsync-producer dlq list --config FILE [--limit N] [--format table|json]
//	sfsync-producer dlq replay --config FILE [--dry-run] (--origin-offset TOPIC:PARTITION:OFFSET ... | --all)
//
// See the README and producer.example.yaml.
package main
