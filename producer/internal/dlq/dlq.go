package dlq

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/platform/dlqcmd"
	"github.com/sfsync/sfsync/producer/internal/normalize"
	"github.com/sfsync/sfsync/producer/internal/replay"
	"github.com/sfsync/sfsync/producer/internal/sink"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/schemas/deadletter"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// ErrNotConverted is returned by [Tool.Replay] when a selected dead letter
// still cannot be converted; the others were replayed.
var ErrNotConverted = errors.New("still cannot be converted")

// Schemas returns Salesforce event schemas by id; *pubsub.Client is one.
type Schemas interface {
	GetSchema(ctx context.Context, id string) (*pubsub.Schema, error)
}

// Keys gives envelopes their partition keys; *keys.Resolver is one.
type Keys interface {
	Resolve(ctx context.Context, envs []envelope.Envelope) error
}

// Writer writes envelopes to Kafka as the live stream does, and sends
// an Ack per record it queued on acks; *sink.Sink is one.
type Writer interface {
	WriteEnvelopes(ctx context.Context, topic string, envs []envelope.Envelope, tk replay.Ticket, acks chan<- sink.Ack) (queued int, err error)
}

// Tool lists and replays the producer's dead letters. Its fields are its
// dependencies; a Tool is used by one command at a time.
type Tool struct {
	// Client reads the dead-letter topic and the ledger, and creates the
	// ledger. Required.
	Client *kafka.Client
	// Topic is the dead-letter topic and LedgerTopic the compacted topic
	// of replayed dead letters. Required.
	Topic, LedgerTopic string
	// Mapping and Normalizer are the producer's current ones. Required
	// for Replay; List uses them to describe platform events.
	Mapping    *mapping.Mapping
	Normalizer *normalize.Normalizer
	// Schemas decodes payloads. Required for Replay; without it, List
	// names only the entities of change event channels.
	Schemas Schemas
	// Keys gives envelopes their partition keys; nil leaves the
	// normaliser's (Replay's callers set it, as the live stream does).
	Keys Keys
	// Writer writes the envelopes and LedgerWriter the ledger's marks
	// (acks from all in-sync replicas). Required for Replay without
	// DryRun.
	Writer       Writer
	LedgerWriter *kafka.Writer
	// Now stamps ledger marks; the default is time.Now.
	Now func() time.Time
}

func (t *Tool) ledger() *ledger { return &ledger{topic: t.LedgerTopic, client: t.Client} }

// read returns the dead letters, up to limit (0: all), oldest first per
// partition, each marked replayed when the ledger holds it; marks is nil
// when the ledger could not be read, and err then says why.
func (t *Tool) read(ctx context.Context, limit int) (letters []Letter, marks map[string]Mark, ledgerErr, err error) {
	recs, err := readTopic(ctx, t.Client, t.Topic, limit)
	if err != nil {
		return nil, nil, nil, err
	}
	letters = make([]Letter, len(recs))
	for i, r := range recs {
		letters[i] = letterOf(t.Topic, r)
	}
	marks, ledgerErr = t.ledger().load(ctx)
	for i := range letters {
		letters[i].Replayed = replayed(&letters[i], marks)
	}
	return letters, marks, ledgerErr, nil
}

// replayed reports whether marks hold l, under its position and event id.
func replayed(l *Letter, marks map[string]Mark) bool {
	m, ok := marks[l.Origin]
	return ok && m.EventID == l.EventID
}

// ListOptions says which dead letters [Tool.List] prints, and how.
type ListOptions struct {
	// Limit bounds the dead letters printed, oldest first; 0 prints all.
	Limit int
	// Format is "table" (the default) or "json" (one array).
	Format string
}

