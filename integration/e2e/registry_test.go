package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/platform/registry"
	"github.com/sfsync/sfsync/schemas/avroframe"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// TestSchemaRegistryInterop runs the pipeline with the Schema Registry
// framing (producer, consumer and reconciler configured with the
// registry) and checks, on the account topic and its .latest topic, that
// confluent-kafka's Python AvroDeserializer, a client no one here wrote,
// decodes every record to what sfsync wrote, field by field. Then an
// upgraded producer registers a newer envelope version (two fields added,
// with defaults, so BACKWARD compatible) and writes with it: the running
// consumer, which knows only the current version, applies its records, and
// the Python reader still decodes them, both with their writer schema and
// resolved into the old reader schema.
func TestSchemaRegistryInterop(t *testing.T) {
	t.Parallel()
	reg := harness.NewSchemaRegistry(t)
	python := interopPython(t)
	p := newPipeline(t, sized(60, 2000), services{registryURL: reg.URL})
	p.consumer("consumer", true)
	reconciler, cfg := p.startReconciler(p.registry)
	p.churn(context.Background(), sized(150, 5000), 0)
	p.converge(2 * time.Minute)
	p.waitCompacted(cfg)
	// From here the test writes records Salesforce does not have; the
	// reconciler would repair them.
	reconciler.stop()

	codec, err := envelope.NewCodec(envelope.WithRegistry(reg.Client))
	if err != nil {
		t.Fatal(err)
	}
	topic := p.topic("account")
	var stream []topicRecord
	for _, name := range []string{topic, topic + ".latest"} {
		recs := readFramed(t, p, name, codec)
		if len(recs) == 0 {
			t.Fatalf("%s is empty", name)
		}
		checkSubject(t, reg, name, recs, 1)
		got := runReader(t, python, p, reg, name, len(recs), "")
		compareRecords(t, name, recs, got)
		if name == topic {
			stream = recs
		}
	}

	// An upgraded producer writes with a newer envelope version.
	newer, err := os.ReadFile(filepath.Join(repoRoot(), "schemas", "envelope", "testdata", "newer.avsc"))
	if err != nil {
		t.Fatal(err)
	}
	upgraded, err := envelope.NewCodec(envelope.WithRegistry(reg.Client), envelope.WithWriterSchema(string(newer)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := upgraded.Register(ctx, topic); err != nil {
		t.Fatalf("registering the newer envelope version (BACKWARD compatible) under %s: %v", registry.Subject(topic), err)
	}
	changed := evolvedUpdates(t, stream, 5)
	w := &kafka.Writer{Addr: kafka.TCP(p.kafka.Brokers...), Balancer: kafka.Murmur2Balancer{Consistent: true}, RequiredAcks: kafka.RequireAll}
	defer func() { _ = w.Close() }()
	for _, e := range changed {
		value, err := upgraded.EncodeTo(nil, topic, e)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteMessages(ctx, kafka.Message{Topic: topic, Key: []byte(e.PartitionKey), Value: value}); err != nil {
			t.Fatal(err)
		}
	}
	p.waitNames(changed)
	if n := p.endOffsets(p.topic("consumer-dlq")); n != 0 {
		t.Errorf("the consumer dead-lettered %d records", n)
	}

	recs := readFramed(t, p, topic, codec)
	if len(recs) != len(stream)+len(changed) {
		t.Fatalf("%s holds %d records, want %d", topic, len(recs), len(stream)+len(changed))
	}
	checkSubject(t, reg, topic, recs, 2)
	// The old reader: records resolved into the current (v1) schema.
	v1 := filepath.Join(t.TempDir(), "envelope_v1.avsc")
	harness.WriteFile(t, v1, envelope.CurrentSchema())
	compareRecords(t, topic+" (reader schema v1)", recs, runReader(t, python, p, reg, topic, len(recs), v1))
	// Their writer schemas: the newer records carry the added fields.
	got := runReader(t, python, p, reg, topic, len(recs), "")
	compareRecords(t, topic+" (writer schemas)", recs, got)
	added := 0
	for _, r := range got {
		if origin, ok := r.Value["changeOrigin"]; ok {
			added++
			if origin != "" || fmt.Sprint(r.Value["recordCount"]) != "1" {
				t.Errorf("%d/%d: added fields changeOrigin=%v recordCount=%v, want their defaults", r.Partition, r.Offset, origin, r.Value["recordCount"])
			}
		}
	}
	if added != len(changed) {
		t.Errorf("%d records have the newer version's fields, want %d", added, len(changed))
	}
}

// interopPython returns the Python of the interop virtual environment
// (`make python-interop`), or skips or fails t as for a missing service.
func interopPython(t *testing.T) string {
	t.Helper()
	py := filepath.Join(repoRoot(), ".cache", "interop-venv", "bin", "python")
	if _, err := os.Stat(py); err != nil {
		msg := fmt.Sprintf("the Python interop reader is not installed (%v): run `make python-interop`", err)
		if os.Getenv(harness.EnvRequireServices) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return py
}

// topicRecord is one record of a topic: where it is, its key, and its
// envelope, nil for a tombstone.
type topicRecord struct {
	Partition int
	Offset    int64
	Key       string
	ID        uint32 // the schema id of its frame
	Env       *envelope.Envelope
}

// readFramed reads topic from the beginning to its end offsets, checks
// that every value is a Schema Registry frame, and decodes it with codec.
func readFramed(t *testing.T, p *pipeline, topic string, codec *envelope.Codec) []topicRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	md, err := p.kafka.Client().Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil || len(md.Topics) != 1 || md.Topics[0].Error != nil {
		t.Fatalf("metadata of %s: %v %+v", topic, err, md)
	}
	var out []topicRecord
	for _, part := range md.Topics[0].Partitions {
		resp, err := p.kafka.Client().ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(part.ID)}}})
		if err != nil {
			t.Fatal(err)
		}
		end := resp.Topics[topic][0].LastOffset
		if end == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: p.kafka.Brokers, Topic: topic, Partition: part.ID, MaxWait: 200 * time.Millisecond})
		for {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				_ = r.Close()
				t.Fatalf("read %s/%d: %v", topic, part.ID, err)
			}
			rec := topicRecord{Partition: m.Partition, Offset: m.Offset, Key: string(m.Key)}
			if m.Value != nil {
				id, _, err := avroframe.ReadRegistryID(m.Value)
				if err != nil {
					t.Fatalf("%s/%d/%d: %v", topic, m.Partition, m.Offset, err)
				}
				rec.ID = id
				if rec.Env, err = codec.Decode(m.Value); err != nil {
					t.Fatalf("%s/%d/%d: %v", topic, m.Partition, m.Offset, err)
				}
			}
			out = append(out, rec)
			if m.Offset >= end-1 {
				break
			}
		}
		_ = r.Close()
	}
	return out
}

