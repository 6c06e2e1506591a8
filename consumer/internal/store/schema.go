package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sfsync/sfsync/schemas/mapping"
	"github.com/sfsync/sfsync/schemas/tablelayout"
)

// The bookkeeping columns of every mapped table, as the table layout
// contract (package tablelayout) names them. The leading underscore keeps
// them apart from mapped columns, whose names the mapping validates.
const (
	colDeleted    = tablelayout.Deleted
	colBaseCommit = tablelayout.BaseCommit
	colBaseSeq    = tablelayout.BaseSeq
	colVersions   = tablelayout.Versions
	colCommitTS   = tablelayout.CommitTimestamp
	colSyncedAt   = tablelayout.SyncedAt
)

// OffsetsTable holds the consumed offsets, written in the transaction
// that applies the records they cover.
const OffsetsTable = tablelayout.OffsetsTable

// EpochTable holds the database's epoch token: one row, a random token
// made when Migrate creates the table and replaced by
// [Store.RotateEpoch]. The duplicate filter keys Redis by it, so that a
// database whose history went back (a restore, a failover to a lagging
// replica) can be given a Redis key space of its own.
const EpochTable = "sfsync_consumer_epoch"

// ErrSchemaConflict is returned by [Store.Migrate] when an existing table
// cannot hold what the mapping says.
var ErrSchemaConflict = errors.New("mapping conflicts with the database")

// migrateLock serialises Migrate across replicas starting together.
const migrateLock = 0x73667379_6e630001

// Migrate creates the missing tables and columns of the mapping and the
// offsets table, in one transaction. It never drops or narrows anything:
// a column whose type differs from the mapping's stops it with an
// [ErrSchemaConflict] that names the mapping line, the column and both
// types; a varchar the mapping widens is widened.
func (s *Store) Migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrateLock)); err != nil {
			return fmt.Errorf("lock for migration: %w", err)
		}
		var problems []string
		for _, t := range s.tables {
			p, err := migrateTable(ctx, tx, t)
			if err != nil {
				return err
			}
			problems = append(problems, p...)
		}
		if len(problems) > 0 {
			return fmt.Errorf("%w:\n  %s", ErrSchemaConflict, strings.Join(problems, "\n  "))
		}
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+OffsetsTable+` (
	consumer_group text NOT NULL,
	topic text NOT NULL,
	partition integer NOT NULL,
	next_offset bigint NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (consumer_group, topic, partition)
)`)
		if err != nil {
			return fmt.Errorf("create %s: %w", OffsetsTable, err)
		}
		if _, err := tx.Exec(ctx, epochDDL); err != nil {
			return fmt.Errorf("create %s: %w", EpochTable, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+EpochTable+` (token) VALUES ($1) ON CONFLICT DO NOTHING`, rand.Text()); err != nil {
			return fmt.Errorf("create %s: %w", EpochTable, err)
		}
		return nil
	})
}

// epochDDL creates [EpochTable], whose one row the check on id keeps
// alone.
const epochDDL = `CREATE TABLE IF NOT EXISTS ` + EpochTable + ` (
	id boolean PRIMARY KEY DEFAULT true CHECK (id),
	token text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
)`

// Epoch returns the database's epoch token (see [EpochTable]).
func (s *Store) Epoch(ctx context.Context) (string, error) {
	var token string
	if err := s.pool.QueryRow(ctx, `SELECT token FROM `+EpochTable).Scan(&token); err != nil {
		return "", fmt.Errorf("read %s: %w", EpochTable, err)
	}
	return token, nil
}

// RotateEpoch replaces the epoch token with a new random one if it is
// still old, and returns the token then in force: replicas rotating the
// same token at once all end on the one that won.
func (s *Store) RotateEpoch(ctx context.Context, old string) (string, error) {
	if _, err := s.pool.Exec(ctx, `UPDATE `+EpochTable+` SET token = $1, created_at = now() WHERE token = $2`, rand.Text(), old); err != nil {
		return "", fmt.Errorf("rotate %s: %w", EpochTable, err)
	}
	return s.Epoch(ctx)
}

// existingColumn is a column as information_schema describes it.
type existingColumn struct {
	typ       string // format_type, such as "character varying(18)"
	isPrimary bool
}

