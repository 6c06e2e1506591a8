package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// BootstrapTable records each consumer group's bootstrap: its plan, and
// when it finished. The bootstrap creates it.
const BootstrapTable = "sfsync_consumer_bootstrap"

// BootstrapPlan is what a bootstrap reads and where it hands over to the
// stream, fixed when it starts so that a bootstrap resumed after a kill
// finishes the same one.
type BootstrapPlan struct {
	// ReadTo is, per latest-state topic and partition, the end offset to
	// read to.
	ReadTo map[string]map[int]int64 `json:"read_to"`
	// FollowFrom is, per envelope topic and partition, the offset the
	// consumer follows from afterwards; a partition absent or at 0 is
	// followed from the start of its log.
	FollowFrom map[string]map[int]int64 `json:"follow_from"`
	// Started is when the bootstrap started.
	Started time.Time `json:"started"`
}

// ErrNotEmpty is returned by [Store.StartBootstrap] for a database that
// already holds records or offsets of the group.
var ErrNotEmpty = errors.New("the database is not empty")

const bootstrapDDL = `CREATE TABLE IF NOT EXISTS ` + BootstrapTable + ` (
	consumer_group text PRIMARY KEY,
	plan jsonb NOT NULL,
	started_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz
)`

// Bootstrap returns group's bootstrap plan and whether it finished; the
// plan is nil when the group never bootstrapped this database.
func (s *Store) Bootstrap(ctx context.Context, group string) (*BootstrapPlan, bool, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, BootstrapTable).Scan(&exists); err != nil {
		return nil, false, fmt.Errorf("read the bootstrap: %w", err)
	}
	if !exists {
		return nil, false, nil
	}
	var data []byte
	var finished *time.Time
	err := s.pool.QueryRow(ctx, `SELECT plan, finished_at FROM `+BootstrapTable+` WHERE consumer_group = $1`, group).Scan(&data, &finished)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read the bootstrap: %w", err)
	}
	var plan BootstrapPlan
	if err := json.Unmarshal(data, &plan); err != nil {
		return nil, false, fmt.Errorf("read the bootstrap of %s: %w", group, err)
	}
	return &plan, finished != nil, nil
}

// StartBootstrap records plan as group's bootstrap, in one transaction
// with the check that the database is empty: every mapped table without
// rows and no offsets of group. A database that is not returns an error
// wrapping [ErrNotEmpty] that names what it holds.
func (s *Store) StartBootstrap(ctx context.Context, group string, plan *BootstrapPlan) error {
	data, err := json.Marshal(plan)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, bootstrapDDL); err != nil {
			return fmt.Errorf("create %s: %w", BootstrapTable, err)
		}
		var held []string
		for _, t := range s.order {
			var rows bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+t.ident+`)`).Scan(&rows); err != nil {
				return fmt.Errorf("read %s: %w", t.name, err)
			}
			if rows {
				held = append(held, "table "+t.name+" has rows")
			}
		}
		var offsets bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+OffsetsTable+` WHERE consumer_group = $1)`, group).Scan(&offsets); err != nil {
			return fmt.Errorf("read %s: %w", OffsetsTable, err)
		}
		if offsets {
			held = append(held, fmt.Sprintf("%s holds offsets of group %s", OffsetsTable, group))
		}
		if len(held) > 0 {
			return fmt.Errorf("%w: %s", ErrNotEmpty, strings.Join(held, "; "))
		}
		_, err := tx.Exec(ctx, `INSERT INTO `+BootstrapTable+` (consumer_group, plan) VALUES ($1, $2)`, group, data)
		if err != nil {
			return fmt.Errorf("record the bootstrap: %w", err)
		}
		return nil
	})
}

// FinishBootstrap stores group's offsets of the envelope topics and
// records its bootstrap as finished, in one transaction.
func (s *Store) FinishBootstrap(ctx context.Context, group string, offsets []Offset) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var st statements
		queueOffsets(&st, group, offsets)
		st.add("finish the bootstrap", `UPDATE `+BootstrapTable+` SET finished_at = now() WHERE consumer_group = $1`, []any{group}, false)
		_, err := st.send(ctx, tx)
		return err
	})
}

// Remove deletes the rows of ids from the tables of entities; the
// bootstrap removes with it the records whose latest state is a
// tombstone. Entities the mapping does not name are skipped.
func (s *Store) Remove(ctx context.Context, entities []string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	for _, e := range entities {
		t := s.tables[strings.ToLower(e)]
		if t == nil {
			continue
		}
		key := t.cols[t.key]
		if _, err := s.pool.Exec(ctx, fmt.Sprintf(`DELETE FROM %s WHERE %s = ANY($1::%s[])`, t.ident, key.ident, key.field.Type), ids); err != nil {
			return fmt.Errorf("remove from %s: %w", t.name, err)
		}
	}
	return nil
}
