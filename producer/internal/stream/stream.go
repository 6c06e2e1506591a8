package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sfsync/sfsync/platform/retry"
	"github.com/sfsync/sfsync/producer/internal/normalize"
	"github.com/sfsync/sfsync/producer/internal/replay"
	"github.com/sfsync/sfsync/producer/internal/sink"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/schemas/deadletter"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// Policy says what to do when Salesforce refuses the stored replay id
// because it is malformed or older than the retention window.
type Policy string

const (
	// PolicyFail stops the stream with an error saying what to do. The
	// default: a gap must never go unnoticed.
	PolicyFail Policy = "fail"
	// PolicyEarliest resubscribes from the oldest retained event and
	// requests a reconciliation for what may have been lost before it.
	PolicyEarliest Policy = "earliest"
	// PolicyLatest resubscribes from new events and requests a
	// reconciliation.
	PolicyLatest Policy = "latest"
)

// Subscriber opens Pub/Sub subscriptions; *pubsub.Client is one.
type Subscriber interface {
	Subscribe(ctx context.Context, req pubsub.SubscribeRequest) (*pubsub.Subscription, error)
}

// Writer writes to Kafka and sends an Ack per record queued on acks;
// *sink.Sink is one.
type Writer interface {
	Batch(topic string, envs []envelope.Envelope) (*sink.Batch, error)
	Write(ctx context.Context, b *sink.Batch, tk replay.Ticket, acks chan<- sink.Ack) (queued int, err error)
	WriteDeadLetter(ctx context.Context, topic string, dl sink.DeadLetter, tk replay.Ticket, acks chan<- sink.Ack) error
}

// Reconciler asks for a reconciliation; *replay.Requests is one.
type Reconciler interface {
	Request(ctx context.Context, r replay.ReconcileRequest) error
}

// Saver stores the subscription's safe replay id durably.
type Saver interface {
	Save(ctx context.Context, replayID []byte) error
}

// The defaults of [Config.BackoffMin] and [Config.BackoffMax].
const (
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = time.Minute
)

// backoffJitter is how far each resubscription delay is drawn either
// way of its current interval: a half.
const backoffJitter = 0.5

// newBackoff returns the resubscription backoff: from BackoffMin,
// doubling after each failed session up to BackoffMax, each delay
// jittered by backoffJitter and kept within BackoffMin and BackoffMax.
func newBackoff(cfg Config) *retry.Backoff {
	return retry.New(retry.Policy{
		Interval: cfg.BackoffMin, MaxInterval: cfg.BackoffMax, Jitter: backoffJitter,
		Min: cfg.BackoffMin, Max: cfg.BackoffMax,
	})
}

