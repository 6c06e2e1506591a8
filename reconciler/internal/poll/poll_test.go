package poll

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/reconciler/internal/source"
	"github.com/sfsync/sfsync/reconciler/internal/tabletest"
	"github.com/sfsync/sfsync/reconciler/internal/topictest"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// clock is an emulator clock the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *clock) NewTimer(d time.Duration) sffake.Timer { return sffake.SystemClock().NewTimer(d) }

// TestPoll polls Territory2, marked `sync: poll`, through creates,
// updates, deletes, a record deleted for good, a poll without changes
// and a restart, and checks the envelopes in Kafka.
func TestPoll(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	pg := harness.NewPostgres(t)
	pool := pg.Pool()
	clk := &clock{now: time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)}
	s, err := sffake.Start(sffake.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	topic := k.Topic("territory2", 2)
	m, err := mapping.Parse("test.yaml", []byte(fmt.Sprintf(`version: 1
objects:
  Territory2:
    sync: poll
    kafka_topic: %s
    fields:
      Id: varchar(18)
      Name: text
      DeveloperName: text
      Territory2ModelId: varchar(18)
      LastModifiedDate: timestamptz
`, topic)))
	if err != nil {
		t.Fatal(err)
	}
	obj := m.Object("Territory2")
	tabletest.Create(t, pool, obj)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var ids []string
	for i := range 3 {
		id, err := s.Create("Territory2", map[string]any{"Name": fmt.Sprintf("T%d", i), "DeveloperName": fmt.Sprintf("T%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// PostgreSQL holds a live row Salesforce no longer has, a tombstone,
	// and a row of a live record.
	const gone, tombstone = "0MI000000000900AAA", "0MI000000000901AAA"
	exec(t, pool, `INSERT INTO territory2 (id, name, _sf_base_commit, _sf_base_seq, _sf_versions) VALUES ($1, 'gone', 5, 1, '{"Name": [7, 2]}')`, gone)
	exec(t, pool, `INSERT INTO territory2 (id, _sf_deleted, _sf_base_commit) VALUES ($1, true, 3)`, tombstone)
	exec(t, pool, `INSERT INTO territory2 (id, name, _sf_base_commit) VALUES ($1, 'T0', 4)`, ids[0])

	rc, err := rest.New(rest.Config{Credentials: rest.StaticCredentials(rest.Token{AccessToken: oauth.Secret(s.AccessToken()), InstanceURL: s.URL()})})
	if err != nil {
		t.Fatal(err)
	}
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	w := publish.NewWriter(k.Brokers, nil)
	defer w.Close()
	newPoller := func(maxDeletes ...int) *Poller {
		p, err := New(Config{Mapping: m, Source: &source.Reader{REST: rc}, Publisher: publish.New(w, codec, s.OrgID(), "reconciler/poll"),
			DB: pool, Overlap: 5 * time.Second, HardDeleteEvery: 3, MaxDeletes: append(maxDeletes, 0)[0]})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := newPoller()
	if got := p.Objects(); len(got) != 1 || got[0] != obj {
		t.Fatalf("polled objects %v", got)
	}
	seen := map[int]int{}
	next := func(scenario string) []*envelope.Envelope {
		t.Helper()
		if err := p.Poll(ctx); err != nil {
			t.Fatalf("%s: %v", scenario, err)
		}
		var out []*envelope.Envelope
		for part, all := range readTopic(t, k, codec, topic) {
			out = append(out, all[seen[part]:]...)
			seen[part] = len(all)
		}
		return out
	}
	type want struct {
		ct  envelope.ChangeType
		ver publish.Version
	}
	check := func(scenario string, got []*envelope.Envelope, expect map[string]want) {
		t.Helper()
		if len(got) != len(expect) {
			t.Errorf("%s: %d envelopes, want %d", scenario, len(got), len(expect))
		}
		for _, e := range got {
			w, ok := expect[e.RecordID]
			v := publish.Version{Commit: e.CommitNumber, Seq: e.SequenceNumber}
			if !ok || e.ChangeType != w.ct || v != w.ver {
				t.Errorf("%s: %s %s at %v; want %+v", scenario, e.ChangeType, e.RecordID, v, w)
				continue
			}
			if e.ChangeType != envelope.ChangeSnapshot {
				continue
			}
			rec, _ := s.Record(e.RecordID)
			for _, f := range obj.Fields {
				want := envelope.NullValue()
				switch raw := rec.Fields[f.Name].(type) {
				case string:
					want = envelope.StringValue(raw)
				case time.Time:
					want = envelope.DateTimeValue(raw)
				}
				if !e.Values[f.Name].Equal(want) {
					t.Errorf("%s: %s %s = %v, want %v", scenario, e.RecordID, f.Name, e.Values[f.Name], want)
				}
			}
		}
	}
	modstamp := func(id string) publish.Version {
		rec, _ := s.Record(id)
		return publish.Version{Commit: rec.Fields["SystemModstamp"].(time.Time).UnixMicro()}
	}
	t0 := clk.Now()

	check("first poll", next("first poll"), map[string]want{
		ids[0]: {envelope.ChangeSnapshot, modstamp(ids[0])},
		ids[1]: {envelope.ChangeSnapshot, modstamp(ids[1])},
		ids[2]: {envelope.ChangeSnapshot, modstamp(ids[2])},
		gone:   {envelope.ChangeDelete, publish.Version{Commit: 7, Seq: 3}},
	})
	check("no changes", next("no changes"), nil)

	clk.Advance(time.Minute)
	if err := s.Update(ids[0], map[string]any{"Name": "renamed"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ids[1]); err != nil {
		t.Fatal(err)
	}
	created, err := s.Create("Territory2", map[string]any{"Name": "new", "DeveloperName": "new"})
	if err != nil {
		t.Fatal(err)
	}
	changed := map[string]want{
		ids[0]:  {envelope.ChangeSnapshot, modstamp(ids[0])},
		ids[1]:  {envelope.ChangeDelete, modstamp(ids[1])},
		created: {envelope.ChangeSnapshot, modstamp(created)},
	}
	check("changes", next("changes"), changed)
	if hw, err := p.HighWater(ctx, obj); err != nil || !hw.Equal(t0.Add(time.Minute)) {
		t.Errorf("high-water mark %v, %v; want %v", hw, err, t0.Add(time.Minute))
	}

	// A restart resumes from the stored high-water mark: only the
	// records within the overlap window are published again. Its first
	// poll, and every third after it, compares ids: the row of the record
	// deleted for good is still live (no consumer here), so it is deleted
	// again.
	p = newPoller()
	changed[gone] = want{envelope.ChangeDelete, publish.Version{Commit: 7, Seq: 3}}
	check("after restart", next("after restart"), changed)
	check("after restart, no changes", next("after restart, no changes"), nil)
	check("third poll", next("third poll"), nil)
	check("fourth poll", next("fourth poll"), map[string]want{gone: {envelope.ChangeDelete, publish.Version{Commit: 7, Seq: 3}}})

	// More rows missing from Salesforce than MaxDeletes: none is deleted,
	// and the withheld rows are counted. Without a cap both go.
	const gone2 = "0MI000000000902AAA"
	exec(t, pool, `INSERT INTO territory2 (id, name, _sf_base_commit) VALUES ($1, 'gone too', 8)`, gone2)
	p = newPoller(1)
	delete(changed, gone)
	check("over the cap", next("over the cap"), changed)
	if got := testutil.ToFloat64(p.m.deletesWithheld.WithLabelValues("Territory2")); got != 2 {
		t.Errorf("deletes withheld %v, want 2", got)
	}
	p = newPoller(-1)
	changed[gone] = want{envelope.ChangeDelete, publish.Version{Commit: 7, Seq: 3}}
	changed[gone2] = want{envelope.ChangeDelete, publish.Version{Commit: 8, Seq: 1}}
	check("no cap", next("no cap"), changed)
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// readTopic decodes the records of every partition of topic up to the
// end offsets of the moment, by partition.
func readTopic(t *testing.T, k *harness.Kafka, codec *envelope.Codec, topic string) map[int][]*envelope.Envelope {
	t.Helper()
	out := map[int][]*envelope.Envelope{}
	for p, msgs := range topictest.Read(t, k.Brokers, topic) {
		for _, m := range msgs {
			e, err := codec.Decode(m.Value)
			if err != nil {
				t.Fatal(err)
			}
			if string(m.Key) != e.PartitionKey || e.PartitionKey != e.RecordID {
				t.Errorf("%s: key %q, partition key %q", e.RecordID, m.Key, e.PartitionKey)
			}
			out[p] = append(out[p], e)
		}
	}
	return out
}
