package config

import (
	"log/slog"
	"time"

	"github.com/sfsync/sfsync/platform/kafkaconf"
	"github.com/sfsync/sfsync/platform/registry"
	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// Defaults of [Config] fields. A field left out of the file and the
// environment takes its default; so does one set to its zero value,
// except verify.full_every and verify.repair and compact.enabled, where
// 0 and false are meaningful.
const (
	DefaultKafkaClientID     = "sfsync-reconciler"
	DefaultGroup             = "sfsync-reconciler"
	DefaultRefetchTopic      = "sfsync.refetch"
	DefaultReconcileTopic    = "sfsync.reconcile-requests"
	DefaultCheckpointTopic   = "sfsync.checkpoints"
	DefaultCompactedSuffix   = ".latest"
	DefaultVerifyInterval    = 5 * time.Minute
	DefaultVerifyWindow      = 15 * time.Minute
	DefaultVerifyGrace       = 30 * time.Second
	DefaultFullEvery         = 24 * time.Hour
	DefaultRepair            = true
	DefaultPollInterval      = time.Minute
	DefaultDeleteCheckEvery  = 10
	DefaultMaxDeletesPerPass = publish.DefaultMaxDeletes
	DefaultCompact           = true
	DefaultPageSize          = 10_000
	DefaultBulkThreshold     = 10_000
	DefaultShutdownTimeout   = 10 * time.Second
	DefaultMetricsAddr       = "127.0.0.1:9467"
)

// Config is the reconciler's configuration, parsed once in main by
// [Load]. A Config is a plain value and not safe for concurrent
// mutation; its String, GoString and LogValue never show a secret.
type Config struct {
	// MappingSection holds the mapping file (key mapping) and the
	// mapping read from it by [Config.Validate], nil until then.
	svcconfig.MappingSection `yaml:",inline"`
	// Salesforce says which org to read and how to authenticate.
	Salesforce Salesforce `yaml:"salesforce"`
	// Kafka says where corrective events go and where requests come from.
	Kafka Kafka `yaml:"kafka"`
	// SchemaRegistry, when its url is set, makes the envelope topics and
	// their .latest topics carry the Confluent Schema Registry wire format
	// (magic byte 0, 4-byte schema id) with the envelope schema registered
	// under "<topic>-value", BACKWARD compatible; records of either framing
	// are read. The default, no url, is Avro single-object framing.
	SchemaRegistry registry.Settings `yaml:"schema_registry"`
	// Postgres is the database compared with Salesforce.
	Postgres Postgres `yaml:"postgres"`
	// Verify tunes the comparison of PostgreSQL with Salesforce.
	Verify Verify `yaml:"verify"`
	// Poll tunes the polling of the mapped objects that Salesforce does
	// not stream.
	Poll Poll `yaml:"poll"`
	// Compact tunes the compacted latest-state topics.
	Compact Compact `yaml:"compact"`
	// Backfill tunes the initial load.
	Backfill Backfill `yaml:"backfill"`
	// MaxDeletesPerPass caps the records one pass over an object may
	// delete: a verify's repair of extra rows, a poll's hard-delete check.
	// A pass that finds more deletes none of them, logs an error and
	// counts them (sfsync_reconciler_{verify,poll}_deletes_withheld_total):
	// a listing cut short, or a sharing change that hides records from
	// the integration user, looks like a mass delete. The default is 100;
	// negative: no cap. verify --max-deletes overrides it once, to apply
	// a real mass delete.
	MaxDeletesPerPass int `yaml:"max_deletes_per_pass"`
	// Runtime holds the process settings: shutdown_timeout bounds how
	// long the work in progress may take to finish after SIGTERM (the
	// default is 10s), metrics_addr serves /metrics, /healthz and
	// /readyz (the default is 127.0.0.1:9467, loopback only), then
	// metrics_public, log_level and log_format.
	svcconfig.Runtime `yaml:",inline"`
}

// Salesforce configures the connection to the org: the Pub/Sub API
// endpoint and the OAuth grant or static token shared with REST and
// Bulk API 2.0; see [svcconfig.Salesforce] for the keys, the same as the
// producer's.
type Salesforce struct {
	svcconfig.Salesforce `yaml:",inline"`
}

// Kafka configures the Kafka client and the reconciler's topics.
type Kafka struct {
	// Conn holds the brokers, client id (the default is
	// sfsync-reconciler), TLS and SASL; its Transport and Dialer make the
	// kafka-go clients.
	kafkaconf.Conn `yaml:",inline"`
	// Group is the consumer group reading the re-fetch and reconcile
	// requests; the default is sfsync-reconciler.
	Group string `yaml:"group"`
	// RefetchTopic carries the consumer's GAP_* and GAP_OVERFLOW
	// envelopes, whose records the reconciler reads again; the default
	// is sfsync.refetch.
	RefetchTopic string `yaml:"refetch_topic"`
	// ReconcileTopic carries the reconciliation requests, such as the
	// producer's after a refused replay id; the default is
	// sfsync.reconcile-requests.
	ReconcileTopic string `yaml:"reconcile_topic"`
	// CheckpointTopic is the producer's compacted topic of replay
	// checkpoints, where a backfill records the replay position the
	// stream resumes from; the default is sfsync.checkpoints.
	CheckpointTopic string `yaml:"checkpoint_topic"`
	// CompactedSuffix names the compacted latest-state topic of each
	// envelope topic: the topic's name then the suffix, e.g.
	// sfsync.account.latest; the default is .latest.
	CompactedSuffix string `yaml:"compacted_suffix"`
}

// TLS configures TLS to the brokers.
type TLS = kafkaconf.TLS

// SASL configures SASL authentication to the brokers.
type SASL = kafkaconf.SASL

// Postgres configures the database.
type Postgres struct {
	// URL is the connection string, as a URL
	// (postgres://user:password@host:5432/db?sslmode=verify-full) or in
	// keyword=value form; required. The tables are those the consumer
	// creates, in the first schema of its search_path. Its password
	// never prints; better set it in SFSYNC_RECONCILER_POSTGRES_URL or
	// PGPASSWORD.
	URL svcconfig.URL `yaml:"url"`
}

// Verify tunes the comparison of PostgreSQL with Salesforce. The
// incremental loop compares, every Interval, the records Salesforce
// changed within the last Window but Grace; a full comparison of every
// record runs every FullEvery.
type Verify struct {
	// Interval is how often the incremental loop runs; the default is 5m.
	Interval time.Duration `yaml:"interval"`
	// Window is how far back each incremental run looks at Salesforce's
	// SystemModstamp; the default is 15m. It must be at least Interval,
	// so that consecutive runs overlap.
	Window time.Duration `yaml:"window"`
	// Grace leaves out the changes younger than it, which the stream may
	// not have applied yet; the default is 30s.
	Grace time.Duration `yaml:"grace"`
	// FullEvery is how often every record is compared; the default is
	// 24h, and 0 disables the full comparison. Never nil after [Load]
	// or [Default].
	FullEvery *time.Duration `yaml:"full_every"`
	// Repair publishes corrective SNAPSHOT and DELETE envelopes for the
	// drift found; false only reports it. The default is true. Never nil
	// after [Load] or [Default].
	Repair *bool `yaml:"repair"`
}

// Poll tunes the polling of objects without change events.
type Poll struct {
	// Interval is how often each polled object is queried for changes
	// (one REST query); the default is 1m.
	Interval time.Duration `yaml:"interval"`
	// DeleteCheckEvery makes every Nth poll also look for deleted
	// records (queryAll); the default is 10.
	DeleteCheckEvery int `yaml:"delete_check_every"`
}

// Compact tunes the compacted latest-state topics.
type Compact struct {
	// Enabled keeps a compacted topic of each record's latest envelope
	// per envelope topic (see Kafka.CompactedSuffix); the default is
	// true. Never nil after [Load] or [Default].
	Enabled *bool `yaml:"enabled"`
}

// Backfill tunes the initial load.
type Backfill struct {
	// PageSize caps the records of a Bulk API 2.0 result page
	// (maxRecords), the unit of progress saved; the default is 10000.
	PageSize int `yaml:"page_size"`
	// BulkThreshold is the record count from which an object is read
	// with a Bulk API 2.0 job, whose progress survives a crash; smaller
	// objects are read with one REST query and start over. The default
	// is 10000; 1 reads every object with Bulk API 2.0.
	BulkThreshold int `yaml:"bulk_threshold"`
}

// Default returns the configuration with every default and nothing else:
// no mapping, credentials, brokers or database.
func Default() Config { return service.Default() }

// setDefaults gives every unset field its default, as kafka-go's Writer
// and watermill do.
func (c *Config) setDefaults() {
	c.Salesforce.SetDefaults()
	svcconfig.SetDefault(&c.Kafka.ClientID, DefaultKafkaClientID)
	svcconfig.SetDefault(&c.Kafka.Group, DefaultGroup)
	svcconfig.SetDefault(&c.Kafka.RefetchTopic, DefaultRefetchTopic)
	svcconfig.SetDefault(&c.Kafka.ReconcileTopic, DefaultReconcileTopic)
	svcconfig.SetDefault(&c.Kafka.CheckpointTopic, DefaultCheckpointTopic)
	svcconfig.SetDefault(&c.Kafka.CompactedSuffix, DefaultCompactedSuffix)
	svcconfig.SetDefault(&c.Verify.Interval, DefaultVerifyInterval)
	svcconfig.SetDefault(&c.Verify.Window, DefaultVerifyWindow)
	svcconfig.SetDefault(&c.Verify.Grace, DefaultVerifyGrace)
	svcconfig.SetDefault(&c.Verify.FullEvery, ptr(DefaultFullEvery))
	svcconfig.SetDefault(&c.Verify.Repair, ptr(DefaultRepair))
	svcconfig.SetDefault(&c.Poll.Interval, DefaultPollInterval)
	svcconfig.SetDefault(&c.Poll.DeleteCheckEvery, DefaultDeleteCheckEvery)
	svcconfig.SetDefault(&c.Compact.Enabled, ptr(DefaultCompact))
	svcconfig.SetDefault(&c.MaxDeletesPerPass, DefaultMaxDeletesPerPass)
	svcconfig.SetDefault(&c.Backfill.PageSize, DefaultPageSize)
	svcconfig.SetDefault(&c.Backfill.BulkThreshold, DefaultBulkThreshold)
	c.Runtime.SetDefaults(DefaultShutdownTimeout, DefaultMetricsAddr)
}

func ptr[T any](v T) *T { return &v }

// CompactedTopic returns the compacted latest-state topic of an envelope
// topic: topic then Kafka.CompactedSuffix.
func (c *Config) CompactedTopic(topic string) string { return topic + c.Kafka.CompactedSuffix }

// String returns c as "key=value" pairs in file order, secrets shown as
// [REDACTED] when set and the PostgreSQL URL without its password.
func (c Config) String() string { return "config.Config{" + svcconfig.Format(&c) + "}" }

// GoString is [Config.String], so that %#v redacts too.
func (c Config) GoString() string { return c.String() }

// LogValue logs every setting as nested groups, redacted as by String.
func (c Config) LogValue() slog.Value { return svcconfig.LogValue(&c) }