// Config configures a [Stream].
type Config struct {
	// Topic is the Pub/Sub topic, e.g. /data/AccountChangeEvent. Required.
	Topic string
	// Mapping names each entity's Kafka topic. Required.
	Mapping *mapping.Mapping
	// Normalizer turns events into envelopes. Required.
	Normalizer *normalize.Normalizer
	// DeadLetterTopic receives events that cannot become envelopes.
	// Required.
	DeadLetterTopic string
	// Subscriber, Writer and Saver are the stream's dependencies. Required.
	Subscriber Subscriber
	Writer     Writer
	Saver      Saver
	// Start is the stored replay id to resume after; nil starts at
	// InitialPreset.
	Start []byte
	// StartLatest makes a subscription without a stored replay id start
	// with new events; by default it starts from the oldest retained
	// event, so that nothing retained is missed on a first start.
	StartLatest bool
	// Policy handles a refused stored replay id; the default is
	// [PolicyFail].
	Policy Policy
	// Reconciler receives a reconcile request, under PolicyEarliest and
	// PolicyLatest, before the stream resubscribes past a refused replay
	// id, and before it moves past an event whose envelopes are too large
	// for Kafka, so the reconciler re-checks the topic's objects; the
	// request's replay id is the refused or oversized event's. Required
	// with those policies; without it an oversized event is only
	// dead-lettered.
	Reconciler Reconciler
	// Capacity bounds the events a subscription holds (see
	// pubsub.SubscribeRequest); the default is 100.
	Capacity int
	// StallTimeout resubscribes when nothing arrives for that long; the
	// default is pubsub.DefaultStallTimeout.
	StallTimeout time.Duration
	// BackoffMin and BackoffMax bound the delay between resubscriptions,
	// which doubles from BackoffMin after each failed session, capped at
	// BackoffMax, with each delay jittered by half either way so that
	// replicas do not retry in lockstep; the defaults are 1 s and 1 min.
	BackoffMin, BackoffMax time.Duration
	// CheckpointInterval is how often a newer safe replay id is saved;
	// the default is 1 s.
	CheckpointInterval time.Duration
	// DrainTimeout bounds the wait for Kafka acknowledgements when the
	// stream stops; the default is 30 s.
	DrainTimeout time.Duration
	// AllocationRetry is how long the stream waits before subscribing
	// again when the org's event delivery allocation is used up; the
	// default is 5 min. The allocation is a rolling 24-hour window, and
	// Salesforce keeps the events for 72 hours, so waiting loses nothing.
	AllocationRetry time.Duration
	// Logger receives the stream's logs; the default discards them.
	Logger *slog.Logger
	// Metrics records the stream's metrics; nil records none.
	Metrics *Metrics
	// Keys, when set, gives each event's envelopes their records'
	// partition keys before they are written; *keys.Resolver is one. If
	// it fails, nothing of the event is written and the stream
	// resubscribes from its safe position when the error has a
	// Temporary method that returns true, or stops.
	Keys interface {
		Resolve(ctx context.Context, envs []envelope.Envelope) error
	}
}

// Stream is one running subscription. Run it once.
type Stream struct {
	cfg     Config
	log     *slog.Logger
	backoff *retry.Backoff
	saved   []byte // the replay id last saved, or Start
	pos     []byte // where the next subscription resumes after; nil: preset
	reset   pubsub.ReplayPreset
}

// New returns a Stream for cfg, checking that it is complete.
func New(cfg Config) (*Stream, error) {
	switch {
	case cfg.Topic == "":
		return nil, errors.New("stream: no topic")
	case cfg.Mapping == nil || cfg.Normalizer == nil:
		return nil, errors.New("stream: no mapping or normalizer")
	case cfg.DeadLetterTopic == "":
		return nil, errors.New("stream: no dead-letter topic")
	case cfg.Subscriber == nil || cfg.Writer == nil || cfg.Saver == nil:
		return nil, errors.New("stream: missing subscriber, writer or saver")
	}
	if cfg.Policy == "" {
		cfg.Policy = PolicyFail
	}
	switch cfg.Policy {
	case PolicyFail:
	case PolicyEarliest, PolicyLatest:
		if cfg.Reconciler == nil {
			return nil, fmt.Errorf("stream: policy %s needs a Reconciler", cfg.Policy)
		}
	default:
		return nil, fmt.Errorf("stream: unknown replay policy %q", cfg.Policy)
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = time.Second
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 30 * time.Second
	}
	if cfg.AllocationRetry <= 0 {
		cfg.AllocationRetry = 5 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = DefaultBackoffMin
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	cfg.BackoffMax = max(cfg.BackoffMax, cfg.BackoffMin)
	reset := pubsub.Earliest
	if cfg.StartLatest {
		reset = pubsub.Latest
	}
	return &Stream{
		cfg: cfg, log: cfg.Logger.With("topic", cfg.Topic), backoff: newBackoff(cfg),
		saved: bytes.Clone(cfg.Start), pos: bytes.Clone(cfg.Start), reset: reset,
	}, nil
}

// Run subscribes and streams until ctx is done, then waits for Kafka to
// acknowledge what was written (up to DrainTimeout), saves the safe
// replay id and returns nil. It returns an error for what resubscribing
// cannot fix: a refused replay id under PolicyFail, a topic that does not
// exist, missing permissions. A used-up delivery allocation is waited out
// (AllocationRetry), not returned.
func (s *Stream) Run(ctx context.Context) error {
	for {
		err := s.session(ctx)
		if ctx.Err() != nil {
			return nil //nolint:nilerr // stopping was asked for; the session drained and saved
		}
		switch {
		case errors.Is(err, pubsub.ErrReplayIDCorrupted):
			if err := s.onRefusedReplayID(ctx, err); err != nil {
				return err
			}
		case errors.Is(err, pubsub.ErrAllocationExceeded):
			s.cfg.Metrics.resubscribed(s.cfg.Topic, "allocation")
			s.log.Error("the org's event delivery allocation is used up; subscribing again later (Salesforce keeps the events 72 h)",
				"err", err, "after", s.cfg.AllocationRetry, "resume_after", fmt.Sprintf("%x", s.pos))
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(s.cfg.AllocationRetry):
			}
		case pubsub.IsRetryable(err) || isKafkaFailure(err) || isKeysFailure(err):
			s.cfg.Metrics.resubscribed(s.cfg.Topic, cause(err))
			d := s.backoff.Next()
			s.log.Warn("stream interrupted; resubscribing", "err", err, "after", d, "resume_after", fmt.Sprintf("%x", s.pos))
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(d):
			}
		default:
			return fmt.Errorf("stream %s: %w", s.cfg.Topic, err)
		}
	}
}