// List prints the dead letters to out: position, time, Salesforce
// channel, replay id and event id, entity, change type and record ids
// where known, payload size, whether a replay wrote it, and the reason.
// What it cannot learn (the ledger, a schema) it says on warn, and prints
// the rest. It prints no payload, though a reason may quote the value
// that failed.
func (t *Tool) List(ctx context.Context, opts ListOptions, out, warn io.Writer) error {
	letters, _, ledgerErr, err := t.read(ctx, opts.Limit)
	if err != nil {
		return err
	}
	if ledgerErr != nil {
		fmt.Fprintf(warn, "sfsync-producer: replays unknown: %v\n", ledgerErr)
	}
	if t.Schemas != nil {
		// A schema Salesforce does not have is asked for once; when
		// Salesforce does not answer, the rest are not asked for.
		failed := map[string]bool{}
		for i := range letters {
			if failed[letters[i].SchemaID] {
				continue
			}
			err := t.describe(ctx, &letters[i])
			if err == nil {
				continue
			}
			fmt.Fprintf(warn, "sfsync-producer: not decoded: %v\n", err)
			if pubsub.IsRetryable(err) || ctx.Err() != nil {
				break
			}
			failed[letters[i].SchemaID] = true
		}
	}
	return dlqcmd.Print(out, opts.Format, letters,
		[]string{"ORIGIN", "TIME", "CHANNEL", "REPLAY ID", "EVENT ID", "ENTITY", "CHANGE", "RECORDS", "SIZE", "REPLAYED", "REASON"},
		func(l *Letter) []string {
			return []string{l.Origin, l.Time.UTC().Format(time.RFC3339), dlqcmd.Cell(l.Channel), dlqcmd.Cell(l.ReplayID),
				dlqcmd.Cell(l.EventID), dlqcmd.Cell(l.Entity), dlqcmd.Cell(l.ChangeType), dlqcmd.Cell(strings.Join(l.RecordIDs, ",")),
				strconv.Itoa(l.Size), strconv.FormatBool(l.Replayed), dlqcmd.Reason(l.Reason)}
		},
		fmt.Sprintf("%d dead letters in %s", len(letters), t.Topic))
}

// describe fills l's entity, change type and record ids from its decoded
// payload; the error says why it could not be decoded, when Salesforce
// did not give the schema.
func (t *Tool) describe(ctx context.Context, l *Letter) error {
	if !l.Producer || l.Trimmed != "" {
		return nil
	}
	ev, ok := l.event()
	if !ok {
		return nil
	}
	s, err := t.Schemas.GetSchema(ctx, l.SchemaID)
	if err != nil {
		return err
	}
	pubsub.DecodeEvent(s, &ev)
	switch {
	case ev.DecodeErr != nil:
	case ev.Header != nil:
		l.Entity, l.ChangeType, l.RecordIDs = ev.Header.EntityName, string(ev.Header.ChangeType), ev.Header.RecordIDs
	case t.Normalizer != nil:
		// A platform event: the mapping's event block says what it is
		// about, when it converts.
		if envs, err := t.Normalizer.Envelopes(&ev); err == nil && len(envs) > 0 {
			l.Entity, l.ChangeType = envs[0].Entity, envs[0].ChangeType.String()
			for _, e := range envs {
				if !slices.Contains(l.RecordIDs, e.RecordID) {
					l.RecordIDs = append(l.RecordIDs, e.RecordID)
				}
			}
		}
	}
	return nil //nolint:nilerr // a platform event that does not convert is described by its headers alone
}

// ReplayOptions says which dead letters [Tool.Replay] replays.
type ReplayOptions struct {
	// All selects every dead letter of the producer not replayed yet.
	All bool
	// Origins selects dead letters by position, TOPIC:PARTITION:OFFSET
	// as List prints it.
	Origins []string
	// DryRun converts and prints what would be written, and writes
	// nothing.
	DryRun bool
}

// Select returns the dead letters opts selects, in the order of letters,
// leaving out those the ledger's marks hold (counted in skipped) and
// records the producer did not write and dead letters without their
// payload; naming one of those by position is an error, as is a position
// that is not in letters.
func Select(topic string, letters []Letter, marks map[string]Mark, opts ReplayOptions) (chosen []*Letter, skipped int, err error) {
	if opts.All == (len(opts.Origins) > 0) {
		return nil, 0, errors.New("choose --all or --origin-offset")
	}
	// named holds the positions --origin-offset gives, in their order,
	// and found those letters hold.
	var named []string
	found := map[string]bool{}
	for _, o := range opts.Origins {
		p, err := deadletter.ParsePosition(o)
		if err != nil {
			return nil, 0, fmt.Errorf("--origin-offset %w, as dlq list prints it", err)
		}
		named = append(named, p.String())
		found[p.String()] = false
	}
	for i := range letters {
		l := &letters[i]
		if _, ok := found[l.Origin]; !opts.All && !ok {
			continue
		}
		if !l.Producer {
			if !opts.All {
				return nil, 0, fmt.Errorf("%s was not written by the producer (no %s: %s header)", l.Origin, deadletter.HeaderOrigin, deadletter.OriginSalesforce)
			}
			continue
		}
		if l.Trimmed != "" {
			if !opts.All {
				return nil, 0, fmt.Errorf("%s holds no payload to replay (%s: %s): its event was too large for Kafka, and the producer requested a reconciliation of its records instead",
					l.Origin, deadletter.HeaderTrimmed, l.Trimmed)
			}
			continue
		}
		found[l.Origin] = true
		if replayed(l, marks) {
			skipped++
			continue
		}
		chosen = append(chosen, l)
	}
	var missing []string
	for _, o := range named {
		if !found[o] {
			missing = append(missing, o)
			found[o] = true // named twice, reported once
		}
	}
	if len(missing) > 0 {
		return nil, 0, fmt.Errorf("no dead letter at %s in %s", strings.Join(missing, ", "), topic)
	}
	return chosen, skipped, nil
}