// checkSubject checks topic's subject in the registry: BACKWARD, with
// the given number of versions, and each record's schema id one of them.
func checkSubject(t *testing.T, reg *harness.SchemaRegistry, topic string, recs []topicRecord, versions int) {
	t.Helper()
	subject := registry.Subject(topic)
	var config struct {
		Level string `json:"compatibilityLevel"`
	}
	getJSON(t, reg.URL+"/config/"+subject, &config)
	if config.Level != registry.Compatibility {
		t.Errorf("subject %s: compatibility %q, want %s", subject, config.Level, registry.Compatibility)
	}
	var listed []int
	getJSON(t, reg.URL+"/subjects/"+subject+"/versions", &listed)
	if len(listed) != versions {
		t.Fatalf("subject %s has versions %v, want %d", subject, listed, versions)
	}
	ids := map[uint32]bool{}
	for _, v := range listed {
		var version struct {
			ID uint32 `json:"id"`
		}
		getJSON(t, fmt.Sprintf("%s/subjects/%s/versions/%d", reg.URL, subject, v), &version)
		ids[version.ID] = true
	}
	for _, r := range recs {
		if r.Env != nil && !ids[r.ID] {
			t.Fatalf("%s/%d/%d: schema id %d is none of subject %s's versions (ids %v)", topic, r.Partition, r.Offset, r.ID, subject, ids)
		}
	}
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url) //nolint:gosec,noctx // the test's own loopback registry
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", url, resp.Status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
}

// readerRecord is one line the Python reader prints.
type readerRecord struct {
	Partition int            `json:"partition"`
	Offset    int64          `json:"offset"`
	Key       *string        `json:"key"`
	Value     map[string]any `json:"value"`
}