// cause names why a session ended, for the resubscribes metric.
func cause(err error) string {
	switch {
	case isKafkaFailure(err):
		return "kafka"
	case isKeysFailure(err):
		return "partition_keys"
	case errors.Is(err, pubsub.ErrStalled):
		return "stalled"
	case errors.Is(err, pubsub.ErrAuth):
		return "auth"
	case errors.Is(err, pubsub.ErrStreamEnded):
		return "ended"
	default:
		return "transport"
	}
}

// errKafka marks a session ended by a failed Kafka write.
var errKafka = errors.New("kafka write failed")

func isKafkaFailure(err error) bool { return errors.Is(err, errKafka) }

// errKeys marks a session ended by a failed partition key lookup.
var errKeys = errors.New("partition keys not resolved")

// isKeysFailure reports a failed partition key lookup that may pass.
func isKeysFailure(err error) bool {
	var t interface{ Temporary() bool }
	return errors.Is(err, errKeys) && errors.As(err, &t) && t.Temporary()
}

func (s *Stream) onRefusedReplayID(ctx context.Context, err error) error {
	if s.cfg.Policy == PolicyFail {
		return fmt.Errorf("stream %s: Salesforce refused the stored replay id %x: it is malformed or older than the retention window (72 h), so events may have been lost: %w\n"+
			"to go on, set replay.policy to earliest (replay the retained events, then reconcile) or latest, which also request a reconciliation",
			s.cfg.Topic, s.pos, err)
	}
	reason := fmt.Sprintf("stored replay id %x refused (%v); resubscribed from %s", s.pos, err, s.cfg.Policy)
	if err := s.cfg.Reconciler.Request(ctx, replay.NewReconcileRequest(s.cfg.Topic, s.pos, reason)); err != nil {
		return fmt.Errorf("stream %s: request reconciliation: %w", s.cfg.Topic, err)
	}
	s.log.Warn("stored replay id refused; reconciliation requested", "policy", s.cfg.Policy, "replay_id", fmt.Sprintf("%x", s.pos))
	s.pos = nil
	s.reset = pubsub.Earliest
	if s.cfg.Policy == PolicyLatest {
		s.reset = pubsub.Latest
	}
	return nil
}

