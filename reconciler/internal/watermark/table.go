package watermark

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DB runs SQL; *pgxpool.Pool is one.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Spec describes a table of watermarks. Its names are written into SQL
// as they are: they are constants of the workers, never input.
type Spec struct {
	// Name is the table's name. Required.
	Name string
	// Keys are the text columns of the primary key, one row per
	// combination. Required.
	Keys []string
	// Column is the timestamptz column holding the watermark. Required.
	Column string
	// KeepGreatest makes [Table.Store] keep the greater of the stored and
	// the new watermark, for replicas that may store out of order.
	// Default false: the new one replaces the stored one.
	KeepGreatest bool
}

// Table is a PostgreSQL table of watermarks, created on first use with a
// column updated_at beside the keys and the watermark. It is safe for
// concurrent use.
type Table struct {
	db   DB
	spec Spec
	// create, load and store are the table's SQL statements.
	create, load, store string

	mu    sync.Mutex
	ready bool
}

// NewTable returns the table spec describes in db.
func NewTable(db DB, spec Spec) *Table {
	cols := make([]string, 0, len(spec.Keys)+3)
	where := make([]string, len(spec.Keys))
	params := make([]string, len(spec.Keys)+1)
	for i, k := range spec.Keys {
		cols = append(cols, k+" text NOT NULL")
		where[i] = fmt.Sprintf("%s = $%d", k, i+1)
		params[i] = fmt.Sprintf("$%d", i+1)
	}
	params[len(spec.Keys)] = fmt.Sprintf("$%d", len(spec.Keys)+1)
	keys := strings.Join(spec.Keys, ", ")
	cols = append(cols, spec.Column+" timestamptz NOT NULL", "updated_at timestamptz NOT NULL DEFAULT now()",
		"PRIMARY KEY ("+keys+")")
	set := "excluded." + spec.Column
	if spec.KeepGreatest {
		set = "greatest(" + spec.Name + "." + spec.Column + ", excluded." + spec.Column + ")"
	}
	return &Table{
		db:     db,
		spec:   spec,
		create: "CREATE TABLE IF NOT EXISTS " + spec.Name + " (\n\t" + strings.Join(cols, ",\n\t") + "\n)",
		load:   "SELECT " + spec.Column + " FROM " + spec.Name + " WHERE " + strings.Join(where, " AND "),
		store: "INSERT INTO " + spec.Name + " (" + keys + ", " + spec.Column + ") VALUES (" + strings.Join(params, ", ") + ")\n" +
			"ON CONFLICT (" + keys + ") DO UPDATE SET " + spec.Column + " = " + set + ", updated_at = now()",
	}
}

// Name returns the table's name.
func (t *Table) Name() string { return t.spec.Name }

// Ensure creates the table unless it exists; after the first success it
// does nothing.
func (t *Table) Ensure(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ready {
		return nil
	}
	if _, err := t.db.Exec(ctx, t.create); err != nil {
		return fmt.Errorf("create %s: %w", t.spec.Name, err)
	}
	t.ready = true
	return nil
}

// Read returns the stored watermark of key, in UTC, or the zero time
// when it has none. key holds one value for each of [Spec.Keys].
func (t *Table) Read(ctx context.Context, key ...any) (time.Time, error) {
	if err := t.Ensure(ctx); err != nil {
		return time.Time{}, err
	}
	var at time.Time
	err := t.db.QueryRow(ctx, t.load, key...).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read %s: %w", t.spec.Name, err)
	}
	return at.UTC(), nil
}

// Store stores at as the watermark of key (see [Spec.KeepGreatest]).
func (t *Table) Store(ctx context.Context, at time.Time, key ...any) error {
	if err := t.Ensure(ctx); err != nil {
		return err
	}
	if _, err := t.db.Exec(ctx, t.store, append(slices.Clip(key), at)...); err != nil {
		return fmt.Errorf("write %s: %w", t.spec.Name, err)
	}
	return nil
}

// Forget deletes the watermarks whose key column col holds value.
func (t *Table) Forget(ctx context.Context, col string, value any) error {
	if !slices.Contains(t.spec.Keys, col) {
		return fmt.Errorf("forget watermarks: %s is not a key of %s", col, t.spec.Name)
	}
	if err := t.Ensure(ctx); err != nil {
		return err
	}
	if _, err := t.db.Exec(ctx, "DELETE FROM "+t.spec.Name+" WHERE "+col+" = $1", value); err != nil {
		return fmt.Errorf("delete from %s: %w", t.spec.Name, err)
	}
	return nil
}

// Load reads m's watermark of key from the table unless m holds it
// already.
func (t *Table) Load(ctx context.Context, m *Mark, key ...any) error {
	if m.loaded {
		return nil
	}
	at, err := t.Read(ctx, key...)
	if err != nil {
		return err
	}
	m.At, m.loaded = at, true
	return nil
}

// Advance ends a step of a pass that published the records published
// (by id, with their stamps) and reached the watermark to. When to is
// after m's watermark it stores it as key's and moves m to it. Then m
// remembers published and forgets the records stamped overlap or more
// before its watermark. Advance reports whether the watermark moved.
func (t *Table) Advance(ctx context.Context, m *Mark, to time.Time, published map[string]time.Time, overlap time.Duration, key ...any) (bool, error) {
	moved := to.After(m.At)
	if moved {
		if err := t.Store(ctx, to, key...); err != nil {
			return false, err
		}
		m.At = to
	}
	m.remember(published, overlap)
	return moved, nil
}
