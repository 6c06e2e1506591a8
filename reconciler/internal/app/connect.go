package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfsync/sfsync/platform/sflogin"
	"github.com/sfsync/sfsync/reconciler/internal/compact"
	"github.com/sfsync/sfsync/reconciler/internal/config"
	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/salesforce/login"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// restTimeout bounds one REST call (a query page).
const restTimeout = 2 * time.Minute

// Connect builds the Deps of cfg: logs in to Salesforce (an OAuth grant,
// or the static token), opens the PostgreSQL pool and the Kafka writer.
// PubSub is returned only when withPubSub is set (backfill records replay
// positions with it). Close releases them.
func Connect(ctx context.Context, cfg *config.Config, log *slog.Logger, reg prometheus.Registerer, withPubSub bool) (*Deps, *pubsub.Client, error) {
	ss, err := sflogin.Open(ctx, &cfg.Salesforce.Salesforce, login.Options{Logger: log, HTTPClient: &http.Client{Timeout: restTimeout}})
	if err != nil {
		return nil, nil, err
	}
	pool, err := pgxpool.New(ctx, string(cfg.Postgres.URL))
	if err != nil {
		return nil, nil, fmt.Errorf("postgres %s: %w", cfg.Postgres.URL.Redacted(), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("postgres %s: %w", cfg.Postgres.URL.Redacted(), err)
	}
	transport, err := cfg.Kafka.Transport()
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	dialer, err := cfg.Kafka.Dialer()
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	codec, err := envelopeCodec(ctx, cfg)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	var ps *pubsub.Client
	if withPubSub {
		if ps, err = ss.DialPubSub(ctx); err != nil {
			pool.Close()
			return nil, nil, err
		}
	}
	d := &Deps{
		Mapping: cfg.Mapping, OrgID: ss.OrgID, REST: ss.REST, DB: pool,
		Brokers: cfg.Kafka.Brokers, Dialer: dialer, Transport: transport,
		Writer: publish.NewWriter(cfg.Kafka.Brokers, transport), Codec: codec, Logger: log, Registry: reg,
	}
	return d, ps, nil
}

// Close releases the connections of d.
func (d *Deps) Close() {
	_ = d.Writer.Close()
	d.DB.Close()
}

// envelopeCodec returns the codec of the envelopes the reconciler writes
// and reads: with a schema registry configured, the envelope schema
// registered for every envelope topic of the mapping and, when
// compaction is on, their latest-state topics, and the registry's
// framing; else Avro single-object framing.
func envelopeCodec(ctx context.Context, cfg *config.Config) (*envelope.Codec, error) {
	codec, err := cfg.SchemaRegistry.EnvelopeCodec()
	if err != nil {
		return nil, err
	}
	var topics []string
	for _, o := range cfg.Mapping.Objects {
		topics = append(topics, o.KafkaTopic)
		if cfg.Compact.Enabled != nil && *cfg.Compact.Enabled {
			topics = append(topics, compact.TopicName(o, cfg.Kafka.CompactedSuffix))
		}
	}
	if err := codec.Register(ctx, topics...); err != nil {
		return nil, err
	}
	return codec, nil
}