// session runs one subscription until it fails or ctx is done. Its
// events flow forward: read decodes each into envelopes (or a dead
// letter), writes their records and tells the tracker how many it
// wrote; the Kafka acknowledgements come back as values on acks, which
// acknowledge settles with the tracker; saving stores the tracker's safe
// position. On the way out it waits for the acknowledgements of the
// writes it made (up to DrainTimeout) and saves the safe position, which
// the next session resumes after.
func (s *Stream) session(ctx context.Context) error {
	req := pubsub.SubscribeRequest{Topic: s.cfg.Topic, Capacity: s.cfg.Capacity, StallTimeout: s.cfg.StallTimeout}
	if s.pos != nil {
		req.Preset, req.ReplayID = pubsub.Custom, s.pos
	} else {
		req.Preset = s.reset
	}
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sub, err := s.cfg.Subscriber.Subscribe(sctx, req)
	if err != nil {
		return err
	}
	defer sub.Close()
	s.log.Info("subscribed", "preset", req.Preset.String(), "replay_id", fmt.Sprintf("%x", req.ReplayID))

	tracker := &replay.Tracker{}
	fail := func(err error) { cancel(fmt.Errorf("%w: %w", errKafka, err)) }
	acks := make(chan sink.Ack, ackBuffer)
	readDone := make(chan struct{})
	acked := make(chan struct{})
	go func() {
		defer close(acked)
		s.acknowledge(acks, readDone, tracker, fail)
	}()
	saveDone := make(chan struct{})
	go func() {
		defer close(saveDone)
		s.saving(sctx, tracker)
	}()

	err = s.read(sctx, sub, tracker, acks)
	close(readDone)
	cancel(err)
	<-saveDone
	if cause := context.Cause(sctx); cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause // a Kafka failure ended the read
	}
	s.drain(tracker, acked)
	return err
}

// ackBuffer is how many Acks of a session wait to be settled before the
// Kafka writers wait for the session.
const ackBuffer = 256

// saving saves the tracker's safe position every CheckpointInterval
// until ctx is done.
func (s *Stream) saving(ctx context.Context, tracker *replay.Tracker) {
	t := time.NewTicker(s.cfg.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.save(ctx, tracker)
		}
	}
}

// acknowledge is the session's acknowledgement stage: it settles each
// Ack with the tracker until the read is done and no record is in
// flight. It goes on after the session when DrainTimeout ran out first,
// so that the Kafka writers never wait for a session that is gone; it
// ends at the latest when the sink is closed, which settles every
// record.
func (s *Stream) acknowledge(acks <-chan sink.Ack, readDone <-chan struct{}, tracker *replay.Tracker, fail func(error)) {
	done := false
	for {
		if done {
			if _, records := tracker.InFlight(); records == 0 {
				return
			}
		}
		select {
		case a := <-acks:
			if err := s.settle(a, tracker); err != nil {
				fail(err)
			}
		case <-readDone:
			done, readDone = true, nil
		}
	}
}

// settle tells the tracker the outcome of one record, and counts a
// written envelope. A record Kafka did not take is an error.
func (s *Stream) settle(a sink.Ack, tracker *replay.Tracker) error {
	if a.Err != nil {
		return errors.Join(a.Err, tracker.Failed(a.Ticket))
	}
	if a.Envelope != nil {
		s.cfg.Metrics.recordWritten(s.cfg.Topic, a.Topic, a.Envelope)
	}
	return tracker.Acked(a.Ticket)
}

// read handles events until the subscription or ctx ends.
func (s *Stream) read(ctx context.Context, sub *pubsub.Subscription, tracker *replay.Tracker, acks chan<- sink.Ack) error {
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			return err
		}
		s.backoff.Reset()
		_, inFlight := tracker.InFlight()
		s.cfg.Metrics.inFlightRecords(s.cfg.Topic, inFlight)
		if ev.Keepalive {
			tracker.Keepalive(ev.ReplayID)
			continue
		}
		if ev.Header != nil {
			s.cfg.Metrics.eventReceived(s.cfg.Topic, string(ev.Header.ChangeType))
		} else {
			s.cfg.Metrics.eventReceived(s.cfg.Topic, "event")
		}
		switch d := s.decode(&ev).(type) {
		case unmapped:
			// /data/ChangeEvents carries every CDC-enabled object; the
			// mapping chooses which to keep.
			tracker.Delivered(ev.ReplayID, 0)
		case unavailable:
			return d.err
		case poison:
			if err := s.deadLetter(ctx, &ev, d.reason, tracker, acks); err != nil {
				return err
			}
		case envelopes:
			if err := s.write(ctx, &ev, d, tracker, acks); err != nil {
				return err
			}
		}
	}
}

