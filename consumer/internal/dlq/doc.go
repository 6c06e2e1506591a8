// Package dlq holds the consumer's dead letters: [Record] builds the
// dead-letter record of a record the consumer cannot decode or apply
// (the original key, value and headers, plus the headers of package
// deadletter saying why and where from), [Trim] the one written without
// its value when Kafka refuses it as too large; [List] prints the
// dead-letter topic and [Replay] re-publishes chosen dead letters to
// their origin topics once the cause is fixed ("sfsync-consumer dlq list"
// and "dlq replay").
package dlq
