package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/schemas/deadletter"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// TestDeadLetterReplay maps Account's Name to an integer column: every
// Account change is dead-lettered. The dead letters are listed; a replay
// under the same mapping writes nothing and says why; once the mapping is
// fixed, a dry run writes nothing, a replay by origin and one of all
// write the envelopes as the live producer does, and a last replay skips
// them all.
func TestDeadLetterReplay(t *testing.T) {
	t.Parallel()
	st := newSetup(t)
	mappingFile := filepath.Join(filepath.Dir(st.config), "mapping.yaml")
	setNameType := func(typ string) {
		t.Helper()
		text, err := os.ReadFile(mappingFile)
		if err != nil {
			t.Fatal(err)
		}
		text = []byte(strings.Replace(strings.Replace(string(text), "Name: text", "Name: "+typ, 1), "Name: integer", "Name: "+typ, 1))
		writeFile(t, mappingFile, string(text))
	}
	dlqTopic, ledger := st.k.TopicName("dlq"), st.k.TopicName("dlq")+".replayed"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = st.k.Client().DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{ledger}})
	})
	setNameType("integer")
	st.create(t, 3)
	stop, logs := st.start(t, "--create-topics", "3")
	st.waitForRecords(t, dlqTopic, 3)
	if code := stop(); code != 0 {
		t.Fatalf("producer exit %d; logs:\n%s", code, logs)
	}
	var outputs []string // everything the tool printed, checked for the token at the end
	dlq := func(want int, args ...string) (stdout, stderr string) {
		t.Helper()
		var out, errs syncBuffer
		code := run(context.Background(), append([]string{"dlq"}, append(args, "--config", st.config)...), &out, &errs, noEnv)
		outputs = append(outputs, out.String(), errs.String())
		if code != want {
			t.Fatalf("dlq %q: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, want, out.String(), errs.String())
		}
		return out.String(), errs.String()
	}

	out, _ := dlq(0, "list", "--format", "json")
	var letters []struct {
		Origin     string   `json:"origin"`
		Channel    string   `json:"channel"`
		EventID    string   `json:"event_id"`
		ReplayID   string   `json:"replay_id"`
		Entity     string   `json:"entity"`
		ChangeType string   `json:"change_type"`
		RecordIDs  []string `json:"record_ids"`
		Reason     string   `json:"reason"`
		Size       int      `json:"size"`
		Producer   bool     `json:"producer"`
		Replayed   bool     `json:"replayed"`
	}
	if err := json.Unmarshal([]byte(out), &letters); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(letters) != 3 {
		t.Fatalf("%d dead letters listed, want 3:\n%s", len(letters), out)
	}
	for i, l := range letters {
		if l.Origin != fmt.Sprintf("%s:0:%d", dlqTopic, i) || l.Channel != "/data/AccountChangeEvent" || l.EventID == "" || l.ReplayID == "" ||
			l.Entity != "Account" || l.ChangeType != "CREATE" || len(l.RecordIDs) != 1 || !strings.Contains(l.Reason, "field Name (integer)") ||
			l.Size == 0 || !l.Producer || l.Replayed {
			t.Errorf("dead letter %d: %+v", i, l)
		}
	}
	out, _ = dlq(0, "list", "--limit", "2")
	if !strings.Contains(out, "2 dead letters in "+dlqTopic) || !strings.Contains(out, "ORIGIN") || !strings.Contains(out, letters[1].Origin) {
		t.Errorf("dlq list --limit 2:\n%s", out)
	}

	// The mapping still refuses them: nothing is written, and the exit
	// status says so.
	out, errs := dlq(1, "replay", "--all")
	if strings.Count(out, "not replayed ") != 3 || !strings.Contains(out, "0 dead letters replayed, 0 skipped as already replayed, 3 not converted") ||
		!strings.Contains(errs, "still cannot be converted") {
		t.Errorf("replay under the old mapping:\nstdout:\n%s\nstderr:\n%s", out, errs)
	}
	if n := st.countRecords(t, st.accounts); n != 0 {
		t.Errorf("%d records in %s after a replay that converted nothing", n, st.accounts)
	}

	setNameType("text")
	out, _ = dlq(0, "replay", "--dry-run", "--all")
	if strings.Count(out, "would replay ") != 3 || !strings.Contains(out, "3 dead letters would replay, 0 skipped") ||
		!strings.Contains(out, "1 envelopes to "+st.accounts) {
		t.Errorf("dry run:\n%s", out)
	}
	if n := st.countRecords(t, st.accounts); n != 0 {
		t.Errorf("%d records in %s after a dry run", n, st.accounts)
	}
	out, _ = dlq(0, "replay", "--origin-offset", letters[1].Origin)
	if !strings.Contains(out, "replayed "+letters[1].Origin) || !strings.Contains(out, "1 dead letters replayed, 0 skipped as already replayed, 0 not converted") {
		t.Errorf("replay by origin:\n%s", out)
	}
	out, _ = dlq(0, "replay", "--all")
	if !strings.Contains(out, "2 dead letters replayed, 1 skipped as already replayed, 0 not converted") {
		t.Errorf("replay of all:\n%s", out)
	}
	out, _ = dlq(0, "replay", "--all")
	if !strings.Contains(out, "0 dead letters replayed, 3 skipped as already replayed, 0 not converted") {
		t.Errorf("second replay of all:\n%s", out)
	}
	_, errs = dlq(1, "replay", "--origin-offset", dlqTopic+":0:99")
	if !strings.Contains(errs, "no dead letter at "+dlqTopic+":0:99") {
		t.Errorf("replay of a missing origin: %s", errs)
	}

	// Each event was written once, as the live producer writes: keyed by
	// territory, placed by murmur2, with its change type header.
	msgs := st.readAll(t, st.accounts)
	if len(msgs) != 3 {
		t.Fatalf("%d records in %s, want 3", len(msgs), st.accounts)
	}
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{} // record id: event id
	for _, l := range letters {
		want[l.RecordIDs[0]] = l.EventID
	}
	for _, m := range msgs {
		e, err := codec.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		partition := kafka.Murmur2Balancer{Consistent: true}.Balance(m, 0, 1, 2)
		if want[e.RecordID] != e.EventID || string(m.Key) != "0MI000000000001AAA" || e.PartitionKey != string(m.Key) ||
			m.Partition != partition || len(m.Headers) != 1 || m.Headers[0].Key != deadletter.HeaderChangeType || string(m.Headers[0].Value) != "CREATE" ||
			!strings.HasPrefix(name(e), "A") {
			t.Errorf("record %s[%d]@%d key %s headers %v: envelope %s %s event %s values %v; want partition %d",
				m.Topic, m.Partition, m.Offset, m.Key, m.Headers, e.Entity, e.RecordID, e.EventID, e.Values, partition)
		}
		delete(want, e.RecordID)
	}
	if len(want) != 0 {
		t.Errorf("records not written: %v", want)
	}
	out, _ = dlq(0, "list", "--format", "json")
	if strings.Count(out, `"replayed": true`) != 3 {
		t.Errorf("dlq list after the replays:\n%s", out)
	}
	// Without Salesforce, the list says so and shows what the headers
	// tell.
	token := st.s.AccessToken()
	if err := st.s.Close(); err != nil {
		t.Fatal(err)
	}
	out, errs = dlq(0, "list")
	if !strings.Contains(out, "3 dead letters in "+dlqTopic) || !strings.Contains(out, "Account") ||
		!strings.Contains(errs, "sfsync-producer: ") {
		t.Errorf("dlq list without Salesforce:\nstdout:\n%s\nstderr:\n%s", out, errs)
	}
	for _, o := range outputs {
		if strings.Contains(o, token) {
			t.Fatalf("the access token reached the output:\n%s", o)
		}
	}
}

