package dlq

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/producer/internal/replay"
	"github.com/sfsync/sfsync/producer/internal/sink"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// refusingWriter acknowledges every envelope at once, except that it
// fails those of the record ids in refuse, and refuses to queue those in
// stop. The Writer interface is ours; *sink.Sink's own tests cover Kafka.
type refusingWriter struct {
	refuse, stop map[string]bool
	queued       []string
}

func (w *refusingWriter) WriteEnvelopes(_ context.Context, _ string, envs []envelope.Envelope, tk replay.Ticket, acks chan<- sink.Ack) (int, error) {
	for i, e := range envs {
		if w.stop[e.RecordID] {
			return i, errors.New("queue full")
		}
		w.queued = append(w.queued, e.RecordID)
		var err error
		if w.refuse[e.RecordID] {
			err = errors.New("not enough replicas")
		}
		acks <- sink.Ack{Ticket: tk, Envelope: &envs[i], Err: err}
	}
	return len(envs), nil
}

// TestWriteRecordsWhatKafkaAcknowledged writes three converted dead
// letters and one that did not convert: only those whose envelopes were
// all acknowledged reach the ledger, also when a later write cannot be
// queued.
func TestWriteRecordsWhatKafkaAcknowledged(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	ledgerTopic := k.Topic("ledger", 1)
	lw := &kafka.Writer{Addr: kafka.TCP(k.Brokers...), RequiredAcks: kafka.RequireAll}
	t.Cleanup(func() { _ = lw.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	conv := func(offset int64, ids ...string) conversion {
		l := &Letter{Origin: fmt.Sprintf("%s:0:%d", dlqTopic, offset), EventID: fmt.Sprint("e", offset), Producer: true}
		c := conversion{letter: l, topic: "sfsync.account"}
		for _, id := range ids {
			c.envs = append(c.envs, envelope.Envelope{EventID: l.EventID, RecordID: id})
		}
		return c
	}
	notConverted := conv(3)
	notConverted.failed = errors.New("bad value")
	convs := []conversion{conv(0, "a1", "a2"), conv(1, "b1", "b2"), conv(2), notConverted, conv(4, "c1")}

	w := &refusingWriter{refuse: map[string]bool{"b2": true}, stop: map[string]bool{"c1": true}}
	tool := &Tool{Client: k.Client(), Topic: dlqTopic, LedgerTopic: ledgerTopic, Writer: w, LedgerWriter: lw}
	if _, err := tool.write(ctx, convs); err == nil || err.Error() != dlqTopic+":0:4: queue full" {
		t.Fatalf("err %v, want the queueing failure", err)
	}
	marks, err := tool.ledger().load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(marks) != 2 || marks[dlqTopic+":0:0"].EventID != "e0" || marks[dlqTopic+":0:0"].Envelopes != 2 ||
		marks[dlqTopic+":0:2"].EventID != "e2" || marks[dlqTopic+":0:2"].Envelopes != 0 {
		t.Errorf("ledger %+v, want the marks of offsets 0 and 2", marks)
	}

	// Without the queueing failure, the refused dead letter is reported.
	w = &refusingWriter{refuse: map[string]bool{"b2": true}}
	tool.Writer = w
	out, err := tool.write(ctx, convs)
	if err != nil {
		t.Fatal(err)
	}
	if out[1].refused == nil || out[0].refused != nil || out[3].failed == nil || out[4].refused != nil {
		t.Errorf("conversions %+v", out)
	}
	if len(w.queued) != 5 {
		t.Errorf("queued %v: a dead letter that did not convert was written", w.queued)
	}
	if marks, err = tool.ledger().load(ctx); err != nil || len(marks) != 3 || marks[dlqTopic+":0:4"].EventID != "e4" {
		t.Errorf("ledger %+v (%v), want the marks of offsets 0, 2 and 4", marks, err)
	}
}
