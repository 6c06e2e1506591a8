package backfill

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrRunning means another backfill of the same run name holds the run.
var ErrRunning = errors.New("a backfill of this run is already running")

// schemaSQL creates the backfill's bookkeeping tables. They are the
// reconciler's own; it never writes the mapped tables.
const schemaSQL = `
CREATE TABLE IF NOT EXISTS sfsync_reconciler_backfill (
	run           text        NOT NULL,
	object        text        NOT NULL,
	method        text        NOT NULL,
	job_id        text        NOT NULL DEFAULT '',
	locator       text        NOT NULL DEFAULT '',
	records_done  bigint      NOT NULL DEFAULT 0,
	records_total bigint      NOT NULL DEFAULT -1,
	done          boolean     NOT NULL DEFAULT false,
	started_at    timestamptz NOT NULL DEFAULT now(),
	updated_at    timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (run, object)
);
CREATE TABLE IF NOT EXISTS sfsync_reconciler_backfill_position (
	run         text        NOT NULL,
	topic       text        NOT NULL,
	replay_id   bytea       NOT NULL,
	checkpoint  text        NOT NULL DEFAULT '',
	recorded_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (run, topic)
)`

// objectState is the saved progress of one object.
type objectState struct {
	Method  string // "bulk" or "rest"
	JobID   string
	Locator string // the first page not yet published; "" the first page
	Done    int64  // records published up to Locator
	Total   int64  // -1 when unknown
	Finish  bool
}

// positionState is a recorded replay position.
type positionState struct {
	Topic    string
	ReplayID []byte
	// Checkpoint is "" until settled, then CheckpointWritten or
	// CheckpointKept.
	Checkpoint string
}

// store keeps a run's progress in PostgreSQL.
type store struct {
	db   *pgxpool.Pool
	run  string
	lock *pgxpool.Conn
}

// runLockWait is how long a backfill waits for its run's lock before
// refusing with [ErrRunning]: long enough for PostgreSQL to end the session
// of a backfill that was just killed (the lock goes with it), short enough
// not to hang behind one that really runs.
const runLockWait = 30 * time.Second

// openStore creates the tables when missing and takes the run's advisory
// lock, held on a connection of its own until close, waiting for it up to
// wait (runLockWait).
func openStore(ctx context.Context, db *pgxpool.Pool, run string, wait time.Duration) (*store, error) {
	if _, err := db.Exec(ctx, schemaSQL); err != nil {
		return nil, fmt.Errorf("backfill state: create tables: %w", err)
	}
	conn, err := db.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("backfill state: %w", err)
	}
	if err := lockRun(ctx, conn.Conn(), run, wait); err != nil {
		// The connection may hold the lock after all, or its setting.
		_ = conn.Conn().Close(ctx)
		conn.Release()
		return nil, err
	}
	return &store{db: db, run: run, lock: conn}, nil
}

// lockNotAvailable is PostgreSQL's error code when lock_timeout passes.
const lockNotAvailable = "55P03"

// lockRun takes the run's session advisory lock on conn, waiting up to
// wait (PostgreSQL's lock_timeout) for the session that holds it.
func lockRun(ctx context.Context, conn *pgx.Conn, run string, wait time.Duration) error {
	if _, err := conn.Exec(ctx, fmt.Sprintf("SET lock_timeout = %d", wait.Milliseconds())); err != nil {
		return fmt.Errorf("backfill state: lock run %s: %w", run, err)
	}
	_, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended('sfsync_reconciler_backfill/' || current_schema() || '/' || $1, 0))`, run)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == lockNotAvailable {
		return fmt.Errorf("backfill run %s: %w (its lock is still held after %s)", run, ErrRunning, wait)
	}
	if err == nil {
		_, err = conn.Exec(ctx, "RESET lock_timeout")
	}
	if err != nil {
		return fmt.Errorf("backfill state: lock run %s: %w", run, err)
	}
	return nil
}

// close releases the run's lock.
func (s *store) close() {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if _, err := s.lock.Exec(ctx, `SELECT pg_advisory_unlock_all()`); err != nil {
		// The connection is unusable: drop it, which releases the lock.
		_ = s.lock.Conn().Close(ctx)
	}
	s.lock.Release()
}

func (s *store) object(ctx context.Context, name string) (objectState, bool, error) {
	var st objectState
	err := s.db.QueryRow(ctx, `SELECT method, job_id, locator, records_done, records_total, done
		FROM sfsync_reconciler_backfill WHERE run = $1 AND object = $2`, s.run, name).
		Scan(&st.Method, &st.JobID, &st.Locator, &st.Done, &st.Total, &st.Finish)
	if errors.Is(err, pgx.ErrNoRows) {
		return objectState{}, false, nil
	}
	if err != nil {
		return objectState{}, false, fmt.Errorf("backfill state of %s: %w", name, err)
	}
	return st, true, nil
}

func (s *store) saveObject(ctx context.Context, name string, st objectState) error {
	_, err := s.db.Exec(ctx, `INSERT INTO sfsync_reconciler_backfill
			(run, object, method, job_id, locator, records_done, records_total, done)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (run, object) DO UPDATE SET method = $3, job_id = $4, locator = $5,
			records_done = $6, records_total = $7, done = $8, updated_at = now()`,
		s.run, name, st.Method, st.JobID, st.Locator, st.Done, st.Total, st.Finish)
	if err != nil {
		return fmt.Errorf("save backfill state of %s: %w", name, err)
	}
	return nil
}

func (s *store) positions(ctx context.Context) (map[string]positionState, error) {
	rows, err := s.db.Query(ctx, `SELECT topic, replay_id, checkpoint FROM sfsync_reconciler_backfill_position WHERE run = $1`, s.run)
	if err != nil {
		return nil, fmt.Errorf("backfill positions: %w", err)
	}
	out := map[string]positionState{}
	for rows.Next() {
		var p positionState
		if err := rows.Scan(&p.Topic, &p.ReplayID, &p.Checkpoint); err != nil {
			rows.Close()
			return nil, fmt.Errorf("backfill positions: %w", err)
		}
		out[p.Topic] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("backfill positions: %w", err)
	}
	return out, nil
}

func (s *store) savePosition(ctx context.Context, p positionState) error {
	_, err := s.db.Exec(ctx, `INSERT INTO sfsync_reconciler_backfill_position (run, topic, replay_id, checkpoint)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (run, topic) DO UPDATE SET replay_id = $3, checkpoint = $4`,
		s.run, p.Topic, p.ReplayID, p.Checkpoint)
	if err != nil {
		return fmt.Errorf("save backfill position of %s: %w", p.Topic, err)
	}
	return nil
}

// Reset forgets the progress of run, so that the next [Run] under that
// name records the replay positions again and reads every object from
// the start. It does not touch Kafka or the checkpoint topic.
func Reset(ctx context.Context, db *pgxpool.Pool, run string) error {
	if run == "" {
		run = DefaultRunName
	}
	if _, err := db.Exec(ctx, schemaSQL); err != nil {
		return fmt.Errorf("backfill reset: create tables: %w", err)
	}
	_, err := db.Exec(ctx, `DELETE FROM sfsync_reconciler_backfill WHERE run = $1;`, run)
	if err == nil {
		_, err = db.Exec(ctx, `DELETE FROM sfsync_reconciler_backfill_position WHERE run = $1`, run)
	}
	if err != nil {
		return fmt.Errorf("backfill reset %s: %w", run, err)
	}
	return nil
}