// TestDeadLetterUsage checks the dlq commands' bad usage: exit status 2,
// before any configuration or service is read.
func TestDeadLetterUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"dlq"}, {"dlq", "purge"}, {"dlq", "list"}, {"dlq", "replay", "--config", "p.yaml"},
		{"dlq", "replay", "--config", "p.yaml", "--all", "--origin-offset", "t:0:1"},
		{"dlq", "list", "--config", "p.yaml", "--format", "xml"}, {"--check", "--config", "p.yaml", "dlq", "list"}, {"--config", "p.yaml", "nonsense"},
	} {
		var out, errs syncBuffer
		if code := run(context.Background(), args, &out, &errs, noEnv); code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", args, code, errs.String())
		}
	}
	var out, errs syncBuffer
	if code := run(context.Background(), []string{"-h"}, &out, &errs, noEnv); code != 0 ||
		!strings.Contains(errs.String(), "sfsync-producer dlq replay --config FILE [--dry-run] (--origin-offset TOPIC:PARTITION:OFFSET ... | --all)") {
		t.Errorf("-h: exit %d\n%s", code, errs.String())
	}
}

// waitForRecords waits until topic holds want records.
func (st *setup) waitForRecords(t *testing.T, topic string, want int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		n, err := st.records(ctx, topic)
		if err == nil && n >= want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s holds %d records, want %d (last error %v)", topic, n, want, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// countRecords returns how many records topic holds.
func (st *setup) countRecords(t *testing.T, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := st.records(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// records returns the number of records in topic's partitions, from their
// first offsets to their ends.
func (st *setup) records(ctx context.Context, topic string) (int64, error) {
	offsets, err := st.offsets(ctx, topic)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, p := range offsets {
		n += p.LastOffset - p.FirstOffset
	}
	return n, nil
}

func (st *setup) offsets(ctx context.Context, topic string) ([]kafka.PartitionOffsets, error) {
	md, err := st.k.Client().Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, err
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil {
		return nil, errors.New("topic not ready")
	}
	var reqs []kafka.OffsetRequest
	for _, p := range md.Topics[0].Partitions {
		reqs = append(reqs, kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
	}
	resp, err := st.k.Client().ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, err
	}
	for _, p := range resp.Topics[topic] {
		if p.Error != nil {
			return nil, p.Error
		}
	}
	return resp.Topics[topic], nil
}

// readAll returns every record of topic.
func (st *setup) readAll(t *testing.T, topic string) []kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	offsets, err := st.offsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var out []kafka.Message
	for _, p := range offsets {
		if p.FirstOffset >= p.LastOffset {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: st.k.Brokers, Topic: topic, Partition: p.Partition, MaxWait: 50 * time.Millisecond})
		if err := r.SetOffset(p.FirstOffset); err != nil {
			t.Fatal(err)
		}
		for {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
			if m.Offset >= p.LastOffset-1 {
				break
			}
		}
		r.Close()
	}
	return out
}

// name returns an envelope's Name value, or "".
func name(e *envelope.Envelope) string {
	s, _ := e.Values["Name"].AsString()
	return s
}