// conversion is what the current configuration makes of one dead letter.
type conversion struct {
	letter *Letter
	topic  string // the mapping's Kafka topic of the envelopes
	envs   []envelope.Envelope
	// none says why a converted event yields no envelope (its entity is
	// not in the mapping now), as the live stream skips it.
	none string
	// failed says why it still cannot be converted.
	failed error
	// refused says why Kafka did not take its envelopes.
	refused error
}

// convert runs the producer's conversion on l: decode with the schema
// that wrote it, normalise with the current mapping, resolve partition
// keys. It returns an error only for what a later replay may get past
// (Salesforce not answering, a partition key lookup failing); an event
// that does not convert is a conversion with failed set.
func (t *Tool) convert(ctx context.Context, l *Letter) (conversion, error) {
	c := conversion{letter: l}
	ev, ok := l.event()
	if !ok {
		c.failed = fmt.Errorf("replay id header %q is not hex", l.ReplayID)
		return c, nil
	}
	s, err := t.Schemas.GetSchema(ctx, l.SchemaID)
	switch {
	case err != nil && pubsub.IsRetryable(err):
		return c, fmt.Errorf("%s: %w", l.Origin, err)
	case err != nil:
		c.failed = err
		return c, nil //nolint:nilerr // a schema Salesforce does not have: the dead letter does not convert
	}
	pubsub.DecodeEvent(s, &ev)
	envs, err := t.Normalizer.Envelopes(&ev)
	switch {
	case errors.Is(err, normalize.ErrUnmapped):
		// As the live stream: an event of an object the mapping does not
		// name has nothing to write.
		c.none = err.Error()
		return c, nil
	case err != nil:
		c.failed = err
		return c, nil //nolint:nilerr // the event does not convert: reported, not a failure of the replay
	}
	if t.Keys != nil {
		if err := t.Keys.Resolve(ctx, envs); err != nil {
			return c, fmt.Errorf("%s: partition keys: %w", l.Origin, err)
		}
	}
	c.envs = envs
	c.topic = t.Mapping.Object(envs[0].Entity).KafkaTopic
	return c, nil
}

// Replay converts the selected dead letters again with the current
// mapping and Salesforce's schemas, writes the envelopes of those that
// convert as the live stream does, waits for Kafka to acknowledge them,
// and records them in the ledger; with DryRun it converts and prints, and
// writes nothing. It prints one line per dead letter and a summary. It
// returns an error wrapping [ErrNotConverted] when a selected dead letter
// still does not convert; nothing of that one is written or recorded.
func (t *Tool) Replay(ctx context.Context, opts ReplayOptions, out io.Writer) error {
	letters, marks, ledgerErr, err := t.read(ctx, 0)
	if err != nil {
		return err
	}
	if ledgerErr != nil {
		return ledgerErr
	}
	chosen, skipped, err := Select(t.Topic, letters, marks, opts)
	if err != nil {
		return err
	}
	// Convert everything first: a Salesforce failure then stops the
	// replay before anything is written.
	convs := make([]conversion, len(chosen))
	for i, l := range chosen {
		if convs[i], err = t.convert(ctx, l); err != nil {
			return err
		}
	}
	acked := convs
	if !opts.DryRun {
		if err := t.ledger().ensureTopic(ctx); err != nil {
			return err
		}
		if acked, err = t.write(ctx, convs); err != nil {
			return err
		}
	}
	verb := "replayed"
	if opts.DryRun {
		verb = "would replay"
	}
	done, failed, refused := 0, 0, 0
	for _, c := range acked {
		switch {
		case c.failed != nil:
			failed++
			fmt.Fprintf(out, "not replayed %s: %s\n", describeLetter(c.letter), dlqcmd.OneLine(c.failed.Error(), 400))
		case c.refused != nil:
			refused++
			fmt.Fprintf(out, "not written %s: kafka: %s\n", describeLetter(c.letter), dlqcmd.OneLine(c.refused.Error(), 400))
		default:
			done++
			fmt.Fprintf(out, "%s %s as %s\n", verb, describeLetter(c.letter), describeConversion(c))
		}
	}
	summary := fmt.Sprintf("%d dead letters %s, %d skipped as already replayed, %d not converted", done, verb, skipped, failed)
	if refused > 0 {
		summary += fmt.Sprintf(", %d refused by Kafka", refused)
	}
	fmt.Fprintln(out, summary)
	var errs []error
	if failed > 0 {
		errs = append(errs, fmt.Errorf("%d dead letters %w; see above", failed, ErrNotConverted))
	}
	if refused > 0 {
		errs = append(errs, fmt.Errorf("%d dead letters not written: Kafka refused their envelopes; replay them again", refused))
	}
	return errors.Join(errs...)
}

