// Package connect opens the consumer's connections from its
// configuration and waits for the services to answer: PostgreSQL
// ([Postgres] with retries, [OpenPostgres] once), Redis ([Redis]), and
// Kafka: the writer of dead letters, markers and replays ([Writer]), an
// admin client ([Client], [TopicPartitions]), the topics the consumer
// creates ([EnsureTopics]), and the retry of a Kafka step until it
// succeeds or fails for good ([WaitKafka], [KafkaPermanent]).
package connect
