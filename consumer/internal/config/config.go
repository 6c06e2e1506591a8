package config

import (
	"log/slog"
	"time"

	"github.com/sfsync/sfsync/platform/kafkaconf"
	"github.com/sfsync/sfsync/platform/registry"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// Defaults of [Config] fields. A field left out of the file and the
// environment, or set to its zero value, takes its default.
const (
	DefaultKafkaClientID   = "sfsync-consumer"
	DefaultGroup           = "sfsync-consumer"
	DefaultDeadLetterTopic = "sfsync.consumer.dead-letter"
	DefaultRefetchTopic    = "sfsync.refetch"
	DefaultReconcileTopic  = "sfsync.reconcile-requests"
	DefaultDedupTTL        = 72 * time.Hour
	DefaultBatchSize       = 1000
	DefaultBatchWait       = 50 * time.Millisecond
	DefaultBatchLanes      = 2
	DefaultBatchTimeout    = time.Minute
	DefaultShutdownTimeout = 10 * time.Second
	DefaultMetricsAddr     = "127.0.0.1:9465"
)

// DefaultDedupPrefix returns the default Redis key prefix of a consumer
// group: "sfsync:dedup:<group>:".
func DefaultDedupPrefix(group string) string { return "sfsync:dedup:" + group + ":" }

// Config is the consumer's configuration, parsed once in main by [Load].
// A Config is a plain value and not safe for concurrent mutation; its
// String, GoString and LogValue never show a secret.
type Config struct {
	// MappingSection holds the mapping file (key mapping) and the
	// mapping read from it by [Config.Validate], nil until then.
	svcconfig.MappingSection `yaml:",inline"`
	// Kafka says where envelopes come from and dead letters go.
	Kafka Kafka `yaml:"kafka"`
	// SchemaRegistry, when its url is set, makes the envelope topics and
	// their .latest topics carry the Confluent Schema Registry wire format
	// (magic byte 0, 4-byte schema id) with the envelope schema registered
	// under "<topic>-value", BACKWARD compatible; records of either framing
	// are read. The default, no url, is Avro single-object framing.
	SchemaRegistry registry.Settings `yaml:"schema_registry"`
	// Postgres is the database the records are applied to.
	Postgres Postgres `yaml:"postgres"`
	// Redis is the optional duplicate filter.
	Redis Redis `yaml:"redis"`
	// Batch tunes the batches applied in one transaction.
	Batch Batch `yaml:"batch"`
	// Runtime holds the process settings: shutdown_timeout bounds how
	// long the batch in progress may take to finish after SIGTERM or a
	// rebalance (past it, its transaction is rolled back and its records
	// are read again later; the default is 10s), metrics_addr serves
	// /metrics, /healthz and /readyz (the default is 127.0.0.1:9465,
	// loopback only), then metrics_public, log_level and log_format.
	svcconfig.Runtime `yaml:",inline"`
}

// Kafka configures the Kafka client, the consumer group and its topics.
type Kafka struct {
	// Conn holds the brokers, client id (the default is
	// sfsync-consumer), TLS and SASL; its Transport and Dialer make the
	// kafka-go clients.
	kafkaconf.Conn `yaml:",inline"`
	// Group is the consumer group, also the key of the consumed offsets
	// in PostgreSQL; the default is sfsync-consumer.
	Group string `yaml:"group"`
	// Topics are the envelope topics consumed; the default is the
	// distinct kafka_topic of every object of the mapping. Each must be
	// one of them.
	Topics []string `yaml:"topics"`
	// DeadLetterTopic receives the records that cannot be decoded or
	// applied; the default is sfsync.consumer.dead-letter. It is created
	// (one partition) when missing.
	DeadLetterTopic string `yaml:"dead_letter_topic"`
	// RefetchTopic receives the GAP_* and GAP_OVERFLOW envelopes, for the
	// reconciler to read the records again; the default is
	// sfsync.refetch. It is created (one partition) when missing.
	RefetchTopic string `yaml:"refetch_topic"`
	// ReconcileTopic receives the consumer's reconciliation requests,
	// sent when Kafka deleted records (retention) before they were read:
	// the reconciler then verifies every object of the topic. The default
	// is sfsync.reconcile-requests, the producer's (replay.reconcile_topic)
	// and the reconciler's (kafka.reconcile_topic). It is created (one
	// partition) when missing.
	ReconcileTopic string `yaml:"reconcile_topic"`
}

// Postgres configures the database.
type Postgres struct {
	// URL is the connection string, as a URL
	// (postgres://user:password@host:5432/db?sslmode=verify-full) or in
	// keyword=value form; required. Tables are created in the first
	// schema of its search_path. Its password never prints; better set
	// it in SFSYNC_CONSUMER_POSTGRES_URL or PGPASSWORD.
	URL URL `yaml:"url"`
}

// Redis configures the duplicate filter, an optimisation only: without
// it, or while it is down, repeats are absorbed by PostgreSQL's version
// guards.
type Redis struct {
	// URL is redis://[user:password@]host:port/db or rediss:// for TLS;
	// the default, empty, runs without the filter. Its password never
	// prints.
	URL URL `yaml:"url"`
	// Prefix starts every key the filter writes; the default is
	// sfsync:dedup:<kafka.group>:.
	Prefix string `yaml:"prefix"`
	// TTL is how long an envelope's key is remembered; the default is
	// 72h, Salesforce's event retention.
	TTL time.Duration `yaml:"ttl"`
}

// Batch tunes the batches applied in one PostgreSQL transaction.
type Batch struct {
	// Size bounds the records per batch; the default is 1000.
	Size int `yaml:"size"`
	// Wait bounds how long a batch waits to fill after its first record
	// while the previous batch is being applied (an idle lane applies at
	// once); the default is 50ms.
	Wait time.Duration `yaml:"wait"`
	// Lanes is how many batches are applied at once, each by its own
	// share of the partitions, in its own transaction; the default is 2.
	Lanes int `yaml:"lanes"`
	// Timeout bounds one attempt to apply a batch: past it the
	// transaction is rolled back and the batch retried. It is also the
	// PostgreSQL sessions' statement_timeout, unless postgres.url sets
	// one. The default is 1m.
	Timeout time.Duration `yaml:"timeout"`
}

// Default returns the configuration with every default and nothing else:
// no mapping, brokers or database.
func Default() Config { return service.Default() }

// setDefaults gives every zero field its default, as kafka-go's Writer
// and watermill do. Kafka.Topics takes its default from the mapping, in
// [Config.Validate].
func (c *Config) setDefaults() {
	svcconfig.SetDefault(&c.Kafka.ClientID, DefaultKafkaClientID)
	svcconfig.SetDefault(&c.Kafka.Group, DefaultGroup)
	svcconfig.SetDefault(&c.Kafka.DeadLetterTopic, DefaultDeadLetterTopic)
	svcconfig.SetDefault(&c.Kafka.RefetchTopic, DefaultRefetchTopic)
	svcconfig.SetDefault(&c.Kafka.ReconcileTopic, DefaultReconcileTopic)
	svcconfig.SetDefault(&c.Redis.Prefix, DefaultDedupPrefix(c.Kafka.Group))
	svcconfig.SetDefault(&c.Redis.TTL, DefaultDedupTTL)
	svcconfig.SetDefault(&c.Batch.Size, DefaultBatchSize)
	svcconfig.SetDefault(&c.Batch.Wait, DefaultBatchWait)
	svcconfig.SetDefault(&c.Batch.Timeout, DefaultBatchTimeout)
	svcconfig.SetDefault(&c.Batch.Lanes, DefaultBatchLanes)
	c.Runtime.SetDefaults(DefaultShutdownTimeout, DefaultMetricsAddr)
}

// Secret is a credential; it prints as "[REDACTED]" (see
// [svcconfig.Secret]).
type Secret = svcconfig.Secret

// URL is a connection string that may hold a password; it prints with
// the password masked (see [svcconfig.URL]).
type URL = svcconfig.URL

// String returns c as "key=value" pairs in file order, secrets shown as
// [REDACTED] when set and URLs without their password.
func (c Config) String() string { return "config.Config{" + svcconfig.Format(&c) + "}" }

// GoString is [Config.String], so that %#v redacts too.
func (c Config) GoString() string { return c.String() }

// LogValue logs every setting as nested groups, secrets as [REDACTED]
// when set and URLs without their password.
func (c Config) LogValue() slog.Value { return svcconfig.LogValue(&c) }
