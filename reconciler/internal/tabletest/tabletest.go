package tabletest

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sfsync/sfsync/schemas/mapping"
	"github.com/sfsync/sfsync/schemas/tablelayout"
)

// DB runs SQL; *pgxpool.Pool is one.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// DDL returns the CREATE TABLE statement of obj's table: its mapped
// columns, its key as primary key, and the bookkeeping columns.
func DDL(obj *mapping.Object) string {
	cols := make([]string, 0, len(obj.Fields)+len(tablelayout.Bookkeeping))
	for _, f := range obj.Fields {
		c := pgx.Identifier{f.Column}.Sanitize() + " " + f.Type.String()
		if f.Name == obj.Key {
			c += " PRIMARY KEY"
		}
		cols = append(cols, c)
	}
	for _, c := range tablelayout.Bookkeeping {
		cols = append(cols, c.Name+" "+c.Definition)
	}
	return "CREATE TABLE " + pgx.Identifier{obj.Table}.Sanitize() + " (" + strings.Join(cols, ", ") + ")"
}

// Create creates obj's table in db, failing t when it cannot.
func Create(t testing.TB, db DB, obj *mapping.Object) {
	t.Helper()
	if _, err := db.Exec(context.Background(), DDL(obj)); err != nil {
		t.Fatal(err)
	}
}
