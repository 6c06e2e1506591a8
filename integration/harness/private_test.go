package harness

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

func TestPrivatePostgresAndRedis(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := StartPrivatePostgres(t)
	conn, err := pgx.Connect(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	pg.Stop()
	if c, err := pgx.Connect(ctx, pg.URL); err == nil {
		c.Close(ctx)
		t.Fatal("connected to a stopped private postgres")
	}
	pg.Start()
	conn, err = pgx.Connect(ctx, pg.URL)
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	var id int
	if err := conn.QueryRow(ctx, `SELECT id FROM kept`).Scan(&id); err != nil || id != 7 {
		t.Errorf("after restart: SELECT id FROM kept = %d, %v; want 7", id, err)
	}
	conn.Close(ctx)

	rd := StartPrivateRedis(t)
	opts, err := redis.ParseURL(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	defer client.Close()
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	rd.Stop()
	if err := client.Ping(ctx).Err(); err == nil {
		t.Fatal("pinged a stopped private redis")
	}
}