// writeOne writes envs, counting the records queued in pending.
func (t *Tool) writeOne(ctx context.Context, topic string, envs []envelope.Envelope, tk replay.Ticket, acks chan<- sink.Ack, pending *sync.WaitGroup) error {
	pending.Add(len(envs))
	queued, err := t.Writer.WriteEnvelopes(ctx, topic, envs, tk, acks)
	pending.Add(queued - len(envs))
	return err
}

// write writes the envelopes of the conversions that succeeded, waits for
// Kafka's acknowledgements, and records in the ledger the dead letters
// all of whose envelopes Kafka acknowledged. It returns the conversions
// with refused set on those Kafka refused, or an error when a write could
// not be queued (after recording those written before it) or the ledger
// not written.
func (t *Tool) write(ctx context.Context, convs []conversion) ([]conversion, error) {
	var (
		pending sync.WaitGroup // records queued and not yet settled
		refused = make([]error, len(convs))
		queued  = 0 // the conversions all of whose envelopes were queued
		acks    = make(chan sink.Ack, 64)
		settled = make(chan struct{})
	)
	go func() {
		defer close(settled)
		for a := range acks {
			if a.Err != nil {
				refused[a.Ticket] = a.Err
			}
			pending.Done()
		}
	}()
	var queueErr error
queue:
	for i := range convs {
		c := &convs[i]
		for j := range c.envs {
			if err := t.writeOne(ctx, c.topic, c.envs[j:j+1], replay.Ticket(i), acks, &pending); err != nil {
				queueErr = fmt.Errorf("%s: %w", c.letter.Origin, err)
				break queue
			}
		}
		queued++
	}
	pending.Wait()
	close(acks)
	<-settled
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	marks := map[string]Mark{}
	out := slices.Clone(convs)
	for i, c := range out[:queued] {
		switch {
		case c.failed != nil:
		case refused[i] != nil:
			out[i].refused = refused[i]
		default:
			m := Mark{EventID: c.letter.EventID, Channel: c.letter.Channel, ReplayID: c.letter.ReplayID, Envelopes: len(c.envs), ReplayedAt: now().UTC()}
			if c.topic != "" {
				m.Topics = []string{c.topic}
			}
			marks[c.letter.Origin] = m
		}
	}
	if err := t.ledger().record(ctx, t.LedgerWriter, marks); err != nil {
		return nil, err
	}
	if queueErr != nil {
		// What was queued of the failing dead letter is not recorded: a
		// later replay writes it again, which the consumer recognises.
		return nil, queueErr
	}
	return out, nil
}

func describeLetter(l *Letter) string {
	return fmt.Sprintf("%s (%s replay id %s event %s)", l.Origin, l.Channel, l.ReplayID, l.EventID)
}

func describeConversion(c conversion) string {
	if len(c.envs) == 0 {
		return "no envelopes: " + c.none
	}
	var ids []string
	keys := map[string]bool{}
	for _, e := range c.envs {
		ids = append(ids, e.RecordID+" "+e.ChangeType.String())
		keys[e.PartitionKey] = true
	}
	return fmt.Sprintf("%d envelopes to %s (%s %s; keys %s)", len(c.envs), c.topic, c.envs[0].Entity,
		strings.Join(ids, ", "), strings.Join(slices.Sorted(maps.Keys(keys)), ","))
}