// decoded is what an event became: [envelopes], [unmapped], [poison] or
// [unavailable].
type decoded interface{ decoded() }

type (
	// envelopes are an event's envelopes, to write to Kafka.
	envelopes []envelope.Envelope
	// unmapped is an event of an entity the mapping does not name, to
	// skip.
	unmapped struct{}
	// poison is an event that cannot become envelopes (it did not
	// decode, or its values do not fit the mapping), to dead-letter;
	// reason says why.
	poison struct{ reason error }
	// unavailable is an event whose schema Salesforce could not give:
	// a Salesforce failure, not a bad event, which resubscribing retries.
	unavailable struct{ err error }
)

func (envelopes) decoded()   {}
func (unmapped) decoded()    {}
func (poison) decoded()      {}
func (unavailable) decoded() {}

// decode turns ev into what it becomes.
func (s *Stream) decode(ev *pubsub.Event) decoded {
	envs, err := s.cfg.Normalizer.Envelopes(ev)
	switch {
	case errors.Is(err, normalize.ErrUnmapped):
		return unmapped{}
	case ev.DecodeErr != nil && pubsub.IsRetryable(ev.DecodeErr):
		return unavailable{err: ev.DecodeErr}
	case err != nil:
		return poison{reason: err}
	}
	return envelopes(envs)
}

// write writes the records of an event's envelopes, after resolving
// their partition keys; an event too large for Kafka is dead-lettered
// instead (see oversized).
func (s *Stream) write(ctx context.Context, ev *pubsub.Event, envs envelopes, tracker *replay.Tracker, acks chan<- sink.Ack) error {
	if s.cfg.Keys != nil {
		if err := s.cfg.Keys.Resolve(ctx, envs); err != nil {
			return fmt.Errorf("%w: %w", errKeys, err)
		}
	}
	obj := s.cfg.Mapping.Object(envs[0].Entity)
	batch, err := s.cfg.Writer.Batch(obj.KafkaTopic, envs)
	var tooLarge *sink.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return s.oversized(ctx, ev, envs, tooLarge, tracker, acks)
	case err != nil:
		return fmt.Errorf("%w: %w", errKafka, err)
	}
	tk := tracker.Delivered(ev.ReplayID, batch.Len())
	queued, err := s.cfg.Writer.Write(ctx, batch, tk, acks)
	if err != nil {
		for range batch.Len() - queued {
			_ = tracker.Failed(tk) // not queued: no Ack comes
		}
		return fmt.Errorf("%w: %w", errKafka, err)
	}
	return nil
}

// oversized handles an event whose envelopes Kafka would not take, as
// retrying cannot make them smaller: it requests a reconciliation of the
// topic's objects, then writes a dead letter of the event's ids without
// its payload, whose acknowledgement lets the checkpoint move past it.
func (s *Stream) oversized(ctx context.Context, ev *pubsub.Event, envs envelopes, tooLarge *sink.TooLargeError, tracker *replay.Tracker, acks chan<- sink.Ack) error {
	ids := make([]string, 0, len(envs))
	for _, e := range envs {
		if len(ids) == 0 || ids[len(ids)-1] != e.RecordID {
			ids = append(ids, e.RecordID)
		}
	}
	// The record ids go in a header of their own: a change event can name
	// thousands.
	reason := fmt.Sprintf("%s: the envelope of %s %s %s is %d bytes, over the %d bytes Kafka topic %s takes (max.message.bytes)",
		deadletter.ReasonOversized, envs[0].ChangeType, envs[0].Entity, recordsText(ids), tooLarge.Size, tooLarge.Limit, tooLarge.Topic)
	if s.cfg.Reconciler != nil {
		req := fmt.Sprintf("event %s (replay id %x) dead-lettered: %s", ev.ID, ev.ReplayID, reason)
		if err := s.cfg.Reconciler.Request(ctx, replay.NewReconcileRequest(s.cfg.Topic, ev.ReplayID, req)); err != nil {
			return fmt.Errorf("%w: request reconciliation: %w", errKafka, err)
		}
	}
	s.cfg.Metrics.deadLettered(s.cfg.Topic, reasonOversized)
	s.log.Error("event too large for Kafka: sent to the dead-letter topic without its payload; reconciliation requested",
		"event_id", ev.ID, "replay_id", fmt.Sprintf("%x", ev.ReplayID), "entity", envs[0].Entity, "records", len(ids),
		"size", tooLarge.Size, "limit", tooLarge.Limit, "kafka_topic", tooLarge.Topic)
	return s.writeDeadLetter(ctx, sink.DeadLetter{
		Reason: reason, Topic: s.cfg.Topic, ReplayID: ev.ReplayID, EventID: ev.ID, SchemaID: ev.SchemaID,
		Entity: envs[0].Entity, RecordIDs: ids, ChangeType: envs[0].ChangeType.String(),
		Trimmed: deadletter.TrimmedPayload, Size: tooLarge.Size, Limit: tooLarge.Limit, Time: time.Now(),
	}, tracker, acks)
}

