package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/connect"
	"github.com/sfsync/sfsync/platform/retry"
)

// partition is a partition to read, from offset start.
type partition struct {
	topic string
	id    int
	start int64
}

// reader is the stage that reads partitions, each from the offset
// PostgreSQL holds, restarting a failed reader, and reports the records
// Kafka deleted before they were read.
type reader struct {
	brokers []string
	dialer  *kafka.Dialer // never nil
	// first is the first wait before restarting a failed reader.
	first time.Duration
	ready *readiness
	// recordsLost is Config.RecordsLost, retried by retry.
	recordsLost func(ctx context.Context, loss Loss) error
	retry       *retrier
	// fail stops Run with a permanent Kafka error, named by kafkaAt.
	fail    func(error)
	kafkaAt func(what string, err error) error
	log     *slog.Logger
	m       *Metrics
}

// read fetches one partition from start into msgs until ctx ends. A
// reader that fails (its partition's leader unreachable, a fetch
// refused) is restarted where it stopped, after a backoff with jitter;
// the replica is not ready meanwhile. A permanent failure stops Run.
func (r *reader) read(ctx context.Context, p partition, msgs chan<- fetched) {
	wait := retry.Halves(r.first, 0)
	failing := false
	healthy := func() {
		if failing {
			failing = false
			r.ready.readerFailed(-1)
			r.log.Info("partition reader restarted", "topic", p.topic, "partition", p.id, "offset", p.start)
		}
		wait.Reset()
	}
	defer func() {
		if failing {
			r.ready.readerFailed(-1)
		}
	}()
	for {
		err := r.readFrom(ctx, &p, msgs, healthy)
		if ctx.Err() != nil {
			return
		}
		if connect.KafkaPermanent(err) {
			r.fail(r.kafkaAt(fmt.Sprintf("read %s/%d", p.topic, p.id), err))
			return
		}
		if !failing {
			failing = true
			r.ready.readerFailed(1)
		}
		if r.m != nil {
			r.m.readerRestarts.WithLabelValues(p.topic).Inc()
		}
		d := wait.Next()
		r.log.Warn("reading a partition failed; restarting its reader", "topic", p.topic, "partition", p.id,
			"offset", p.start, "in", d, "err", err)
		if retry.Sleep(ctx, d) != nil {
			return
		}
	}
}

// readFrom reads p from p.start into msgs, moving p.start past each
// record sent, until ctx ends or reading fails. It first reaches the
// partition's leader for its offsets (then calls healthy), and reports
// the records Kafka deleted before they were read.
func (r *reader) readFrom(ctx context.Context, p *partition, msgs chan<- fetched, healthy func()) error {
	first, last, err := r.logOffsets(ctx, p.topic, p.id)
	if err != nil {
		return err
	}
	healthy()
	switch {
	case p.start < 0: // no stored offset: from the log's start
		p.start = first
	case p.start < first && first == last:
		// Lost, and nothing after them to wait for.
		if err := r.lost(ctx, Loss{Topic: p.topic, Partition: p.id, From: p.start, To: first}); err != nil {
			return err
		}
		p.start = first
	}
	kr := kafka.NewReader(kafka.ReaderConfig{
		Brokers: r.brokers, Dialer: r.dialer, Topic: p.topic, Partition: p.id,
		MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 250 * time.Millisecond,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			r.log.Debug("kafka reader", "topic", p.topic, "partition", p.id, "msg", fmt.Sprintf(msg, args...))
		}),
	})
	defer kr.Close()
	if err := kr.SetOffset(p.start); err != nil {
		return fmt.Errorf("seek to %d: %w", p.start, err)
	}
	for {
		m, err := kr.FetchMessage(ctx)
		if err != nil {
			return fmt.Errorf("fetch from %d: %w", p.start, err)
		}
		if m.Offset > p.start {
			// A jump: Kafka skipped records before its log's start.
			if err := r.jumped(ctx, p, m); err != nil {
				return err
			}
		}
		select {
		case msgs <- fetched{Message: m, at: time.Now()}:
			p.start = m.Offset + 1
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// jumped handles a record m read past p.start: the records between were
// lost when the log now starts after p.start (retention deleted them);
// otherwise they were never records (compaction, transaction markers).
func (r *reader) jumped(ctx context.Context, p *partition, m kafka.Message) error {
	to := m.Offset
	first, _, err := r.logOffsets(ctx, p.topic, p.id)
	if err == nil {
		to = min(to, first)
	} else {
		r.log.Warn("reading the partition's first offset failed; counting the whole jump as lost", "topic", p.topic, "partition", p.id, "err", err)
	}
	if to <= p.start {
		return nil
	}
	return r.lost(ctx, Loss{Topic: p.topic, Partition: p.id, From: p.start, To: to, Next: &m})
}

// lost reports a loss: an error log, the metric, and the RecordsLost
// callback, retried until it succeeds or ctx ends.
func (r *reader) lost(ctx context.Context, loss Loss) error {
	r.log.Error("records lost: Kafka deleted them (retention) before they were read; requesting a reconciliation",
		"topic", loss.Topic, "partition", loss.Partition, "from", loss.From, "to", loss.To, "records", loss.To-loss.From)
	if r.m != nil {
		r.m.recordsLost.WithLabelValues(loss.Topic, strconv.Itoa(loss.Partition)).Add(float64(loss.To - loss.From))
	}
	if r.recordsLost == nil {
		return nil
	}
	return r.retry.do(ctx, "request a reconciliation", func(ctx context.Context) error {
		err := r.recordsLost(ctx, loss)
		if connect.KafkaPermanent(err) {
			return permanent{err}
		}
		return err
	})
}

// logOffsets returns the first and the next offset of a partition, as
// its leader says, trying the brokers in turn.
func (r *reader) logOffsets(ctx context.Context, topic string, part int) (first, last int64, err error) {
	for _, broker := range r.brokers {
		var conn *kafka.Conn
		if conn, err = r.dialer.DialLeader(ctx, "tcp", broker, topic, part); err != nil {
			continue
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		first, last, err = conn.ReadOffsets()
		conn.Close()
		if err == nil {
			return first, last, nil
		}
	}
	return 0, 0, fmt.Errorf("offsets of %s/%d: %w", topic, part, err)
}
