package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/schemas/mapping"
)

func TestPlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, err := mapping.Parse("mapping.yaml", []byte(testMapping))
	if err != nil {
		t.Fatal(err)
	}
	pool := harness.NewPostgres(t).Pool()
	s := New(pool, m)
	stmts, err := s.Plan(ctx)
	if err != nil || len(stmts) != 2 || !strings.HasPrefix(stmts[0], `CREATE TABLE "account"`) || !strings.HasPrefix(stmts[1], "CREATE TABLE "+OffsetsTable) {
		t.Fatalf("plan on an empty schema: %q, %v", stmts, err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("Plan left %d tables (%v)", n, err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if stmts, err := s.Plan(ctx); err != nil || len(stmts) != 0 {
		t.Fatalf("plan after migrate: %q, %v", stmts, err)
	}
	conflict := strings.Replace(testMapping, "NumberOfEmployees: integer", "NumberOfEmployees: text", 1)
	m, err = mapping.Parse("mapping.yaml", []byte(conflict))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(pool, m).Plan(ctx); !errors.Is(err, ErrSchemaConflict) || !strings.Contains(err.Error(), "mapping.yaml:10:7: Account.NumberOfEmployees") {
		t.Fatalf("conflict: %v", err)
	}
}
