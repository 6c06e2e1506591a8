package app

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/consumer/internal/connect"
	"github.com/sfsync/sfsync/consumer/internal/store"
	"github.com/sfsync/sfsync/platform/svcmain"
)

// Check verifies, without consuming, that the consumer could run: the
// configuration was valid (its loading checked that), Kafka answers and
// holds every envelope topic, PostgreSQL answers and its tables agree
// with the mapping (it says what the start would create or widen, or the
// conflict that would stop it, and changes nothing), and Redis, when
// configured, answers. It reports one line per check on list; its error
// says what it could not check at all.
func Check(ctx context.Context, cfg *config.Config, list *svcmain.Checklist) error {
	transport, err := cfg.Kafka.Transport()
	if err != nil {
		return err
	}
	existing, brokers, err := connect.TopicPartitions(ctx, cfg, connect.Client(cfg, transport))
	if err != nil {
		list.Report(false, "%v", err)
	} else {
		list.Report(true, "kafka: %d brokers answer at %s", brokers, strings.Join(cfg.Kafka.Brokers, ","))
		for _, t := range cfg.Kafka.Topics {
			if n, ok := existing[t]; ok {
				list.Report(true, "kafka topic %s: %d partitions", t, n)
			} else {
				list.Report(false, "kafka topic %s: missing (the producer's --create-topics N, or its operators, create it)", t)
			}
		}
		for _, t := range []string{cfg.Kafka.DeadLetterTopic, cfg.Kafka.RefetchTopic} {
			if n, ok := existing[t]; ok {
				list.Report(true, "kafka topic %s: %d partitions", t, n)
			} else {
				list.Report(true, "kafka topic %s: missing, will be created at start", t)
			}
		}
	}

	checkPostgres(ctx, cfg, list)

	if cfg.Redis.URL == "" {
		list.Report(true, "redis: not configured; running without the duplicate filter")
	} else if client, err := connect.Redis(cfg); err != nil {
		list.Report(false, "%v", err)
	} else {
		defer client.Close()
		if err := client.Ping(ctx).Err(); err != nil {
			list.Report(false, "redis at %s: %v", cfg.Redis.URL, err)
		} else {
			list.Report(true, "redis at %s: answers", cfg.Redis.URL)
		}
	}

	return nil
}

func checkPostgres(ctx context.Context, cfg *config.Config, list *svcmain.Checklist) {
	pc, err := pgxpool.ParseConfig(string(cfg.Postgres.URL))
	if err != nil {
		list.Report(false, "postgres.url %s: cannot be parsed", cfg.Postgres.URL)
		return
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		list.Report(false, "postgresql at %s: %v", cfg.Postgres.URL, err)
		return
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		list.Report(false, "postgresql at %s: %v", cfg.Postgres.URL, err)
		return
	}
	list.Report(true, "postgresql at %s: answers", cfg.Postgres.URL)
	stmts, err := store.New(pool, cfg.Mapping).Plan(ctx)
	switch {
	case errors.Is(err, store.ErrSchemaConflict):
		list.Report(false, "postgresql schema: %v", err)
	case err != nil:
		list.Report(false, "postgresql schema: %v", err)
	case len(stmts) == 0:
		list.Report(true, "postgresql schema: matches the mapping")
	default:
		lines := make([]string, len(stmts))
		for i, s := range stmts {
			first, _, _ := strings.Cut(s, "\n")
			lines[i] = strings.TrimSuffix(strings.TrimSpace(first), " (")
		}
		list.Report(true, "postgresql schema: the start will run %d statements: %s", len(stmts), strings.Join(lines, "; "))
	}
}