func migrateTable(ctx context.Context, tx pgx.Tx, t *table) ([]string, error) {
	cols, err := existingColumns(ctx, tx, t.name)
	if err != nil {
		return nil, err
	}
	if cols == nil {
		var b strings.Builder
		fmt.Fprintf(&b, "CREATE TABLE %s (\n", t.ident)
		for _, c := range t.cols {
			fmt.Fprintf(&b, "\t%s %s", c.ident, c.field.Type)
			if c.isKey {
				b.WriteString(" PRIMARY KEY")
			}
			b.WriteString(",\n")
		}
		for i, c := range tablelayout.Bookkeeping {
			fmt.Fprintf(&b, "\t%s %s", pgx.Identifier{c.Name}.Sanitize(), c.Definition)
			if i < len(tablelayout.Bookkeeping)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(")")
		if _, err := tx.Exec(ctx, b.String()); err != nil {
			return nil, fmt.Errorf("create table %s for %s: %w", t.name, t.obj.Name, err)
		}
		return nil, nil
	}
	var problems []string
	for _, c := range t.cols {
		want := c.field.Type.String()
		have, ok := cols[c.name]
		switch {
		case !ok && c.isKey:
			problems = append(problems, fmt.Sprintf("%s: table %s has no column %s for the key %s.%s",
				c.field.Pos, t.name, c.name, t.obj.Name, c.field.Name))
		case !ok:
			q := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", t.ident, c.ident, want)
			if _, err := tx.Exec(ctx, q); err != nil {
				return nil, fmt.Errorf("add column %s.%s: %w", t.name, c.name, err)
			}
		case sameType(have.typ, c.field.Type):
			if c.isKey && !have.isPrimary {
				problems = append(problems, fmt.Sprintf("%s: column %s.%s holds the key %s.%s but is not the table's primary key",
					c.field.Pos, t.name, c.name, t.obj.Name, c.field.Name))
			}
		case widens(have.typ, c.field.Type):
			q := fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s", t.ident, c.ident, want)
			if _, err := tx.Exec(ctx, q); err != nil {
				return nil, fmt.Errorf("widen column %s.%s: %w", t.name, c.name, err)
			}
		default:
			problems = append(problems, fmt.Sprintf("%s: %s.%s maps to column %s.%s as %s, but the table has it as %s; change the mapping or migrate the column",
				c.field.Pos, t.obj.Name, c.field.Name, t.name, c.name, want, have.typ))
		}
	}
	for _, b := range tablelayout.Bookkeeping {
		if _, ok := cols[b.Name]; ok {
			continue
		}
		q := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", t.ident, pgx.Identifier{b.Name}.Sanitize(), b.Definition)
		if _, err := tx.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("add column %s.%s: %w", t.name, b.Name, err)
		}
	}
	return problems, nil
}

// existingColumns returns the columns of the table name in the first
// schema of the search path, or nil when there is no such table.
func existingColumns(ctx context.Context, tx pgx.Tx, name string) (map[string]existingColumn, error) {
	rows, err := tx.Query(ctx, `
SELECT a.attname, format_type(a.atttypid, a.atttypmod),
       coalesce(i.indisprimary, false)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary AND i.indnatts = 1 AND a.attnum = i.indkey[0]
WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace
  AND a.attnum > 0 AND NOT a.attisdropped`, name)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s: %w", name, err)
	}
	cols := map[string]existingColumn{}
	for rows.Next() {
		var n string
		var c existingColumn
		if err := rows.Scan(&n, &c.typ, &c.isPrimary); err != nil {
			return nil, fmt.Errorf("read columns of %s: %w", name, err)
		}
		cols[n] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read columns of %s: %w", name, err)
	}
	if len(cols) == 0 {
		return nil, nil
	}
	return cols, nil
}

// formatType returns how PostgreSQL's format_type spells t.
func formatType(t mapping.Type) string {
	switch t.Kind {
	case mapping.KindVarchar:
		return fmt.Sprintf("character varying(%d)", t.Length)
	case mapping.KindTimestamptz:
		return "timestamp with time zone"
	case mapping.KindTime:
		return "time without time zone"
	case mapping.KindNumeric:
		if t.Precision > 0 {
			return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
		}
	}
	return t.Kind.String()
}

func sameType(have string, want mapping.Type) bool { return have == formatType(want) }

// widens reports whether want is a varchar at least as long as the
// existing varchar have, or unbounded text in place of a varchar.
func widens(have string, want mapping.Type) bool {
	var n int
	if _, err := fmt.Sscanf(have, "character varying(%d)", &n); err != nil {
		return false
	}
	return want.Kind == mapping.KindText || (want.Kind == mapping.KindVarchar && want.Length >= n)
}

// Plan reports what [Store.Migrate] would do, without doing it, for
// sfsync-consumer --check: it runs the same migration in a transaction
// that it rolls back, and returns the statements Migrate would execute
// (none when the database already matches the mapping) or the
// [ErrSchemaConflict] Migrate would return.
func (s *Store) Plan(ctx context.Context) ([]string, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan migration: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	rec := &recordingTx{Tx: tx}
	var problems []string
	for _, t := range s.order {
		p, err := migrateTable(ctx, rec, t)
		if err != nil {
			return nil, err
		}
		problems = append(problems, p...)
	}
	if len(problems) > 0 {
		return rec.stmts, fmt.Errorf("%w:\n  %s", ErrSchemaConflict, strings.Join(problems, "\n  "))
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = $1 AND relnamespace = current_schema()::regnamespace)`,
		OffsetsTable).Scan(&exists); err != nil {
		return nil, fmt.Errorf("plan migration: %w", err)
	}
	if !exists {
		rec.stmts = append(rec.stmts, "CREATE TABLE "+OffsetsTable+" (...)")
	}
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = $1 AND relnamespace = current_schema()::regnamespace)`,
		EpochTable).Scan(&exists); err != nil {
		return nil, fmt.Errorf("plan migration: %w", err)
	}
	if !exists {
		rec.stmts = append(rec.stmts, "CREATE TABLE "+EpochTable+" (...)")
	}
	return rec.stmts, nil
}

// recordingTx records the statements executed through it.
type recordingTx struct {
	pgx.Tx
	stmts []string
}

func (r *recordingTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	r.stmts = append(r.stmts, sql)
	return r.Tx.Exec(ctx, sql, args...)
}
