// Package config is the reconciler's configuration: one YAML file (see
// reconciler/reconciler.example.yaml) plus SFSYNC_RECONCILER_*
// environment overrides, validated with messages naming the file and
// line, or the variable, of every problem, and suggesting the key meant
// when one is misspelt. The conventions are those of every sfsync
// service, in schemas/svcconfig and platform/kafkaconf.
//
// main calls [Load] once, passing os.LookupEnv, logs [Config.Warnings],
// and builds its dependencies from the result: the salesforce/login
// package's Open for Salesforce (REST and Bulk API 2.0 queries, and the
// Pub/Sub subscription recording replay positions), [Kafka.Transport] and [Kafka.Dialer] for Kafka, and
// [Postgres.URL] for the database compared with Salesforce.
//
// Secrets never print: client_secret, access_token and
// kafka.sasl.password are [svcconfig.Secret] values, shown as
// "[REDACTED]", and postgres.url is a [svcconfig.URL], shown with its
// password masked, with every fmt verb, in log/slog and in errors.
package config
