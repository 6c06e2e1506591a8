// Package config is the producer's configuration: one YAML file (see
// producer/producer.example.yaml) plus SFSYNC_PRODUCER_* environment
// overrides, validated with messages naming the file and line, or the
// variable, of every problem.
//
// main calls [Load] once, passing os.LookupEnv, logs [Config.Warnings],
// and builds its dependencies from the result: the salesforce/login
// package's Open for Salesforce, [Kafka.Transport] and
// [Kafka.Dialer] for Kafka (TLS and SASL: PLAIN, SCRAM-SHA-256,
// SCRAM-SHA-512, and AWS MSK IAM through SASL/OAUTHBEARER with tokens from
// github.com/aws/aws-msk-iam-sasl-signer-go).
//
// The YAML loader, the environment overrides, the redaction, and the
// Salesforce and Kafka connection settings are the conventions every
// sfsync service shares, in schemas/svcconfig and
// platform/kafkaconf; this package adds the producer's own
// settings and turns the Salesforce settings into oauth and pubsub
// configurations.
//
// Secrets (client_secret, access_token, kafka.sasl.password) are
// [svcconfig.Secret] values: they print as "[REDACTED]" with every fmt
// verb, in log/slog and in errors. Private keys are read only when
// needed and never kept in a Config.
package config
