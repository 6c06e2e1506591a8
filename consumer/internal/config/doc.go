// Package config is the consumer's configuration: one YAML file (see
// consumer/consumer.example.yaml) plus SFSYNC_CONSUMER_* environment
// overrides, validated with messages naming the file and line, or the
// variable, of every problem, and suggesting the key meant when one is
// misspelt.
//
// main calls [Load] once, passing os.LookupEnv, logs [Config.Warnings],
// and builds its dependencies from the result: [Kafka.Transport] and
// [Kafka.Dialer] for Kafka (TLS and SASL: PLAIN, SCRAM-SHA-256,
// SCRAM-SHA-512, and AWS MSK IAM through SASL/OAUTHBEARER with tokens from
// github.com/aws/aws-msk-iam-sasl-signer-go), [Postgres.URL] and
// [Redis.URL] for the stores.
//
// The YAML loader, the environment overrides, the redaction and the
// Kafka connection settings are the conventions every sfsync service
// shares, in schemas/svcconfig and platform/kafkaconf.
//
// Secrets never print: kafka.sasl.password is a [Secret], shown as
// "[REDACTED]", and postgres.url and redis.url are [URL] values, shown
// with their password masked, with every fmt verb, in log/slog and in
// errors.
package config
