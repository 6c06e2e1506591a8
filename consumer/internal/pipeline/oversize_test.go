package pipeline

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/schemas/deadletter"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// TestOversizedDeadLetterIsTrimmed gives the consumer a dead-letter topic
// that takes 64 KiB a batch, then 40 records of 2 KB that do not decode
// (their dead letters fit one by one, not as one batch), one of 100 KB
// (its dead letter fits in no batch) and an envelope after them: every
// dead letter is written, the large one without its value and with a
// header saying so, and the envelope is applied; the consumer does not
// retry the write for ever.
func TestOversizedDeadLetterIsTrimmed(t *testing.T) {
	t.Parallel()
	r := newRig(t, 1)
	r.kafka.SetTopicConfig(r.dlq, "max.message.bytes", fmt.Sprint(64<<10))
	var junk []kafka.Message
	for i := range 40 {
		junk = append(junk, kafka.Message{Topic: r.topic, Key: fmt.Appendf(nil, "junk-%d", i), Value: bytes.Repeat([]byte{'j'}, 2000)})
	}
	big := bytes.Repeat([]byte{'b'}, 100_000)
	junk = append(junk, kafka.Message{Topic: r.topic, Key: []byte("big"), Value: big})
	r.sendRaw(junk...)
	r.send(account("001000000000000009", 10, envelope.ChangeCreate, "after"))
	stop, m := r.start(false)
	r.waitFor("the envelope after the dead letters", func() bool {
		return r.count(`SELECT count(*) FROM account WHERE name = 'after'`) == 1
	})
	dls := r.read(r.dlq, 41)
	stop()
	trimmed := 0
	for _, d := range dls {
		h, err := deadletter.Parse(d.Headers)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case string(d.Key) == "big":
			trimmed++
			if len(d.Value) != 0 || h.Trimmed != deadletter.TrimmedValue || h.Size < len(big) || h.OriginTopic != r.topic || !h.OriginPosition {
				t.Errorf("the large dead letter: %d bytes of value, headers %+v", len(d.Value), h)
			}
		case len(d.Value) != 2000 || h.Trimmed != "":
			t.Errorf("dead letter %s: %d bytes of value, trimmed %q", d.Key, len(d.Value), h.Trimmed)
		}
	}
	if trimmed != 1 {
		t.Errorf("%d trimmed dead letters of the large record, want 1", trimmed)
	}
	if got := testutil.ToFloat64(m.trimmed.WithLabelValues(r.topic)); got != 1 {
		t.Errorf("trimmed dead letters counted %v, want 1", got)
	}
}
