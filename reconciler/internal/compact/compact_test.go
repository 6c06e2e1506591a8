package compact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/reconciler/internal/tabletest"
	"github.com/sfsync/sfsync/reconciler/internal/topictest"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/latest"
	"github.com/sfsync/sfsync/schemas/mapping"
)

const testMapping = `version: 1
objects:
  Widget__c:
    sync: poll
    kafka_topic: %[1]s
    partition_key: Group__c
    fields:
      Id: varchar(18)
      Group__c: varchar(18)
      Name: text
      Active__c: boolean
      Count__c: integer
      Small__c: smallint
      Big__c: bigint
      Ratio__c: real
      Score__c: double precision
      Amount__c: numeric(18,2)
      Day__c: date
      At__c: timestamptz
      Time__c: time
      Blob__c: bytea
      Doc__c: jsonb
  Gadget__c:
    sync: poll
    kafka_topic: %[1]s
    fields:
      Id: varchar(18)
      Name: text
`

// widget is one row of the Widget__c table and the values the
// latest-state topic must hold for it.
type widget struct {
	id     string
	cols   map[string]any // column → value for INSERT/UPDATE, nil for NULL
	values map[string]envelope.Value
}

func makeWidget(t *testing.T, i int, name string) widget {
	t.Helper()
	id := fmt.Sprintf("a00%015d", i)
	group := fmt.Sprintf("g%02d", i%4)
	amount := fmt.Sprintf("%d.%02d", i*7, i%100)
	dec, err := envelope.ParseDecimal(amount)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 5, 6, 7, 8, 9, i*1_000_000, time.UTC)
	day := envelope.Date{Year: 2024, Month: 2, Day: 1 + i%28}
	w := widget{id: id, cols: map[string]any{
		"id": id, "group__c": group, "name": name, "active__c": i%2 == 0, "count__c": int32(i), "small__c": int16(i % 100),
		"big__c": int64(i) << 40, "ratio__c": float32(i) / 4, "score__c": float64(i) / 3, "amount__c": amount,
		"day__c": day.String(), "at__c": at, "time__c": fmt.Sprintf("13:45:%02d.125", i%60), "blob__c": []byte{byte(i), 0, 0xff},
		"doc__c": fmt.Sprintf(`{"n": %d}`, i),
	}, values: map[string]envelope.Value{
		"Id": envelope.StringValue(id), "Group__c": envelope.StringValue(group), "Name": envelope.StringValue(name),
		"Active__c": envelope.BoolValue(i%2 == 0), "Count__c": envelope.IntValue(int32(i)), "Small__c": envelope.IntValue(int32(i % 100)),
		"Big__c": envelope.LongValue(int64(i) << 40), "Ratio__c": envelope.DoubleValue(float64(float32(i) / 4)),
		"Score__c": envelope.DoubleValue(float64(i) / 3), "Amount__c": envelope.DecimalValue(dec),
		"Day__c": envelope.DateValue(day), "At__c": envelope.DateTimeValue(at),
		"Time__c": envelope.TimeValue(13*time.Hour + 45*time.Minute + time.Duration(i%60)*time.Second + 125*time.Millisecond),
		"Blob__c": envelope.BytesValue([]byte{byte(i), 0, 0xff}), "Doc__c": envelope.StringValue(fmt.Sprintf(`{"n": %d}`, i)),
	}}
	if i%5 == 0 { // some NULLs
		w.cols["name"], w.values["Name"] = nil, envelope.NullValue()
		w.cols["at__c"], w.values["At__c"] = nil, envelope.NullValue()
		w.cols["blob__c"], w.values["Blob__c"] = nil, envelope.NullValue()
	}
	return w
}

