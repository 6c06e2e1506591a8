package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/apply"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// item is one record of a batch on its way through the stages.
type item struct {
	msg kafka.Message
	env *envelope.Envelope
	// fetched is when its partition reader took the record from Kafka.
	fetched time.Time
}

// fetched is a record as a partition reader hands it to its lane, with
// the time the reader took it from Kafka.
type fetched struct {
	kafka.Message
	at time.Time
}

// decoded is a batch after decoding: the envelopes to apply, and the
// records for the dead-letter and re-fetch topics.
type decoded struct {
	batch []kafka.Message
	data  []item
	out   []kafka.Message
}

// decoder is the stage that decodes a batch's records and sorts them:
// envelopes to apply, markers to forward to the re-fetch topic, dead
// letters (records that do not decode), and envelopes of objects the
// mapping does not name (counted and skipped).
type decoder struct {
	codec *envelope.Codec
	// maps reports whether the mapping names an entity.
	maps         func(entity string) bool
	refetchTopic string
	// deadLetter builds the dead-letter record of a record.
	deadLetter func(m kafka.Message, reason string, err error) kafka.Message
	retry      *retrier
	log        *slog.Logger
	m          *Metrics

	// ignoring holds the unmapped entities already logged.
	ignoring sync.Map
}

// decode decodes a batch and sorts its records. A record whose writer
// schema the schema registry cannot give for now is decoded again,
// after a backoff, rather than dead-lettered; false means ctx ended
// first.
func (d *decoder) decode(ctx context.Context, records []fetched) (*decoded, bool) {
	batch := make([]kafka.Message, len(records))
	for i, r := range records {
		batch[i] = r.Message
	}
	d.m.observeConsumed(batch)
	out := &decoded{batch: batch}
	for i, m := range batch {
		var e *envelope.Envelope
		err := d.retry.do(ctx, "decode", func(context.Context) error {
			var err error
			if e, err = d.codec.Decode(m.Value); err != nil && !errors.Is(err, envelope.ErrRegistryUnavailable) {
				return permanent{err}
			}
			return err
		})
		if errors.Is(err, envelope.ErrRegistryUnavailable) {
			return nil, false
		}
		if err != nil {
			out.out = append(out.out, d.deadLetter(m, "decode", err))
			continue
		}
		if !d.maps(e.Entity) {
			d.ignore(m, e)
			continue
		}
		if !apply.Applies(e.ChangeType) {
			out.out = append(out.out, kafka.Message{Topic: d.refetchTopic, Key: m.Key, Value: m.Value, Headers: m.Headers})
			if d.m != nil {
				d.m.forwarded.WithLabelValues(e.ChangeType.String()).Inc()
			}
			continue
		}
		out.data = append(out.data, item{msg: m, env: e, fetched: records[i].at})
	}
	return out, true
}

// ignore counts an envelope of an object the mapping does not name, as
// a team's consumer mapping a subset of the objects of its topics reads
// them, and logs the first of each entity.
func (d *decoder) ignore(m kafka.Message, e *envelope.Envelope) {
	if d.m != nil {
		d.m.ignored.WithLabelValues(e.Entity).Inc()
	}
	if _, logged := d.ignoring.LoadOrStore(e.Entity, true); !logged {
		d.log.Info("ignoring the envelopes of an object the mapping does not name (counted in envelopes_ignored_total)",
			"entity", e.Entity, "topic", m.Topic)
	}
}
