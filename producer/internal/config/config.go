package config

import (
	"log/slog"
	"time"

	"github.com/sfsync/sfsync/platform/kafkaconf"
	"github.com/sfsync/sfsync/platform/registry"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// Defaults of [Config] fields. A field left out of the file and the
// environment, or set to its zero value, takes its default.
const (
	DefaultLoginURL           = oauth.DefaultLoginURL
	DefaultPubSubEndpoint     = pubsub.DefaultEndpoint
	DefaultLimitsPollInterval = time.Minute
	DefaultKafkaClientID      = "sfsync-producer"
	DefaultRequiredAcks       = "all"
	DefaultBatchSize          = 500
	DefaultBatchTimeout       = 5 * time.Millisecond
	DefaultMaxInFlight        = 10_000
	DefaultCheckpointTopic    = "sfsync.checkpoints"
	DefaultDeadLetterTopic    = "sfsync.producer.dead-letter"
	ReplayedSuffix            = ".replayed" // of the default kafka.dead_letter_replayed_topic
	DefaultReplayPolicy       = "fail"
	DefaultReconcileTopic     = "sfsync.reconcile-requests"
	DefaultCapacity           = pubsub.DefaultCapacity
	DefaultStart              = "earliest"
	DefaultStallTimeout       = pubsub.DefaultStallTimeout
	DefaultBackoffMin         = time.Second // stream.DefaultBackoffMin
	DefaultBackoffMax         = time.Minute // stream.DefaultBackoffMax
	DefaultCheckpointInterval = time.Second
	DefaultShutdownTimeout    = 30 * time.Second
	DefaultPartitionKeyCache  = 1_000_000 // keys.DefaultCapacity
	DefaultMetricsAddr        = "127.0.0.1:9464"
)

// Config is the producer's configuration, parsed once in main by [Load].
// A Config is a plain value and not safe for concurrent mutation; its
// String, GoString and LogValue never show a secret.
type Config struct {
	// MappingSection holds the mapping file (key mapping) and the
	// mapping read from it by [Config.Validate], nil until then.
	svcconfig.MappingSection `yaml:",inline"`
	// Salesforce says where events come from and how to authenticate.
	Salesforce Salesforce `yaml:"salesforce"`
	// Kafka says where records go.
	Kafka Kafka `yaml:"kafka"`
	// SchemaRegistry, when its url is set, makes the envelope topics and
	// their .latest topics carry the Confluent Schema Registry wire format
	// (magic byte 0, 4-byte schema id) with the envelope schema registered
	// under "<topic>-value", BACKWARD compatible; records of either framing
	// are read. The default, no url, is Avro single-object framing.
	SchemaRegistry registry.Settings `yaml:"schema_registry"`
	// Replay says what to do when Salesforce refuses a stored replay id.
	Replay Replay `yaml:"replay"`
	// Subscription tunes each Pub/Sub subscription.
	Subscription Subscription `yaml:"subscription"`
	// CheckpointInterval is how often a subscription saves its newest
	// safe replay id; the default is 1s.
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
	// PartitionKeyCache is how many records' partition keys the producer
	// remembers, over all objects, to key the updates and deletes whose
	// change events do not carry the partition key field without asking
	// Salesforce; the least recently used are forgotten first. An entry
	// takes about 50 bytes; the default is 1000000.
	PartitionKeyCache int `yaml:"partition_key_cache"`
	// Runtime holds the process settings: shutdown_timeout bounds the
	// drain, flush and checkpoint after SIGTERM (the default is 30s),
	// metrics_addr serves /metrics, /healthz and /readyz (the default is
	// 127.0.0.1:9464, loopback only), then metrics_public, log_level and
	// log_format.
	svcconfig.Runtime `yaml:",inline"`
}

// Salesforce configures the Pub/Sub API connection and its
// authentication: the connection settings every service shares (see
// [svcconfig.Salesforce]: exactly one of an OAuth grant or a static
// access token) and the producer's own.
type Salesforce struct {
	svcconfig.Salesforce `yaml:",inline"`

	// LimitsPollInterval is how often the producer reads the org's
	// /limits resource (a REST call, which counts against
	// DailyApiRequests) to export the use of the delivery allocation, the
	// hourly publishing allocation and DailyApiRequests as metrics; the
	// default is 1m. A negative value, such as -1s,
	// disables polling; 0, like every setting, takes the default.
	LimitsPollInterval time.Duration `yaml:"limits_poll_interval"`
}

// Kafka configures the Kafka client. Records are always written with
// acks from all in-sync replicas (see RequiredAcks): a replay id is
// checkpointed only once every record up to it is durable.
type Kafka struct {
	// Conn holds the brokers, client id (the default is
	// sfsync-producer), TLS and SASL; its Transport and Dialer make the
	// kafka-go clients.
	kafkaconf.Conn `yaml:",inline"`
	// RequiredAcks can only be "all", its default: it is here to be
	// visible, not to be changed.
	RequiredAcks string `yaml:"required_acks"`
	// BatchSize is the most records per produce request to one
	// partition; the default is 500.
	BatchSize int `yaml:"batch_size"`
	// BatchTimeout is how long a partial batch waits for more records;
	// the default is 5ms, as freshness matters more than batch size.
	BatchTimeout time.Duration `yaml:"batch_timeout"`
	// MaxInFlight bounds the records written and not yet acknowledged;
	// when reached, the producer stops requesting events from
	// Salesforce. The default is 10000.
	MaxInFlight int `yaml:"max_in_flight"`
	// CheckpointTopic is the compacted topic holding replay checkpoints;
	// the default is sfsync.checkpoints.
	CheckpointTopic string `yaml:"checkpoint_topic"`
	// DeadLetterTopic receives events that cannot become envelopes; the
	// default is sfsync.producer.dead-letter.
	DeadLetterTopic string `yaml:"dead_letter_topic"`
	// DeadLetterReplayedTopic is the compacted topic where `dlq replay`
	// records the dead letters it replayed, one record per dead letter, so
	// that a second replay skips them; the default is DeadLetterTopic
	// followed by ".replayed". It is created at the first replay.
	DeadLetterReplayedTopic string `yaml:"dead_letter_replayed_topic"`
	// TopicPartitionsExpected maps topics to the partition count that
	// --check verifies; the default is empty (only existence is checked).
	TopicPartitionsExpected map[string]int `yaml:"topic_partitions_expected"`
}

// Replay policies: what to do when Salesforce refuses a stored replay id
// as invalid or expired.
const (
	// PolicyFail stops with a message saying what happened and what to
	// run; the default.
	PolicyFail = "fail"
	// PolicyEarliest resubscribes from the oldest retained event and
	// requests a reconciliation.
	PolicyEarliest = "earliest"
	// PolicyLatest resubscribes from new events and requests a
	// reconciliation.
	PolicyLatest = "latest"
)

// Replay configures the handling of refused replay ids.
type Replay struct {
	// Policy is fail (the default), earliest or latest.
	Policy string `yaml:"policy"`
	// ReconcileTopic is where the earliest and latest policies publish a
	// reconciliation request for the reconciler; the default is
	// sfsync.reconcile-requests.
	ReconcileTopic string `yaml:"reconcile_topic"`
}

// Subscription tunes each Pub/Sub subscription.
type Subscription struct {
	// Capacity is how many events a subscription holds, buffered plus
	// requested from Salesforce: the backpressure bound; the default is
	// 100.
	Capacity int `yaml:"capacity"`
	// Start is where a subscription without a stored replay id begins:
	// earliest (the default, so that no retained event is missed) or
	// latest.
	Start string `yaml:"start"`
	// StallTimeout resubscribes when nothing, not even a keepalive,
	// arrives for that long; the default is 5m. It must exceed the
	// server's 270s keepalive interval.
	StallTimeout time.Duration `yaml:"stall_timeout"`
	// BackoffMin and BackoffMax bound the jittered delay between
	// resubscriptions; the defaults are 1s and 1m.
	BackoffMin time.Duration `yaml:"backoff_min"`
	BackoffMax time.Duration `yaml:"backoff_max"`
}

// Default returns the configuration with every default and nothing else:
// no mapping, brokers or credentials.
func Default() Config { return service.Default() }

// setDefaults gives every zero field its default, as kafka-go's Writer
// and watermill do.
func (c *Config) setDefaults() {
	svcconfig.SetDefault(&c.Salesforce.LoginURL, DefaultLoginURL)
	svcconfig.SetDefault(&c.Salesforce.PubSubEndpoint, DefaultPubSubEndpoint)
	svcconfig.SetDefault(&c.Salesforce.LimitsPollInterval, DefaultLimitsPollInterval)
	svcconfig.SetDefault(&c.Kafka.ClientID, DefaultKafkaClientID)
	svcconfig.SetDefault(&c.Kafka.RequiredAcks, DefaultRequiredAcks)
	svcconfig.SetDefault(&c.Kafka.BatchSize, DefaultBatchSize)
	svcconfig.SetDefault(&c.Kafka.BatchTimeout, DefaultBatchTimeout)
	svcconfig.SetDefault(&c.Kafka.MaxInFlight, DefaultMaxInFlight)
	svcconfig.SetDefault(&c.Kafka.CheckpointTopic, DefaultCheckpointTopic)
	svcconfig.SetDefault(&c.Kafka.DeadLetterTopic, DefaultDeadLetterTopic)
	svcconfig.SetDefault(&c.Kafka.DeadLetterReplayedTopic, c.Kafka.DeadLetterTopic+ReplayedSuffix)
	svcconfig.SetDefault(&c.Replay.Policy, DefaultReplayPolicy)
	svcconfig.SetDefault(&c.Replay.ReconcileTopic, DefaultReconcileTopic)
	svcconfig.SetDefault(&c.Subscription.Capacity, DefaultCapacity)
	svcconfig.SetDefault(&c.Subscription.Start, DefaultStart)
	svcconfig.SetDefault(&c.Subscription.StallTimeout, DefaultStallTimeout)
	svcconfig.SetDefault(&c.Subscription.BackoffMin, DefaultBackoffMin)
	svcconfig.SetDefault(&c.Subscription.BackoffMax, DefaultBackoffMax)
	svcconfig.SetDefault(&c.CheckpointInterval, DefaultCheckpointInterval)
	svcconfig.SetDefault(&c.PartitionKeyCache, DefaultPartitionKeyCache)
	c.Runtime.SetDefaults(DefaultShutdownTimeout, DefaultMetricsAddr)
}

// String returns c as "key=value" pairs in file order, secrets shown as
// [REDACTED] when set.
func (c Config) String() string { return "config.Config{" + svcconfig.Format(&c) + "}" }

// GoString is [Config.String], so that %#v redacts too.
func (c Config) GoString() string { return c.String() }

// LogValue logs every setting as nested groups, secrets as [REDACTED]
// when set.
func (c Config) LogValue() slog.Value { return svcconfig.LogValue(&c) }
