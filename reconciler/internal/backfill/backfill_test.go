package backfill

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/platform/checkpointstore"
	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/reconciler/internal/source"
	"github.com/sfsync/sfsync/salesforce/bulk"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/load"
	"github.com/sfsync/sfsync/schemas/checkpoint"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// rig is an emulated org seeded with territories, real Kafka topics for
// every mapped object and a PostgreSQL schema of the test's own.
type rig struct {
	s       *sffake.Server
	m       *mapping.Mapping
	k       *harness.Kafka
	db      *pgxpool.Pool
	rc      *rest.Client
	bc      *bulk.Client
	ps      *pubsub.Client
	pub     *publish.Publisher
	cpTopic string
}

func newRig(t *testing.T, accounts int) *rig {
	t.Helper()
	ctx := context.Background()
	s, err := sffake.Start(sffake.WithTerritoryChangeEvents(), sffake.WithKeepalive(50*time.Millisecond), sffake.WithBulkJobDelay(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := load.Seed(ctx, s, load.Dataset{Accounts: accounts, Users: max(accounts/100, 5)}, 7); err != nil {
		t.Fatal(err)
	}
	m, err := mapping.Load(filepath.Join("..", "..", "..", "schemas", "mappings", "territory.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{s: s, m: m, k: harness.NewKafka(t), db: harness.NewPostgres(t).Pool()}
	for _, o := range m.Objects {
		o.KafkaTopic = r.k.Topic(strings.ToLower(o.Name), 3)
	}
	r.cpTopic = r.k.TopicName("checkpoints")
	t.Cleanup(func() {
		_, _ = r.k.Client().DeleteTopics(context.Background(), &kafka.DeleteTopicsRequest{Topics: []string{r.cpTopic}})
	})
	r.rc, err = rest.New(rest.Config{
		Credentials: rest.StaticCredentials(rest.Token{AccessToken: oauth.Secret(s.AccessToken()), InstanceURL: s.URL()}),
		BackoffMin:  time.Millisecond, BackoffMax: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	r.bc = bulk.New(r.rc, nil)
	r.ps, err = pubsub.Dial(ctx, pubsub.Config{
		Endpoint: s.PubSubAddr(), Plaintext: true,
		Credentials: pubsub.StaticCredentials(pubsub.Token{AccessToken: oauth.Secret(s.AccessToken()), InstanceURL: s.URL(), TenantID: s.OrgID()}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.ps.Close() })
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	w := publish.NewWriter(r.k.Brokers, nil)
	t.Cleanup(func() { w.Close() })
	r.pub = publish.New(w, codec, s.OrgID(), "reconciler/backfill")
	return r
}

func (r *rig) config(out *bytes.Buffer) Config {
	return Config{
		Mapping: r.m, REST: r.rc, Bulk: r.bc, PubSub: r.ps, OrgID: r.s.OrgID(),
		Brokers: r.k.Brokers, CheckpointTopic: r.cpTopic, Publisher: r.pub, DB: r.db,
		Out: out, ProgressInterval: time.Millisecond, PollInterval: 5 * time.Millisecond,
		BulkThreshold: 1000, PositionTimeout: time.Minute,
	}
}

// readTopic reads every record of topic up to its high-water marks.
func readTopic(t *testing.T, brokers []string, topic string) []kafka.Message {
	t.Helper()
	var out []kafka.Message
	eachRecord(t, brokers, topic, func(m kafka.Message) { out = append(out, m) })
	return out
}

// eachRecord calls fn with every record of topic up to its high-water
// marks.
func eachRecord(t *testing.T, brokers []string, topic string, fn func(kafka.Message)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	client := &kafka.Client{Addr: kafka.TCP(brokers...)}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil || len(md.Topics) != 1 || md.Topics[0].Error != nil {
		t.Fatalf("metadata of %s: %v %+v", topic, err, md)
	}
	for _, p := range md.Topics[0].Partitions {
		offs, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(p.ID)}}})
		if err != nil {
			t.Fatal(err)
		}
		end := offs.Topics[topic][0].LastOffset
		if end == 0 {
			continue
		}
		for off := int64(0); off < end; {
			resp, err := client.Fetch(ctx, &kafka.FetchRequest{Topic: topic, Partition: p.ID, Offset: off, MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 100 * time.Millisecond})
			if err == nil {
				err = resp.Error
			}
			if err != nil {
				t.Fatalf("read %s/%d at %d: %v", topic, p.ID, off, err)
			}
			for {
				rec, err := resp.Records.ReadRecord()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if rec.Offset < off {
					continue
				}
				key, value := readAll(rec.Key), readAll(rec.Value)
				fn(kafka.Message{Topic: topic, Partition: p.ID, Offset: rec.Offset, Key: key, Value: value})
				off = rec.Offset + 1
			}
		}
	}
}

// checkpoints reads the checkpoint topic: the last checkpoint per key and
// the number of records per key.
func (r *rig) checkpoints(t *testing.T) (map[string]checkpoint.Checkpoint, map[string]int) {
	t.Helper()
	codec, err := checkpoint.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	last, n := map[string]checkpoint.Checkpoint{}, map[string]int{}
	for _, msg := range readTopic(t, r.k.Brokers, r.cpTopic) {
		cp, err := codec.Decode(msg.Value)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Key() != string(msg.Key) {
			t.Fatalf("checkpoint %q under key %q", cp.Key(), msg.Key)
		}
		last[cp.Key()] = cp
		n[cp.Key()]++
	}
	return last, n
}

// expect converts an emulator field value into the envelope value of
// type typ.
func expect(t *testing.T, typ mapping.Type, v any) envelope.Value {
	t.Helper()
	var raw any
	switch x := v.(type) {
	case nil, string, bool:
		raw = x
	case time.Time:
		if typ.Kind == mapping.KindDate {
			raw = x.UTC().Format("2006-01-02")
		} else {
			return envelope.DateTimeValue(x.UTC())
		}
	case float64:
		raw = strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		raw = strconv.Itoa(x)
	case int32:
		raw = strconv.Itoa(int(x))
	case int64:
		raw = strconv.FormatInt(x, 10)
	default:
		raw = fmt.Sprint(x)
	}
	val, err := source.Value(typ, raw)
	if err != nil {
		t.Fatalf("expected value of %v as %s: %v", v, typ, err)
	}
	return val
}

// checkSnapshots reads every object's topic and checks that it holds
// exactly one SNAPSHOT per live emulator record (or, with union, at
// least one), with the record's values and keyed by its partition key,
// and none for a deleted record. It returns the envelopes read.
func (r *rig) checkSnapshots(t *testing.T, union bool) int {
	t.Helper()
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for _, o := range r.m.Objects {
		records := map[string]sffake.Record{}
		for _, rec := range r.s.Records(o.Name, true) {
			records[rec.ID] = rec
		}
		seen := map[string]bool{}
		bad := 0
		fail := func(format string, args ...any) {
			if bad++; bad <= 10 {
				t.Errorf(format, args...)
			}
		}
		eachRecord(t, r.k.Brokers, o.KafkaTopic, func(msg kafka.Message) {
			read++
			e, err := codec.Decode(msg.Value)
			if err != nil {
				t.Fatal(err)
			}
			rec, ok := records[e.RecordID]
			switch {
			case !ok || e.Entity != o.Name:
				fail("%s %s: published, unknown to the emulator", e.Entity, e.RecordID)
				return
			case rec.Deleted:
				fail("%s %s: deleted, yet published", o.Name, rec.ID)
			case seen[rec.ID] && !union:
				fail("%s %s published twice", o.Name, rec.ID)
			}
			seen[rec.ID] = true
			if e.ChangeType != envelope.ChangeSnapshot || e.CommitNumber != publish.BaseVersion.Commit || e.SequenceNumber != publish.BaseVersion.Seq {
				fail("%s %s: %s version %d.%d, want SNAPSHOT at the base version", o.Name, rec.ID, e.ChangeType, e.CommitNumber, e.SequenceNumber)
			}
			wantKey := rec.ID
			if pk, ok := rec.Fields[o.PartitionKey].(string); ok && pk != "" {
				wantKey = pk
			}
			if string(msg.Key) != wantKey || e.PartitionKey != wantKey {
				fail("%s %s: keyed %q (envelope %q), want %q", o.Name, rec.ID, msg.Key, e.PartitionKey, wantKey)
			}
			for _, f := range o.Fields {
				want := expect(t, f.Type, rec.Fields[f.Name])
				if got := e.Values[f.Name]; !got.Equal(want) {
					fail("%s %s %s = %v, want %v", o.Name, rec.ID, f.Name, got, want)
				}
			}
		})
		live := 0
		for _, rec := range records {
			if !rec.Deleted {
				live++
				if !seen[rec.ID] {
					fail("%s %s not published", o.Name, rec.ID)
				}
			}
		}
		if live == 0 || len(seen) != live {
			t.Errorf("%s: %d records published, the emulator holds %d live ones", o.Name, len(seen), live)
		}
	}
	return read
}

// Sizes of the full-size resume test (SFSYNC_TEST_FULL=1): the issue's
// million accounts, which take about 16 GB with the emulator's copy of
// them, or a tenth of it under the race detector, which multiplies
// memory. SFSYNC_TEST_BACKFILL_ACCOUNTS overrides both.
const (
	fullAccounts     = 1_000_000
	fullRaceAccounts = 100_000
)

// accounts returns the number of accounts of the resume test: def, or the
// full size under SFSYNC_TEST_FULL=1.
func accounts(def int) int {
	if os.Getenv("SFSYNC_TEST_FULL") != "1" {
		return def
	}
	if n, err := strconv.Atoi(os.Getenv("SFSYNC_TEST_BACKFILL_ACCOUNTS")); err == nil && n > 0 {
		return n
	}
	if raceEnabled {
		return fullRaceAccounts
	}
	return fullAccounts
}

// TestBackfillPublishesEverySnapshot loads a seeded org with some deleted
// accounts and checks the envelopes, the recorded positions written as
// checkpoints, and that the stream resumes from them with what changed
// after.
func TestBackfillPublishesEverySnapshot(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	r := newRig(t, 2500)
	t.Logf("rig %s", time.Since(t0))
	ctx := context.Background()
	acct := r.s.Records("Account", false)
	if err := r.s.Delete(acct[0].ID, acct[1].ID); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cfg := r.config(&out)
	cfg.PageSize = 700
	t0 = time.Now()
	sum, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run %s: %+v", time.Since(t0), sum)
	r.checkSnapshots(t, false)
	methods := map[string]string{}
	for _, o := range sum.Objects {
		methods[o.Object] = o.Method
		if o.Published != o.Records || o.Total != o.Published {
			t.Errorf("%s: published %d, records %d, total %d", o.Object, o.Published, o.Records, o.Total)
		}
	}
	if methods["Account"] != MethodBulk || methods["Territory2"] != MethodREST {
		t.Errorf("methods %v: want Account by bulk, Territory2 by REST", methods)
	}

	// Every topic's position was written as the producer's checkpoint.
	cps, _ := r.checkpoints(t)
	if len(sum.Positions) != len(r.m.Topics()) {
		t.Fatalf("positions %+v, want one per topic %v", sum.Positions, r.m.Topics())
	}
	for _, p := range sum.Positions {
		cp, ok := cps[checkpoint.Key(r.s.OrgID(), p.Topic)]
		if p.Checkpoint != CheckpointWritten || !ok || !bytes.Equal(cp.ReplayID, p.ReplayID) || cp.ProducerID != ProducerID {
			t.Errorf("position %+v, checkpoint %+v (%v)", p, cp, ok)
		}
	}

	// A change after the backfill is the first event after the position.
	if err := r.s.Update(acct[5].ID, map[string]any{"Rating": "Cold"}); err != nil {
		t.Fatal(err)
	}
	var pos []byte
	for _, p := range sum.Positions {
		if p.Topic == "/data/AccountChangeEvent" {
			pos = p.ReplayID
		}
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	sub, err := r.ps.Subscribe(sctx, pubsub.SubscribeRequest{Topic: "/data/AccountChangeEvent", Preset: pubsub.Custom, ReplayID: pos})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for {
		ev, err := sub.Next(sctx)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Keepalive {
			continue
		}
		if ev.Header == nil || len(ev.Header.RecordIDs) != 1 || ev.Header.RecordIDs[0] != acct[5].ID {
			t.Fatalf("first event after the recorded position: %+v, want the update of %s", ev.Header, acct[5].ID)
		}
		break
	}

	// Progress: plain lines, no redraws.
	text := out.String()
	if strings.Contains(text, "\r") || !strings.Contains(text, "backfill Account: done, "+count(int64(len(r.s.Records("Account", false))))+" records") ||
		!strings.Contains(text, "records/s") {
		t.Errorf("progress output:\n%s", text)
	}

	// A finished run does nothing more.
	again, err := Run(ctx, cfg)
	if err != nil || again.Published() != 0 {
		t.Fatalf("second run published %d, %v", again.Published(), err)
	}
	for _, p := range again.Positions {
		if !p.Resumed {
			t.Errorf("position %s recorded again", p.Topic)
		}
	}
}

// TestBackfillKeepsProducerCheckpoints: a topic the producer already
// checkpoints keeps its checkpoint; the others get the recorded one.
func TestBackfillKeepsProducerCheckpoints(t *testing.T) {
	t.Parallel()
	r := newRig(t, 50)
	ctx := context.Background()
	mine := checkpoint.Checkpoint{OrgID: r.s.OrgID(), Subscription: "/data/AccountChangeEvent", ReplayID: []byte{0, 0, 0, 0, 0, 0, 0, 9}, UpdatedAt: time.Now().UTC().Truncate(time.Millisecond), ProducerID: "producer-1"}
	cps, err := checkpointstore.New(checkpointstore.Config{Brokers: r.k.Brokers, Topic: r.cpTopic})
	if err != nil {
		t.Fatal(err)
	}
	if err := cps.EnsureTopic(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cps.Save(ctx, mine); err != nil {
		t.Fatal(err)
	}
	cps.Close()
	var out bytes.Buffer
	cfg := r.config(&out)
	cfg.Objects = []string{"Account", "Territory2"}
	sum, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "/data/AccountChangeEvent: the producer already has a checkpoint (by producer-1); left as it is") {
		t.Errorf("output does not say the checkpoint was kept:\n%s", out.String())
	}
	if len(sum.Objects) != 2 || sum.Objects[0].Object != "Territory2" || sum.Objects[1].Object != "Account" {
		t.Errorf("objects %+v, want Territory2 then Account (mapping order)", sum.Objects)
	}
	got := map[string]Position{}
	for _, p := range sum.Positions {
		got[p.Topic] = p
	}
	if len(got) != 2 || got["/data/AccountChangeEvent"].Checkpoint != CheckpointKept || got["/data/Territory2ChangeEvent"].Checkpoint != CheckpointWritten {
		t.Fatalf("positions %+v", sum.Positions)
	}
	last, n := r.checkpoints(t)
	if cp := last[mine.Key()]; n[mine.Key()] != 1 || cp.ProducerID != "producer-1" || !bytes.Equal(cp.ReplayID, mine.ReplayID) {
		t.Errorf("the producer's checkpoint became %+v (%d records)", cp, n[mine.Key()])
	}
	if cp := last[checkpoint.Key(r.s.OrgID(), "/data/Territory2ChangeEvent")]; cp.ProducerID != ProducerID {
		t.Errorf("Territory2 checkpoint %+v", cp)
	}
	if _, ok := last[checkpoint.Key(r.s.OrgID(), "/data/UserTerritory2AssociationChangeEvent")]; ok {
		t.Error("a checkpoint was written for a topic of an object not chosen")
	}
}

// TestBackfillResumes cancels a backfill after a few pages, then runs it
// again: the second run continues from the saved page (or, when the job
// is gone, starts the object over) and every record ends published.
func TestBackfillResumes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		scenario string
		jobGone  bool
	}{
		{"resume from the saved locator", false},
		{"job gone, start over", true},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			t.Parallel()
			n := 3000
			if !c.jobGone {
				n = accounts(n)
			}
			if n >= 500_000 && os.Getenv("GOMEMLIMIT") == "" {
				// Collect harder rather than double the heap.
				debug.SetMemoryLimit(15 << 30)
			}
			t0 := time.Now()
			r := newRig(t, n)
			t.Logf("seeded %d accounts in %s", n, time.Since(t0))
			ctx := context.Background()
			const page, cutAfter = 200, 4
			pages := max(n/page, 1)
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			cfg := r.config(&bytes.Buffer{})
			cfg.PageSize = page
			if n > 100_000 {
				cfg.PageSize = 10_000
				pages = n / cfg.PageSize
			}
			cut := max(pages/2, cutAfter)
			var seen sync.Map
			calls := 0
			cfg.AfterPage = func(obj string, done int64) {
				if obj == "Account" {
					calls++
					if calls == cut {
						seen.Store("done", done)
						cancel()
					}
				}
			}
			t0 = time.Now()
			first, err := Run(cctx, cfg)
			t.Logf("first run: %s", time.Since(t0))
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("first run: %v, want cancelled", err)
			}
			v, ok := seen.Load("done")
			if !ok {
				t.Fatal("the first run never reached the cut")
			}
			saved := v.(int64)
			if c.jobGone {
				var job string
				if err := r.db.QueryRow(ctx, `SELECT job_id FROM sfsync_reconciler_backfill WHERE object = 'Account'`).Scan(&job); err != nil {
					t.Fatal(err)
				}
				if err := r.bc.Delete(ctx, job); err != nil {
					t.Fatal(err)
				}
			}
			cfg.AfterPage = nil
			var out bytes.Buffer
			cfg.Out = &out
			t0 = time.Now()
			second, err := Run(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("second run: %s", time.Since(t0))
			t0 = time.Now()
			read := r.checkSnapshots(t, true)
			t.Logf("checked %d envelopes in %s", read, time.Since(t0))
			live := int64(len(r.s.Records("Account", false)))
			for _, o := range second.Objects {
				if o.Object != "Account" {
					if !o.AlreadyDone {
						t.Errorf("%s: done again: %+v", o.Object, o)
					}
					continue
				}
				if c.jobGone {
					if !o.Restarted || o.Published != live {
						t.Errorf("Account after a lost job: %+v, want restarted with all %d", o, live)
					}
					continue
				}
				if !o.Resumed || o.Published != live-saved || o.Records != live {
					t.Errorf("Account: %+v, want resumed at %d of %d", o, saved, live)
				}
				if !strings.Contains(out.String(), "backfill Account: resuming at "+count(saved)) {
					t.Errorf("progress output:\n%s", out.String())
				}
			}
			t.Logf("first run published %d, second %d, of %d accounts", first.Published(), second.Published(), live)
		})
	}
}

