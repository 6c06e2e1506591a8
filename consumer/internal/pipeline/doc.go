// Package pipeline runs the consumer as stages: it joins a Kafka
// consumer group (group.go), reads its partitions from the offsets
// PostgreSQL holds ([reader], which also reports the records Kafka
// deleted before they were read), and shares them among lanes (lane.go),
// each running its batches through decode ([decoder]), the duplicate
// filter (Redis, [filter]), the output of markers and dead letters
// (Kafka, [output], records built by package dlq), apply with the
// offsets (one PostgreSQL transaction, [applier]), then mark (Redis) and
// commit (Kafka, for lag tools). [readiness] says whether the consumer
// is ready. [Consumer] wires the stages; [Metrics] are their metrics.
package pipeline