// runReader runs integration/interop/read_topic.py over topic until it
// printed count records, and returns them by partition and offset.
func runReader(t *testing.T, python string, p *pipeline, reg *harness.SchemaRegistry, topic string, count int, readerSchema string) map[[2]int64]readerRecord {
	t.Helper()
	args := []string{filepath.Join(repoRoot(), "integration", "interop", "read_topic.py"),
		"--brokers", strings.Join(p.kafka.Brokers, ","), "--registry", reg.URL, "--topic", topic,
		"--count", fmt.Sprint(count), "--timeout", "180"}
	if readerSchema != "" {
		args = append(args, "--reader-schema", readerSchema)
	}
	cmd := exec.Command(python, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("read_topic.py %s: %v\n%s", topic, err, tail(stderr.String(), 4000))
	}
	got := map[[2]int64]readerRecord{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber()
		var r readerRecord
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("read_topic.py printed %q: %v", sc.Text(), err)
		}
		got[[2]int64{int64(r.Partition), r.Offset}] = r
	}
	if len(got) != count {
		t.Fatalf("read_topic.py printed %d records of %s, want %d", len(got), topic, count)
	}
	return got
}

// compareRecords checks every record the Python reader printed against
// the envelope sfsync wrote, field by field. Fields the Python reader
// has beyond the envelope's (a newer version's) are not compared.
func compareRecords(t *testing.T, what string, want []topicRecord, got map[[2]int64]readerRecord) {
	t.Helper()
	bad := 0
	for _, w := range want {
		g, ok := got[[2]int64{int64(w.Partition), w.Offset}]
		if !ok {
			t.Fatalf("%s: the Python reader did not print %d/%d", what, w.Partition, w.Offset)
		}
		if g.Key == nil || *g.Key != w.Key {
			t.Errorf("%s %d/%d: key %v, want %q", what, w.Partition, w.Offset, g.Key, w.Key)
		}
		if w.Env == nil {
			if g.Value != nil {
				t.Errorf("%s %d/%d: a tombstone read as %v", what, w.Partition, w.Offset, g.Value)
			}
			continue
		}
		exp := pythonView(t, w.Env)
		for field, wv := range exp {
			if gv := normalize(g.Value[field]); !reflect.DeepEqual(gv, wv) {
				bad++
				if bad <= 10 {
					t.Errorf("%s %d/%d (%s %s) field %s:\n got %#v\nwant %#v", what, w.Partition, w.Offset, w.Env.Entity, w.Env.RecordID, field, gv, wv)
				}
			}
		}
	}
	if bad > 10 {
		t.Errorf("%s: %d differing fields in all", what, bad)
	}
}

// pythonView returns e as read_topic.py prints it (its tagged strings for
// the Avro types JSON lacks), normalized for comparison.
func pythonView(t *testing.T, e *envelope.Envelope) map[string]any {
	t.Helper()
	values := map[string]any{}
	for name, v := range e.Values {
		values[name] = tagged(t, v)
	}
	strs := func(s []string) []any {
		out := make([]any, len(s))
		for i, x := range s {
			out[i] = x
		}
		return out
	}
	view := map[string]any{
		"eventId": e.EventID, "orgId": e.OrgID, "sourceChannel": e.SourceChannel,
		"replayId": "hex:" + hex.EncodeToString(e.ReplayID), "entity": e.Entity, "recordId": e.RecordID,
		"changeType": e.ChangeType.String(), "commitTimestamp": fmt.Sprintf("ts:%d", e.CommitTimestamp.UnixMilli()),
		"commitNumber": e.CommitNumber, "sequenceNumber": int64(e.SequenceNumber), "transactionKey": e.TransactionKey,
		"commitUser": e.CommitUser, "changedFields": strs(e.ChangedFields), "nulledFields": strs(e.NulledFields),
		"values": values, "partitionKey": e.PartitionKey, "producedAt": fmt.Sprintf("ts:%d", e.ProducedAt.UnixMilli()),
	}
	return normalize(view).(map[string]any)
}

