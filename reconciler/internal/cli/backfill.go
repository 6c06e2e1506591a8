package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfsync/sfsync/reconciler/internal/app"
	"github.com/sfsync/sfsync/reconciler/internal/backfill"
	"github.com/sfsync/sfsync/reconciler/internal/config"
	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/salesforce/bulk"
)

// runBackfill loads the chosen objects as SNAPSHOT envelopes, resuming the
// run of the same name if one was cut short.
func runBackfill(ctx context.Context, cfg *config.Config, objects []string, runName string, stdout io.Writer, log *slog.Logger) int {
	d, ps, err := app.Connect(ctx, cfg, log, prometheus.NewRegistry(), true)
	if err != nil {
		log.Error("backfill", "err", err)
		return 1
	}
	defer d.Close()
	defer ps.Close()
	sum, err := backfill.Run(ctx, backfill.Config{
		Mapping: cfg.Mapping, Objects: objects, REST: d.REST, Bulk: bulk.New(d.REST, log), PubSub: ps,
		OrgID: d.OrgID, Brokers: d.Brokers, Transport: d.Transport, CheckpointTopic: cfg.Kafka.CheckpointTopic,
		Publisher: publish.New(d.Writer, d.Codec, d.OrgID, "reconciler/backfill"), DB: d.DB,
		RunName: runName, Out: stdout, Logger: log, PageSize: cfg.Backfill.PageSize,
		BulkThreshold: cfg.Backfill.BulkThreshold,
	})
	if err != nil {
		log.Error("backfill stopped; run the same command again to resume", "run", runName, "err", err)
		return 1
	}
	fmt.Fprintf(stdout, "backfill %s: %d records published in %s\n", sum.Run, sum.Published(), sum.Elapsed.Round(1e6))
	return 0
}