func TestProgressTerminal(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	p := &progress{out: &out, tty: true, interval: time.Hour, now: func() time.Time { return now }}
	p.begin("Account", MethodBulk, 0, 1000)
	now = now.Add(time.Second)
	p.add(250)
	now = now.Add(time.Second)
	p.add(250)
	p.end()
	got := out.String()
	for _, want := range []string{"\r\x1b[K", "250 / 1,000 (25.0%) records, 250 records/s, ETA 3s", "500 / 1,000 (50.0%) records, 250 records/s, ETA 2s"} {
		if !strings.Contains(got, want) {
			t.Errorf("terminal output %q lacks %q", got, want)
		}
	}
	if !strings.HasSuffix(got, "\n") || strings.Count(got, "\n") != 1 {
		t.Errorf("terminal output %q: want one line ended once", got)
	}
	if count(1234567) != "1,234,567" || count(12) != "12" || count(-1000) != "-1,000" {
		t.Error("count")
	}
}

// readAll returns the bytes of a record key or value; nil for a null one.
func readAll(b kafka.Bytes) []byte {
	if b == nil {
		return nil
	}
	defer b.Close()
	out, _ := io.ReadAll(b)
	return out
}

// TestRunLock checks that a second backfill of a run waits for the first's
// lock, as after a kill while PostgreSQL has not yet ended the killed
// session, and refuses with ErrRunning once the wait is over.
func TestRunLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := harness.NewPostgres(t).Pool()
	first, err := openStore(ctx, db, "initial", runLockWait)
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() {
		time.Sleep(500 * time.Millisecond)
		first.close()
		close(released)
	}()
	// runLockWait (30 s) is far beyond the half second the first holds it.
	second, err := openStore(ctx, db, "initial", runLockWait)
	if err != nil {
		t.Fatalf("a lock released while waiting: %v", err)
	}
	<-released
	defer second.close()

	if _, err := openStore(ctx, db, "initial", 200*time.Millisecond); !errors.Is(err, ErrRunning) {
		t.Fatalf("a lock held throughout: %v, want ErrRunning", err)
	}
	other, err := openStore(ctx, db, "other", runLockWait)
	if err != nil {
		t.Fatalf("another run's lock: %v", err)
	}
	other.close()
}
