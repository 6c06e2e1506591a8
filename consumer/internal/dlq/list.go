package dlq

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/consumer/internal/connect"
	"github.com/sfsync/sfsync/platform/dlqcmd"
)

// ListOptions says which dead letters [List] prints, and how.
type ListOptions struct {
	// Limit bounds the dead letters printed, oldest first; 0 prints all.
	Limit int
	// Format is "table" (the default) or "json" (one array).
	Format string
}

// List reads the dead-letter topic from its beginning, without
// a consumer group, and prints its records to out: offset, time, origin,
// reason, and the entity and record id when the value decodes as an
// envelope. Whether each was replayed comes from PostgreSQL; when
// PostgreSQL does not answer, the list is printed without it and warn
// says why.
func List(ctx context.Context, cfg *config.Config, opts ListOptions, out, warn io.Writer) error {
	dls, err := read(ctx, cfg, opts.Limit)
	if err != nil {
		return err
	}
	if pool, err := connect.OpenPostgres(ctx, cfg); err != nil {
		fmt.Fprintf(warn, "sfsync-consumer: replays unknown: %v\n", err)
	} else {
		defer pool.Close()
		done, err := replayed(ctx, pool)
		if err != nil {
			fmt.Fprintf(warn, "sfsync-consumer: replays unknown: %v\n", err)
		}
		for i := range dls {
			dls[i].Replayed = done[key(cfg.Kafka.DeadLetterTopic, dls[i].Partition, dls[i].Offset)]
		}
	}
	return dlqcmd.Print(out, opts.Format, dls,
		[]string{"PARTITION", "OFFSET", "TIME", "ORIGIN", "REASON", "ENTITY", "RECORD", "REPLAYED"},
		func(d *DeadLetter) []string {
			return []string{strconv.Itoa(d.Partition), strconv.FormatInt(d.Offset, 10), d.Time.UTC().Format(time.RFC3339),
				d.Origin(), dlqcmd.Reason(d.Reason), dlqcmd.Cell(d.Entity), dlqcmd.Cell(d.RecordID), strconv.FormatBool(d.Replayed)}
		},
		fmt.Sprintf("%d dead letters in %s", len(dls), cfg.Kafka.DeadLetterTopic))
}
