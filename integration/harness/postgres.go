package harness

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/testcontainers/testcontainers-go/wait"
)

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
	base := resolve(t, &postgresEndpoint, EnvDatabaseURL, postgresSpec())
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

// postgresSpec is a server with database, user and password sfsync, set as
// the local stack's: no fsync, 200 connections.
func postgresSpec() serviceSpec {
	url := func(p int) string {
		return "postgres://sfsync:sfsync@127.0.0.1:" + strconv.Itoa(p) + "/sfsync?sslmode=disable"
	}
	return serviceSpec{
		service:       "postgres",
		imageEnv:      EnvPostgresImage,
		defaultImage:  defaultPostgresImage,
		containerPort: func(int) int { return 5432 },
		env: func(int) map[string]string {
			return map[string]string{"POSTGRES_USER": "sfsync", "POSTGRES_PASSWORD": "sfsync", "POSTGRES_DB": "sfsync"}
		},
		cmd:  []string{"postgres", "-c", "fsync=off", "-c", "max_connections=200"},
		addr: url,
		// A query over a connection from the host: the image's first start
		// runs a server for its init scripts and restarts it, so an open
		// port says nothing.
		ready: func(p, _ int) wait.Strategy {
			return probe{what: "postgres query on 127.0.0.1:" + strconv.Itoa(p), check: func(ctx context.Context) error {
				conn, err := pgx.Connect(ctx, url(p))
				if err != nil {
					return err
				}
				defer conn.Close(context.Background())
				_, err = conn.Exec(ctx, "SELECT 1")
				return err
			}}
		},
	}
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
