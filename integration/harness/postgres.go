package harness

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
)

const postgresImage = "postgres:15-alpine"

// Postgres is a test's own PostgreSQL schema. It is safe for concurrent use.
type Postgres struct {
	// URL connects with the test's schema first in the search_path, so
	// unqualified names resolve to it.
	URL string
	// Schema is the name of the test's schema.
	Schema string

	t testing.TB
}

// NewPostgres creates a schema for t, dropped with everything in it when the
// test ends, or skips or fails t when no PostgreSQL can be found (see the
// package doc).
func NewPostgres(t testing.TB) *Postgres {
	t.Helper()
	base := resolve(t, &postgresEndpoint, "postgres", EnvDatabaseURL, startPostgres)
	schema := testID(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		unavailable(t, "postgres", fmt.Errorf("connect: %w", err))
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatalf("%s: %v", EnvDatabaseURL, err)
	}
	return &Postgres{URL: u, Schema: schema, t: t}
}

func startPostgres(ctx context.Context) (string, error) {
	c, err := tcpostgres.Run(ctx, postgresImage,
		tcpostgres.WithDatabase("sfsync"),
		tcpostgres.WithUsername("sfsync"),
		tcpostgres.WithPassword("sfsync"),
		tcpostgres.BasicWaitStrategies(),
	)
	if err != nil {
		return "", err
	}
	return c.ConnectionString(ctx, "sslmode=disable")
}

// withSearchPath returns the connection string base with search_path set to
// schema, in URL or keyword/value form as base is written.
func withSearchPath(base, schema string) (string, error) {
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		return base + " search_path=" + schema, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		// url.Parse errors quote the input, which may hold a password.
		return "", fmt.Errorf("not a valid PostgreSQL URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Pool returns a pool connected to the test's schema, closed when the test
// ends.
func (p *Postgres) Pool() *pgxpool.Pool {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, p.URL)
	if err != nil {
		p.t.Fatalf("postgres pool: %v", err)
	}
	p.t.Cleanup(pool.Close)
	return pool
}