// TestCompact fills the tables as the consumer would, changes and
// tombstones rows, and checks after each pass that the latest-state
// topic, read from the beginning, equals PostgreSQL's live rows; and
// that passes without changes write nothing, that a restart resumes from
// the stored watermark, and that the topic is compacted.
func TestCompact(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	pool := harness.NewPostgres(t).Pool()
	stream := k.Topic("widget", 3)
	latest := stream + DefaultSuffix
	t.Cleanup(func() { deleteTopic(t, k, latest) })
	m, err := mapping.Parse("test.yaml", fmt.Appendf(nil, testMapping, stream))
	if err != nil {
		t.Fatal(err)
	}
	wobj, gobj := m.Object("Widget__c"), m.Object("Gadget__c")
	tabletest.Create(t, pool, wobj)
	tabletest.Create(t, pool, gobj)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	newCompactor := func() *Compactor {
		c, err := New(Config{Mapping: m, DB: pool, Codec: codec, OrgID: "00D000000000001AAA", Brokers: k.Brokers, BatchSize: 7})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := newCompactor()
	if c.Topic(wobj) != latest || c.Topic(gobj) != latest {
		t.Fatalf("topics %s, %s; want %s", c.Topic(wobj), c.Topic(gobj), latest)
	}
	if err := c.EnsureTopics(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureTopics(ctx); err != nil { // exists, compacted
		t.Fatal(err)
	}
	checkCompacted(t, k, latest)

	// Rows synced an hour before T, then changes at T.
	T := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	want := map[string]map[string]envelope.Value{}
	for i := range 40 {
		w := makeWidget(t, i, fmt.Sprintf("widget %d", i))
		insert(t, pool, wobj, w.cols, i%3 == 0 && i > 0, T.Add(-time.Hour+time.Duration(i)*time.Millisecond))
		if i%3 != 0 || i == 0 {
			want[w.id] = w.values
		}
	}
	gwant := map[string]map[string]envelope.Value{}
	for i := range 3 {
		id := fmt.Sprintf("a01%015d", i)
		insert(t, pool, gobj, map[string]any{"id": id, "name": fmt.Sprintf("gadget %d", i)}, false, T.Add(-time.Hour))
		gwant[id] = map[string]envelope.Value{"Id": envelope.StringValue(id), "Name": envelope.StringValue(fmt.Sprintf("gadget %d", i))}
	}
	sync := func(scenario string) int64 {
		t.Helper()
		before := endOffsets(t, k, latest)
		if err := c.Sync(ctx); err != nil {
			t.Fatalf("%s: %v", scenario, err)
		}
		compare(t, scenario, k, codec, wobj, want)
		compare(t, scenario, k, codec, gobj, gwant)
		return endOffsets(t, k, latest) - before
	}
	if n := sync("first pass"); n != 43 {
		t.Errorf("first pass wrote %d records, want 43 (40 widgets, 13 of them tombstones, and 3 gadgets)", n)
	}
	if n := sync("no changes"); n != 0 {
		t.Errorf("a pass without changes wrote %d records", n)
	}

	// Changes at T: updates, tombstones, an undelete, new rows.
	changed := 0
	for i := 0; i < 40; i += 4 {
		w := makeWidget(t, i, fmt.Sprintf("renamed %d", i))
		update(t, pool, wobj, w.id, map[string]any{"name": w.cols["name"], "_sf_deleted": false}, T.Add(time.Duration(i)*time.Millisecond))
		want[w.id] = w.values
		changed++
	}
	for _, i := range []int{1, 2, 5} {
		id := makeWidget(t, i, "").id
		update(t, pool, wobj, id, map[string]any{"_sf_deleted": true}, T.Add(time.Second))
		delete(want, id)
		changed++
	}
	for i := 100; i < 105; i++ {
		w := makeWidget(t, i, fmt.Sprintf("widget %d", i))
		insert(t, pool, wobj, w.cols, false, T.Add(2*time.Second))
		want[w.id] = w.values
		changed++
	}
	gid := fmt.Sprintf("a01%015d", 0)
	update(t, pool, gobj, gid, map[string]any{"_sf_deleted": true}, T.Add(3*time.Second))
	delete(gwant, gid)
	changed++
	if n := sync("changes"); n != int64(changed) {
		t.Errorf("changes: wrote %d records, want %d", n, changed)
	}
	if n := sync("no changes again"); n != 0 {
		t.Errorf("a pass without changes wrote %d records", n)
	}

	// A restart resumes from the stored watermark (T+3s): only the rows
	// synced within the overlap (2m by default) before it are written again.
	c = newCompactor()
	if n := sync("after restart"); n != int64(changed) {
		t.Errorf("after restart: wrote %d records, want the %d in the overlap window", n, changed)
	}
	if n := sync("after restart, no changes"); n != 0 {
		t.Errorf("a pass without changes wrote %d records", n)
	}
	var wm time.Time
	if err := pool.QueryRow(ctx, `SELECT watermark FROM `+Table+` WHERE object = 'Widget__c'`).Scan(&wm); err != nil || !wm.Equal(T.Add(2*time.Second)) {
		t.Errorf("stored watermark %v, %v; want %v", wm, err, T.Add(2*time.Second))
	}

	// Tombstones are null values; live records are keyed by id and carry
	// the row's newest version and partition key.
	for _, msg := range topictest.All(t, k.Brokers, latest) {
		id := string(msg.Key)
		if msg.Value == nil {
			continue
		}
		e, err := codec.Decode(msg.Value)
		if err != nil {
			t.Fatal(err)
		}
		if e.RecordID != id || e.ChangeType != envelope.ChangeSnapshot {
			t.Errorf("record %s: envelope %s %s", id, e.ChangeType, e.RecordID)
		}
		if e.Entity == "Widget__c" {
			if g, _ := e.Values["Group__c"].AsString(); e.PartitionKey != g {
				t.Errorf("%s: partition key %q, want %q", id, e.PartitionKey, g)
			}
		}
	}
	var tombstones int
	for _, msg := range topictest.All(t, k.Brokers, latest) {
		if msg.Value == nil {
			tombstones++
		}
	}
	if tombstones < 13+4+4 {
		t.Errorf("%d tombstones in the topic", tombstones)
	}
}

// TestPosition checks the position a pass commits: per partition of the
// envelope topic, the greatest next offset of the consumer's groups, read
// with the rows; 0 for a partition no group has applied; and nothing new
// while an object of the topic has no table, since its rows are then in
// no latest-state topic.
func TestPosition(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	pool := harness.NewPostgres(t).Pool()
	stream := k.Topic("positioned", 3)
	t.Cleanup(func() { deleteTopic(t, k, stream+DefaultSuffix) })
	m, err := mapping.Parse("test.yaml", fmt.Appendf(nil, testMapping, stream))
	if err != nil {
		t.Fatal(err)
	}
	wobj, gobj := m.Object("Widget__c"), m.Object("Gadget__c")
	tabletest.Create(t, pool, wobj)
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	group := k.Group("position")
	c, err := New(Config{Mapping: m, DB: pool, Codec: codec, Brokers: k.Brokers, PositionGroup: group})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.EnsureTopics(ctx); err != nil {
		t.Fatal(err)
	}
	committed := func() map[int]int64 {
		t.Helper()
		// On a new cluster the first group request meets a coordinator
		// still starting: the answer then carries an error and no
		// partitions, and is asked again.
		var resp *kafka.OffsetFetchResponse
		for {
			var err error
			resp, err = k.Client().OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{stream: {0, 1, 2}}})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Error == nil {
				break
			}
			if !errors.Is(resp.Error, kafka.GroupCoordinatorNotAvailable) && !errors.Is(resp.Error, kafka.NotCoordinatorForGroup) &&
				!errors.Is(resp.Error, kafka.GroupLoadInProgress) {
				t.Fatal(resp.Error)
			}
			select {
			case <-ctx.Done():
				t.Fatalf("offsets of group %s: %v", group, resp.Error)
			case <-time.After(100 * time.Millisecond):
			}
		}
		out := map[int]int64{}
		for _, p := range resp.Topics[stream] {
			if p.Error != nil {
				t.Fatal(p.Error)
			}
			out[p.Partition] = p.CommittedOffset
		}
		return out
	}
	exec(t, pool, `CREATE TABLE `+consumerOffsets+` (consumer_group text, topic text, partition int4, next_offset int8,
	PRIMARY KEY (consumer_group, topic, partition))`)
	exec(t, pool, `INSERT INTO `+consumerOffsets+` VALUES ('a', $1, 0, 5), ('a', $1, 1, 3), ('b', $1, 0, 7), ('b', 'other', 2, 9)`, stream)
	insert(t, pool, wobj, makeWidget(t, 1, "one").cols, false, time.Now())

	// The Gadget__c table is missing: its rows are not published, so the
	// topic has no position yet.
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := committed(); !maps.Equal(got, map[int]int64{0: -1, 1: -1, 2: -1}) {
		t.Fatalf("position committed with a table missing: %v", got)
	}
	tabletest.Create(t, pool, gobj)
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := committed(); !maps.Equal(got, map[int]int64{0: 7, 1: 3, 2: 0}) {
		t.Fatalf("position %v, want 0:7 1:3 2:0", got)
	}
	// The record carries the versions of its fields.
	recs := topictest.All(t, k.Brokers, stream+DefaultSuffix)
	if len(recs) != 1 {
		t.Fatalf("%d latest-state records, want 1", len(recs))
	}
	var vs latest.Versions
	for _, h := range recs[0].Headers {
		if h.Key == latest.HeaderVersions {
			if err := json.Unmarshal(h.Value, &vs); err != nil {
				t.Fatalf("header %s = %s: %v", h.Key, h.Value, err)
			}
		}
	}
	if c, s, ok := vs.Of("Name"); c != 101 || s != 2 || !ok {
		t.Errorf("version of Name: %d.%d %v, want 101.2", c, s, ok)
	}
	if c, s, ok := vs.Of("Count__c"); c != 100 || s != 1 || !ok {
		t.Errorf("version of Count__c: %d.%d %v, want 100.1 (the base)", c, s, ok)
	}
	exec(t, pool, `UPDATE `+consumerOffsets+` SET next_offset = 12 WHERE consumer_group = 'a' AND partition = 1`)
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := committed(); !maps.Equal(got, map[int]int64{0: 7, 1: 12, 2: 0}) {
		t.Fatalf("position %v, want 0:7 1:12 2:0", got)
	}
}

