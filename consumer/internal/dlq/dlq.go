package dlq

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/consumer/internal/connect"
	"github.com/sfsync/sfsync/schemas/deadletter"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/svcconfig/dlqcmd"
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

// DeadLetter is one record of the dead-letter topic, as the pipeline
// wrote it ([Record]).
type DeadLetter struct {
	Partition       int       `json:"partition"`
	Offset          int64     `json:"offset"`
	Time            time.Time `json:"time"`
	OriginTopic     string    `json:"origin_topic"`
	OriginPartition int       `json:"origin_partition"`
	OriginOffset    int64     `json:"origin_offset"`
	Reason          string    `json:"reason"`
	Group           string    `json:"group,omitempty"`
	// Entity, RecordID and ChangeType come from the value when it decodes
	// as an envelope; empty otherwise.
	Entity     string `json:"entity,omitempty"`
	RecordID   string `json:"record_id,omitempty"`
	ChangeType string `json:"change_type,omitempty"`
	// Replayed says whether a replay re-published it; false when
	// PostgreSQL could not be asked.
	Replayed bool `json:"replayed"`
	// HeaderError says which dead-letter headers are malformed; the
	// origin partition and offset are then unknown (printed as "?"), and
	// a replay leaves the dead letter alone.
	HeaderError string `json:"header_error,omitempty"`

	msg kafka.Message
	env *envelope.Envelope
	// originKnown is false when the origin partition or offset header is
	// missing or malformed.
	originKnown bool
}

// Origin returns where the record came from, "topic:partition:offset",
// the form --origin-offset takes; "topic:?:?" when the headers do not
// say.
func (d *DeadLetter) Origin() string {
	if !d.originKnown {
		return d.OriginTopic + ":?:?"
	}
	return key(d.OriginTopic, d.OriginPartition, d.OriginOffset)
}

// ListOptions says which dead letters [List] prints, and how.
type ListOptions struct {
	// Limit bounds the dead letters printed, oldest first; 0 prints all.
	Limit int
	// Format is "table" (the default) or "json" (one array).
	Format string
}

// List reads the dead-letter topic from its beginning, without
// a consumer group, and prints its records to out: offset, time, origin,
// reason, and the entity and record id when the value decodes as an
// envelope. Whether each was replayed comes from PostgreSQL; when
// PostgreSQL does not answer, the list is printed without it and warn
// says why.
func List(ctx context.Context, cfg *config.Config, opts ListOptions, out, warn io.Writer) error {
	dls, err := read(ctx, cfg, opts.Limit)
	if err != nil {
		return err
	}
	if pool, err := connect.OpenPostgres(ctx, cfg); err != nil {
		fmt.Fprintf(warn, "sfsync-consumer: replays unknown: %v\n", err)
	} else {
		defer pool.Close()
		done, err := replayed(ctx, pool)
		if err != nil {
			fmt.Fprintf(warn, "sfsync-consumer: replays unknown: %v\n", err)
		}
		for i := range dls {
			dls[i].Replayed = done[key(cfg.Kafka.DeadLetterTopic, dls[i].Partition, dls[i].Offset)]
		}
	}
	return dlqcmd.Print(out, opts.Format, dls,
		[]string{"PARTITION", "OFFSET", "TIME", "ORIGIN", "REASON", "ENTITY", "RECORD", "REPLAYED"},
		func(d *DeadLetter) []string {
			return []string{strconv.Itoa(d.Partition), strconv.FormatInt(d.Offset, 10), d.Time.UTC().Format(time.RFC3339),
				d.Origin(), dlqcmd.Reason(d.Reason), dlqcmd.Cell(d.Entity), dlqcmd.Cell(d.RecordID), strconv.FormatBool(d.Replayed)}
		},
		fmt.Sprintf("%d dead letters in %s", len(dls), cfg.Kafka.DeadLetterTopic))
}

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

// read reads the dead-letter topic's partitions from their
// first offset to their end at the time of the call, oldest first per
// partition, up to limit records (0: all).
func read(ctx context.Context, cfg *config.Config, limit int) ([]DeadLetter, error) {
	transport, err := cfg.Kafka.Transport()
	if err != nil {
		return nil, err
	}
	dialer, err := cfg.Kafka.Dialer()
	if err != nil {
		return nil, err
	}
	topic := cfg.Kafka.DeadLetterTopic
	client := connect.Client(cfg, transport)
	existing, _, err := connect.TopicPartitions(ctx, cfg, client)
	if err != nil {
		return nil, err
	}
	n, ok := existing[topic]
	if !ok {
		return nil, nil // created at the consumer's first start
	}
	reqs := make([]kafka.OffsetRequest, 0, 2*n)
	for p := range n {
		reqs = append(reqs, kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	resp, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("offsets of %s: %w", topic, err)
	}
	codec, err := cfg.SchemaRegistry.EnvelopeCodec()
	if err != nil {
		return nil, err
	}
	var out []DeadLetter
	for _, po := range resp.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("offsets of %s partition %d: %w", topic, po.Partition, po.Error)
		}
		if po.FirstOffset >= po.LastOffset {
			continue
		}
		got, err := readPartition(ctx, cfg, dialer, codec, po, limit-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// readPartition reads one partition from its first to its last offset,
// up to limit records (0 or less: all).
func readPartition(ctx context.Context, cfg *config.Config, dialer *kafka.Dialer, codec *envelope.Codec, po kafka.PartitionOffsets, limit int) ([]DeadLetter, error) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: cfg.Kafka.Brokers, Dialer: dialer, Topic: cfg.Kafka.DeadLetterTopic, Partition: po.Partition,
		MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 250 * time.Millisecond,
	})
	defer r.Close()
	if err := r.SetOffset(po.FirstOffset); err != nil {
		return nil, err
	}
	var out []DeadLetter
	for limit <= 0 || len(out) < limit {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read %s partition %d: %w", cfg.Kafka.DeadLetterTopic, po.Partition, err)
		}
		out = append(out, describe(m, codec))
		if m.Offset >= po.LastOffset-1 {
			break
		}
	}
	return out, nil
}

// describe describes m from its headers and, when it decodes, its
// envelope.
func describe(m kafka.Message, codec *envelope.Codec) DeadLetter {
	h, err := deadletter.Parse(m.Headers)
	d := DeadLetter{
		Partition: m.Partition, Offset: m.Offset, Time: m.Time, Reason: h.Reason, Group: h.Group,
		OriginTopic: h.OriginTopic, OriginPartition: h.OriginPartition, OriginOffset: h.OriginOffset, msg: m,
		originKnown: h.OriginPosition,
	}
	if err != nil {
		d.HeaderError = err.Error()
	}
	if !h.Time.IsZero() {
		d.Time = h.Time
	}
	if e, err := codec.Decode(m.Value); err == nil {
		d.env = e
		d.Entity, d.RecordID, d.ChangeType = e.Entity, e.RecordID, e.ChangeType.String()
	}
	return d
}