// tagged returns v as read_topic.py prints a value of the values map.
func tagged(t *testing.T, v envelope.Value) any {
	t.Helper()
	switch v.Kind() {
	case envelope.KindNull:
		return nil
	case envelope.KindBool:
		b, _ := v.AsBool()
		return b
	case envelope.KindInt:
		i, _ := v.AsInt()
		return int64(i)
	case envelope.KindLong:
		i, _ := v.AsLong()
		return i
	case envelope.KindFloat:
		f, _ := v.AsFloat()
		return float64(f)
	case envelope.KindDouble:
		f, _ := v.AsDouble()
		return f
	case envelope.KindString:
		s, _ := v.AsString()
		return s
	case envelope.KindBytes:
		b, _ := v.AsBytes()
		return "hex:" + hex.EncodeToString(b)
	case envelope.KindDate:
		d, _ := v.AsDate()
		return map[string]any{"days": "date:" + d.String()}
	case envelope.KindDateTime:
		ts, _ := v.AsDateTime()
		return map[string]any{"millis": fmt.Sprintf("ts:%d", ts.UnixMilli())}
	case envelope.KindTime:
		d, _ := v.AsTime()
		return map[string]any{"millis": fmt.Sprintf("time:%d", d.Milliseconds())}
	case envelope.KindDecimal:
		d, _ := v.AsDecimal()
		return fmt.Sprintf("dec:%s:%d", d.Unscaled(), d.Scale())
	}
	t.Fatalf("value of kind %v", v.Kind())
	return nil
}

// normalize makes JSON-decoded values comparable with Go values: a
// number an int64 when written without a point or exponent, else a
// float64; nested slices and maps alike.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		// Python prints every float with a point or an exponent.
		if !strings.ContainsAny(string(x), ".eE") {
			if i, err := x.Int64(); err == nil {
				return i
			}
		}
		f, _ := x.Float64()
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	}
	return v
}

// evolvedUpdates returns n updates of the Name of Account records of
// stream, each newer than every change in the stream (the reconciler's
// corrective envelopes take versions from other records).
func evolvedUpdates(t *testing.T, stream []topicRecord, n int) []*envelope.Envelope {
	t.Helper()
	last := map[string]*envelope.Envelope{}
	var order []string
	var newest int64
	for _, r := range stream {
		e := r.Env
		if e == nil {
			continue
		}
		newest = max(newest, e.CommitNumber)
		if e.Entity != "Account" {
			continue
		}
		prev, seen := last[e.RecordID]
		if !seen {
			order = append(order, e.RecordID)
		}
		if !seen || e.CommitNumber > prev.CommitNumber {
			last[e.RecordID] = e
		}
	}
	var out []*envelope.Envelope
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, id := range order {
		prev := last[id]
		if prev.ChangeType == envelope.ChangeDelete || len(out) == n {
			continue
		}
		i := len(out)
		out = append(out, &envelope.Envelope{
			EventID: fmt.Sprintf("evolved-%d-%d", now.UnixNano(), i), OrgID: prev.OrgID, Entity: "Account", RecordID: id,
			ChangeType: envelope.ChangeUpdate, CommitTimestamp: now, CommitNumber: newest + 1_000_000,
			SequenceNumber: 1, TransactionKey: fmt.Sprintf("evolved-%d", i), ChangedFields: []string{"Name"},
			Values:       map[string]envelope.Value{"Name": envelope.StringValue(fmt.Sprintf("Evolved %d", i))},
			PartitionKey: prev.PartitionKey, ProducedAt: now,
		})
	}
	if len(out) < n {
		t.Fatalf("only %d live accounts in the stream, want %d", len(out), n)
	}
	return out
}

// waitNames waits until PostgreSQL holds the Name of every update.
func (p *pipeline) waitNames(updates []*envelope.Envelope) {
	p.t.Helper()
	obj := p.mapping.Object("Account")
	if obj == nil {
		p.t.Fatal("no Account in the mapping")
	}
	q := fmt.Sprintf("SELECT %s, _sf_versions::text FROM %s WHERE %s = $1", pgx.Identifier{obj.Field("Name").Column}.Sanitize(),
		pgx.Identifier{obj.Table}.Sanitize(), pgx.Identifier{obj.KeyField().Column}.Sanitize())
	deadline := time.Now().Add(2 * time.Minute)
	for _, e := range updates {
		want, _ := e.Values["Name"].AsString()
		for {
			var got, versions string
			err := p.pool.QueryRow(context.Background(), q, e.RecordID).Scan(&got, &versions)
			if err == nil && got == want {
				break
			}
			if time.Now().After(deadline) {
				p.t.Fatalf("account %s: Name %q (%v; versions %s), want %q from the newer envelope version at commit %d",
					e.RecordID, got, err, versions, want, e.CommitNumber)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