// TestVersion checks that envelopes carry the newest version of the row.
func TestVersion(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		scenario string
		versions string
		want     [2]int64
	}{
		{"base only", `{}`, [2]int64{10, 2}},
		{"newer field", `{"Name": [12, 1], "Doc__c": [11, 9]}`, [2]int64{12, 1}},
		{"older and never set fields", `{"Name": [3, 1], "X": [0, 0]}`, [2]int64{10, 2}},
		{"same commit, later sequence", `{"Name": [10, 3]}`, [2]int64{10, 3}},
	} {
		v, err := publish.Newest(publish.Version{Commit: 10, Seq: 2}, []byte(c.versions))
		if err != nil || v.Commit != c.want[0] || int64(v.Seq) != c.want[1] {
			t.Errorf("%s: %+v, %v; want %v", c.scenario, v, err, c.want)
		}
	}
}

// TestRefusesPlainTopic checks that an existing latest-state topic that
// is not compacted stops the Compactor.
func TestRefusesPlainTopic(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	pool := harness.NewPostgres(t).Pool()
	stream := k.TopicName("x")
	plain := k.Topic("x.plain", 1)
	m, err := mapping.Parse("test.yaml", fmt.Appendf(nil, testMapping, stream))
	if err != nil {
		t.Fatal(err)
	}
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Mapping: m, DB: pool, Codec: codec, Brokers: k.Brokers, Suffix: ".plain"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Topic(m.Objects[0]) != plain {
		t.Fatalf("topic %s, want %s", c.Topic(m.Objects[0]), plain)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = c.Run(ctx)
	if !errors.Is(err, ErrNotCompacted) || !strings.Contains(err.Error(), plain) {
		t.Fatalf("Run on a plain topic: %v; want ErrNotCompacted naming %s", err, plain)
	}
}

func compare(t *testing.T, scenario string, k *harness.Kafka, codec *envelope.Codec, obj *mapping.Object, want map[string]map[string]envelope.Value) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := ReadAll(ctx, Source{Brokers: k.Brokers, Codec: codec}, obj)
	if err != nil {
		t.Fatalf("%s: %v", scenario, err)
	}
	if len(got) != len(want) {
		t.Errorf("%s: %s: %d records in the topic, want %d", scenario, obj.Name, len(got), len(want))
	}
	for id, wv := range want {
		gv, ok := got[id]
		if !ok {
			t.Errorf("%s: %s %s missing", scenario, obj.Name, id)
			continue
		}
		if !maps.EqualFunc(gv, wv, envelope.Value.Equal) {
			for f, v := range wv {
				if !gv[f].Equal(v) {
					t.Errorf("%s: %s %s %s = %v, want %v", scenario, obj.Name, id, f, gv[f], v)
				}
			}
			if len(gv) != len(wv) {
				t.Errorf("%s: %s %s: %d fields, want %d", scenario, obj.Name, id, len(gv), len(wv))
			}
		}
	}
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// insert inserts a row as the consumer would, with its bookkeeping.
func insert(t *testing.T, pool *pgxpool.Pool, obj *mapping.Object, cols map[string]any, deleted bool, synced time.Time) {
	t.Helper()
	var names, params []string
	var args []any
	for c, v := range cols {
		names = append(names, pgx.Identifier{c}.Sanitize())
		args = append(args, v)
		params = append(params, fmt.Sprintf("$%d", len(args)))
	}
	args = append(args, deleted, synced)
	q := fmt.Sprintf(`INSERT INTO %s (%s, _sf_deleted, _sf_base_commit, _sf_base_seq, _sf_versions, _sf_commit_timestamp, _sf_synced_at)
VALUES (%s, $%d, 100, 1, '{"Name": [101, 2]}', $%d, $%d)`, pgx.Identifier{obj.Table}.Sanitize(), strings.Join(names, ", "),
		strings.Join(params, ", "), len(args)-1, len(args), len(args))
	exec(t, pool, q, args...)
}

// update changes a row as the consumer would.
func update(t *testing.T, pool *pgxpool.Pool, obj *mapping.Object, id string, cols map[string]any, synced time.Time) {
	t.Helper()
	var sets []string
	args := []any{id}
	for c, v := range cols {
		args = append(args, v)
		sets = append(sets, fmt.Sprintf("%s = $%d", pgx.Identifier{c}.Sanitize(), len(args)))
	}
	args = append(args, synced)
	q := fmt.Sprintf(`UPDATE %s SET %s, _sf_base_commit = _sf_base_commit + 1, _sf_synced_at = $%d WHERE id = $1`,
		pgx.Identifier{obj.Table}.Sanitize(), strings.Join(sets, ", "), len(args))
	exec(t, pool, q, args...)
}

func endOffsets(t *testing.T, k *harness.Kafka, topic string) int64 {
	t.Helper()
	var n int64
	for _, p := range partitions(t, k, topic) {
		conn, err := kafka.DialLeader(context.Background(), "tcp", k.Brokers[0], topic, p)
		if err != nil {
			t.Fatal(err)
		}
		last, err := conn.ReadLastOffset()
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		n += last
	}
	return n
}

func partitions(t *testing.T, k *harness.Kafka, topic string) []int {
	t.Helper()
	md, err := k.Client().Metadata(context.Background(), &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil || len(md.Topics) != 1 || md.Topics[0].Error != nil {
		t.Fatalf("metadata of %s: %v %+v", topic, err, md)
	}
	var ps []int
	for _, p := range md.Topics[0].Partitions {
		ps = append(ps, p.ID)
	}
	return ps
}

func checkCompacted(t *testing.T, k *harness.Kafka, topic string) {
	t.Helper()
	resp, err := k.Client().DescribeConfigs(context.Background(), &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{
		{ResourceType: kafka.ResourceTypeTopic, ResourceName: topic, ConfigNames: []string{"cleanup.policy"}}}})
	if err != nil || len(resp.Resources) != 1 || len(resp.Resources[0].ConfigEntries) != 1 {
		t.Fatalf("describe %s: %v %+v", topic, err, resp)
	}
	if v := resp.Resources[0].ConfigEntries[0].ConfigValue; v != "compact" {
		t.Errorf("%s: cleanup.policy=%s", topic, v)
	}
	if n := len(partitions(t, k, topic)); n != 3 {
		t.Errorf("%s: %d partitions, want the stream topic's 3", topic, n)
	}
}

func deleteTopic(t *testing.T, k *harness.Kafka, topic string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := k.Client().DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{topic}}); err != nil {
		t.Errorf("delete topic %s: %v", topic, err)
	}
}