// recordsText names one record by its id, more by their number.
func recordsText(ids []string) string {
	if len(ids) == 1 {
		return ids[0]
	}
	return fmt.Sprintf("(%d records)", len(ids))
}

// deadLetter sends an event that cannot become envelopes to the
// dead-letter topic, with its payload.
func (s *Stream) deadLetter(ctx context.Context, ev *pubsub.Event, reason error, tracker *replay.Tracker, acks chan<- sink.Ack) error {
	s.cfg.Metrics.deadLettered(s.cfg.Topic, reasonInvalid)
	s.log.Warn("event sent to the dead-letter topic", "event_id", ev.ID, "replay_id", fmt.Sprintf("%x", ev.ReplayID), "reason", reason)
	return s.writeDeadLetter(ctx, sink.DeadLetter{
		Reason: reason.Error(), Topic: s.cfg.Topic, ReplayID: ev.ReplayID,
		EventID: ev.ID, SchemaID: ev.SchemaID, Payload: ev.Payload, Time: time.Now(),
	}, tracker, acks)
}

// writeDeadLetter writes dl, which stands for its event: once Kafka
// acknowledged it, the checkpoint may move past the event.
func (s *Stream) writeDeadLetter(ctx context.Context, dl sink.DeadLetter, tracker *replay.Tracker, acks chan<- sink.Ack) error {
	tk := tracker.Delivered(dl.ReplayID, 1)
	if err := s.cfg.Writer.WriteDeadLetter(ctx, s.cfg.DeadLetterTopic, dl, tk, acks); err != nil {
		_ = tracker.Failed(tk) // not queued: no Ack comes
		return fmt.Errorf("%w: %w", errKafka, err)
	}
	return nil
}

// drain waits until Kafka acknowledged every record of the session, up
// to DrainTimeout, then saves the safe position. A record Kafka gave up
// on is never acknowledged: the wait then lasts DrainTimeout, which
// paces a producer whose Kafka fails.
func (s *Stream) drain(tracker *replay.Tracker, acked <-chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	defer cancel()
	select {
	case <-acked:
	case <-ctx.Done():
	}
	if n := tracker.Unacknowledged(); n > 0 {
		<-ctx.Done()
		s.log.Warn("stopped waiting for Kafka acknowledgements", "unacknowledged", n)
	}
	s.save(ctx, tracker)
}

// save makes the tracker's safe replay id the position the next session
// resumes after, and stores it when it moved.
func (s *Stream) save(ctx context.Context, tracker *replay.Tracker) {
	safe, ok := tracker.Safe()
	if !ok || bytes.Equal(safe, s.saved) {
		return
	}
	safe = bytes.Clone(safe)
	s.pos = safe
	if err := s.cfg.Saver.Save(ctx, safe); err != nil {
		s.log.Warn("checkpoint not saved; will retry", "err", err)
		return
	}
	s.saved = safe
	s.cfg.Metrics.checkpointSaved(s.cfg.Topic, time.Now())
}
