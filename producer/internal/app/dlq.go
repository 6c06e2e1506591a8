package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/producer/internal/config"
	"github.com/sfsync/sfsync/producer/internal/dlq"
	"github.com/sfsync/sfsync/producer/internal/keys"
	"github.com/sfsync/sfsync/producer/internal/normalize"
)

// ListDeadLetters prints the producer's dead letters (see [dlq.Tool.List]).
// It asks Salesforce for the schemas that decode them; when Salesforce
// does not answer, it says so on warn and prints what the headers tell.
func ListDeadLetters(ctx context.Context, cfg *config.Config, opts dlq.ListOptions, out, warn io.Writer) error {
	t, _, err := newTool(cfg)
	if err != nil {
		return err
	}
	if sf, err := connect(ctx, cfg, discardLogger()); err != nil {
		fmt.Fprintf(warn, "sfsync-producer: entities and change types unknown: %v\n", err)
	} else {
		defer sf.client.Close()
		t.Schemas, t.Normalizer = sf.client, normalize.New(cfg.Mapping, sf.orgID)
	}
	return t.List(ctx, opts, out, warn)
}

// ReplayDeadLetters converts the selected dead letters again with the
// current configuration, mapping and Salesforce's schemas, and writes
// their envelopes as the live producer does (see [dlq.Tool.Replay]).
func ReplayDeadLetters(ctx context.Context, cfg *config.Config, opts dlq.ReplayOptions, out io.Writer) error {
	t, transport, err := newTool(cfg)
	if err != nil {
		return err
	}
	sf, err := connect(ctx, cfg, discardLogger())
	if err != nil {
		return err
	}
	defer sf.client.Close()
	t.Schemas, t.Normalizer = sf.client, normalize.New(cfg.Mapping, sf.orgID)
	if t.Keys, err = keys.New(keys.Config{Mapping: cfg.Mapping, Salesforce: sf.rest, Capacity: cfg.PartitionKeyCache}); err != nil {
		return err
	}
	if !opts.DryRun {
		snk, err := newSink(ctx, cfg, transport, discardLogger())
		if err != nil {
			return err
		}
		defer snk.Close()
		t.Writer = snk
		t.LedgerWriter = &kafka.Writer{
			Addr: kafka.TCP(cfg.Kafka.Brokers...), RequiredAcks: kafka.RequireAll,
			Balancer: kafka.Murmur2Balancer{Consistent: true}, Transport: transport,
		}
		defer t.LedgerWriter.Close()
	}
	return t.Replay(ctx, opts, out)
}

// newTool returns the dlq tool's Kafka side of cfg, and the transport
// it uses.
func newTool(cfg *config.Config) (*dlq.Tool, *kafka.Transport, error) {
	transport, err := cfg.Kafka.Transport()
	if err != nil {
		return nil, nil, err
	}
	return &dlq.Tool{
		Client: &kafka.Client{Addr: kafka.TCP(cfg.Kafka.Brokers...), Transport: transport, Timeout: 30 * time.Second},
		Topic:  cfg.Kafka.DeadLetterTopic, LedgerTopic: cfg.Kafka.DeadLetterReplayedTopic,
		Mapping: cfg.Mapping,
	}, transport, nil
}
