package connect

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/platform/retry"
)

// setStatementTimeout makes d the sessions' statement_timeout, unless the
// connection string sets one (as ?statement_timeout= or in options).
func setStatementTimeout(pc *pgxpool.Config, d time.Duration) {
	params := pc.ConnConfig.RuntimeParams
	if _, ok := params["statement_timeout"]; ok || strings.Contains(params["options"], "statement_timeout") {
		return
	}
	params["statement_timeout"] = strconv.FormatInt(d.Milliseconds(), 10)
}

// Postgres opens a pool, with cfg.Batch.Timeout as the sessions'
// statement_timeout unless the URL sets one, and waits until PostgreSQL
// answers, retrying with backoff; it returns ctx's error when ctx ends
// first.
func Postgres(ctx context.Context, cfg *config.Config, log *slog.Logger) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(string(cfg.Postgres.URL))
	if err != nil {
		// Validate parsed it already; do not quote it again.
		return nil, fmt.Errorf("postgres.url %s: cannot be parsed", cfg.Postgres.URL)
	}
	setStatementTimeout(pc, cfg.Batch.Timeout)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgresql at %s: %w", cfg.Postgres.URL, err)
	}
	wait := retry.Halves(200*time.Millisecond, 5*time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := pool.Ping(pctx)
		cancel()
		if err == nil {
			log.Info("postgresql connected", "postgres", cfg.Postgres.URL)
			return pool, nil
		}
		d := wait.Next()
		if ctx.Err() == nil {
			log.Warn("postgresql does not answer; retrying", "postgres", cfg.Postgres.URL, "in", d, "err", err)
		}
		if retry.Sleep(ctx, d) != nil {
			pool.Close()
			return nil, ctx.Err()
		}
	}
}

// OpenPostgres connects once, without [Postgres]' retries, and checks
// that PostgreSQL answers within 10s.
func OpenPostgres(ctx context.Context, cfg *config.Config) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(string(cfg.Postgres.URL))
	if err != nil {
		return nil, fmt.Errorf("postgres.url %s: cannot be parsed", cfg.Postgres.URL)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = pool.Ping(pctx)
		cancel()
		if err != nil {
			pool.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("postgresql at %s: %w", cfg.Postgres.URL, err)
	}
	return pool, nil
}

// Redis returns a client for cfg.Redis.URL; it does not connect yet.
func Redis(cfg *config.Config) (*redis.Client, error) {
	opts, err := redis.ParseURL(string(cfg.Redis.URL))
	if err != nil {
		return nil, fmt.Errorf("redis.url %s: cannot be parsed", cfg.Redis.URL)
	}
	return redis.NewClient(opts), nil
}
