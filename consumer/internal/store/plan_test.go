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
	if err != nil || len(stmts) != 3 || !strings.HasPrefix(stmts[0], `CREATE TABLE "account"`) || !strings.HasPrefix(stmts[1], "CREATE TABLE "+OffsetsTable) ||
		!strings.HasPrefix(stmts[2], "CREATE TABLE "+EpochTable) {
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

// TestEpoch checks that Migrate makes one random epoch token and keeps
// it, and that RotateEpoch replaces it only while it is still the one
// rotated.
func TestEpoch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, err := mapping.Parse("mapping.yaml", []byte(testMapping))
	if err != nil {
		t.Fatal(err)
	}
	s := New(harness.NewPostgres(t).Pool(), m)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := s.Epoch(ctx)
	if err != nil || len(first) < 16 {
		t.Fatalf("epoch %q, %v", first, err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if again, err := s.Epoch(ctx); err != nil || again != first {
		t.Fatalf("a second Migrate changed the epoch from %q to %q (%v)", first, again, err)
	}
	second, err := s.RotateEpoch(ctx, first)
	if err != nil || second == first || len(second) < 16 {
		t.Fatalf("rotate %q gave %q, %v", first, second, err)
	}
	if third, err := s.RotateEpoch(ctx, first); err != nil || third != second {
		t.Fatalf("rotating the old %q again gave %q, %v; want %q kept", first, third, err, second)
	}
}
