package dlq

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/consumer/internal/connect"
	"github.com/sfsync/sfsync/schemas/deadletter"
)

// ReplayedTable records the dead letters [Replay] has
// re-published, so that a second replay does not repeat them. It lives
// beside the offsets, in the first schema of the search path.
const ReplayedTable = "sfsync_consumer_dlq_replayed"

// replayLock serialises replays, so that two at once cannot both
// re-publish a dead letter.
const replayLock = 0x73667379_6e630002

// HeaderReplayedFrom is set on a re-published record: the dead letter's
// "topic:partition:offset".
const HeaderReplayedFrom = deadletter.HeaderReplayedFrom

// ReplayOptions says which dead letters [Replay] re-publishes.
type ReplayOptions struct {
	// All selects every dead letter not yet replayed.
	All bool
	// Origins selects dead letters by origin, "topic:partition:offset"
	// as List prints it.
	Origins []string
	// DryRun prints what would be replayed and changes nothing.
	DryRun bool
}

// Replay re-publishes the selected dead letters' original
// keys, values and headers to their origin topics, so that the consumer
// applies them again once the cause (a constraint, a column too narrow,
// a mapping) is fixed. It records each replayed dead letter in
// [ReplayedTable], in the transaction that holds the replay lock, after
// Kafka acknowledged the records, so a second replay skips them; if the
// process dies between the two, a later replay repeats them, which the
// store's version guards make harmless. With Redis configured it first
// forgets the envelopes' keys in the duplicate filter, lest the records
// be skipped as already seen.
func Replay(ctx context.Context, cfg *config.Config, opts ReplayOptions, out io.Writer) error {
	if opts.All == (len(opts.Origins) > 0) {
		return errors.New("choose --all or --origin-offset")
	}
	dls, err := read(ctx, cfg, 0)
	if err != nil {
		return err
	}
	pool, err := connect.OpenPostgres(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(replayLock)); err != nil {
			return fmt.Errorf("lock for replay: %w", err)
		}
		if !opts.DryRun {
			if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+ReplayedTable+` (
	topic text NOT NULL,
	partition integer NOT NULL,
	"offset" bigint NOT NULL,
	origin_topic text NOT NULL,
	origin_partition integer NOT NULL,
	origin_offset bigint NOT NULL,
	replayed_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (topic, partition, "offset")
)`); err != nil {
				return fmt.Errorf("create %s: %w", ReplayedTable, err)
			}
		}
		done, err := replayed(ctx, tx)
		if err != nil {
			return err
		}
		chosen, skipped, err := choose(cfg, dls, done, opts)
		if err != nil {
			return err
		}
		verb := "replayed"
		if opts.DryRun {
			verb = "would replay"
		}
		for _, d := range chosen {
			what := ""
			if d.Entity != "" {
				what = fmt.Sprintf(" (%s %s %s)", d.Entity, d.RecordID, d.ChangeType)
			}
			fmt.Fprintf(out, "%s %s:%d:%d to %s%s\n", verb, cfg.Kafka.DeadLetterTopic, d.Partition, d.Offset, d.Origin(), what)
		}
		if opts.DryRun || len(chosen) == 0 {
			fmt.Fprintf(out, "%d dead letters %s, %d skipped as already replayed\n", len(chosen), verb, skipped)
			return nil
		}
		transport, err := cfg.Kafka.Transport()
		if err != nil {
			return err
		}
		w := connect.Writer(cfg, transport)
		defer w.Close()
		msgs := make([]kafka.Message, len(chosen))
		for i, d := range chosen {
			msgs[i] = republished(cfg, d)
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			return fmt.Errorf("re-publish to kafka: %w", err)
		}
		for _, d := range chosen {
			if _, err := tx.Exec(ctx, `INSERT INTO `+ReplayedTable+` (topic, partition, "offset", origin_topic, origin_partition, origin_offset)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
				cfg.Kafka.DeadLetterTopic, d.Partition, d.Offset, d.OriginTopic, d.OriginPartition, d.OriginOffset); err != nil {
				return fmt.Errorf("record replay: %w", err)
			}
		}
		fmt.Fprintf(out, "%d dead letters %s, %d skipped as already replayed\n", len(chosen), verb, skipped)
		return nil
	})
}

// choose selects the dead letters to replay, and counts those skipped as
// already replayed.
func choose(cfg *config.Config, dls []DeadLetter, done map[string]bool, opts ReplayOptions) ([]*DeadLetter, int, error) {
	want := map[string]bool{}
	for _, o := range opts.Origins {
		if _, _, _, err := parseOrigin(o); err != nil {
			return nil, 0, err
		}
		want[o] = false
	}
	var chosen []*DeadLetter
	skipped := 0
	for i := range dls {
		d := &dls[i]
		if d.OriginTopic == "" || !d.originKnown {
			continue // not written by the consumer, or its position headers are malformed: no origin to return to
		}
		if !opts.All {
			if _, ok := want[d.Origin()]; !ok {
				continue
			}
			want[d.Origin()] = true
		}
		if done[key(cfg.Kafka.DeadLetterTopic, d.Partition, d.Offset)] {
			skipped++
			continue
		}
		chosen = append(chosen, d)
	}
	var missing []string
	for o, found := range want {
		if !found {
			missing = append(missing, o)
		}
	}
	if len(missing) > 0 {
		return nil, 0, fmt.Errorf("no dead letter in %s comes from %s", cfg.Kafka.DeadLetterTopic, strings.Join(missing, ", "))
	}
	return chosen, skipped, nil
}

// parseOrigin parses "topic:partition:offset".
func parseOrigin(s string) (topic string, partition int, offset int64, err error) {
	p, err := deadletter.ParsePosition(s)
	if err != nil {
		return "", 0, 0, fmt.Errorf("--origin-offset %q: want topic:partition:offset, as dlq list prints it", s)
	}
	return p.Topic, p.Partition, p.Offset, nil
}

// republished returns the record to write back to d's origin topic: its
// key, value and own headers, without those the dead-lettering added.
func republished(cfg *config.Config, d *DeadLetter) kafka.Message {
	added := map[string]bool{
		deadletter.HeaderReason: true, deadletter.HeaderOrigin: true, deadletter.HeaderOriginTopic: true,
		deadletter.HeaderOriginPartition: true, deadletter.HeaderOriginOffset: true, deadletter.HeaderGroup: true,
		deadletter.HeaderTime: true, HeaderReplayedFrom: true,
	}
	var hs []kafka.Header
	for _, h := range d.msg.Headers {
		if !added[h.Key] {
			hs = append(hs, h)
		}
	}
	hs = append(hs, kafka.Header{Key: HeaderReplayedFrom, Value: []byte(key(cfg.Kafka.DeadLetterTopic, d.Partition, d.Offset))})
	return kafka.Message{Topic: d.OriginTopic, Key: d.msg.Key, Value: d.msg.Value, Headers: hs}
}

func key(topic string, partition int, offset int64) string {
	return deadletter.Position{Topic: topic, Partition: partition, Offset: offset}.String()
}

// querier is what replayed needs of a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// replayed returns the dead letters replayed so far, by
// "topic:partition:offset".
func replayed(ctx context.Context, q querier) (map[string]bool, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = $1 AND relnamespace = current_schema()::regnamespace)`,
		ReplayedTable).Scan(&exists); err != nil {
		return nil, fmt.Errorf("read %s: %w", ReplayedTable, err)
	}
	done := map[string]bool{}
	if !exists {
		return done, nil
	}
	rows, err := q.Query(ctx, `SELECT topic, partition, "offset" FROM `+ReplayedTable)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ReplayedTable, err)
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		var p int32
		var o int64
		if err := rows.Scan(&t, &p, &o); err != nil {
			return nil, fmt.Errorf("read %s: %w", ReplayedTable, err)
		}
		done[key(t, int(p), o)] = true
	}
	return done, rows.Err()
}
