package diff

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/reconciler/internal/tabletest"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

func mustType(t *testing.T, s string) mapping.Type {
	t.Helper()
	ty, err := mapping.ParseType(s)
	if err != nil {
		t.Fatal(err)
	}
	return ty
}

// TestCanonicalMatchesPostgres renders values of every kind in Go and in
// PostgreSQL and checks both give the same cell and row hash.
func TestCanonicalMatchesPostgres(t *testing.T) {
	t.Parallel()
	pool := harness.NewPostgres(t).Pool()
	dec := func(s string) envelope.Value {
		d, err := envelope.ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		return envelope.DecimalValue(d)
	}
	cases := []struct {
		scenario string
		typ      string
		input    any // PostgreSQL text input, nil for NULL
		value    envelope.Value
	}{
		{"text", "text", "héllo: ~wörld", envelope.StringValue("héllo: ~wörld")},
		{"empty text", "text", "", envelope.StringValue("")},
		{"null", "text", nil, envelope.NullValue()},
		{"varchar", "varchar(18)", "001000000000abcAAA", envelope.StringValue("001000000000abcAAA")},
		{"uuid in upper case", "uuid", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", envelope.StringValue("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11")},
		{"boolean", "boolean", "true", envelope.BoolValue(true)},
		{"integer", "integer", "-42", envelope.IntValue(-42)},
		{"bigint", "bigint", "9007199254740993", envelope.LongValue(9007199254740993)},
		{"numeric with scale", "numeric(18,2)", "1234.5", dec("1234.5")},
		{"numeric rounded to scale", "numeric(18,2)", "0.125", dec("0.125")},
		{"negative numeric rounded", "numeric(18,2)", "-0.125", dec("-0.125")},
		{"numeric zero", "numeric(18,2)", "0", dec("0.00")},
		{"numeric integer", "numeric(18,2)", "1000000", dec("1000000")},
		{"unconstrained numeric", "numeric", "1.500", dec("1.5")},
		{"double", "double precision", "0.1", envelope.DoubleValue(0.1)},
		{"large double", "double precision", "1e20", envelope.DoubleValue(1e20)},
		{"double below exponent threshold", "double precision", "123456789012345", envelope.DoubleValue(123456789012345)},
		{"double at exponent threshold", "double precision", "1234567890123456", envelope.DoubleValue(1234567890123456)},
		{"small double", "double precision", "0.00001234", envelope.DoubleValue(0.00001234)},
		{"double latitude", "double precision", "37.774929", envelope.DoubleValue(37.774929)},
		{"real", "real", "0.1", envelope.DoubleValue(0.1)},
		{"large real", "real", "1234567", envelope.DoubleValue(1234567)},
		{"date", "date", "2024-02-29", envelope.DateValue(envelope.Date{Year: 2024, Month: 2, Day: 29})},
		{"date before 1970", "date", "1969-12-31", envelope.DateValue(envelope.Date{Year: 1969, Month: 12, Day: 31})},
		{"timestamptz", "timestamptz", "2024-01-02T03:04:05.123Z", envelope.DateTimeValue(time.Date(2024, 1, 2, 3, 4, 5, 123e6, time.UTC))},
		{"timestamptz before 1970", "timestamptz", "1969-07-20T20:17:40.5Z", envelope.DateTimeValue(time.Date(1969, 7, 20, 20, 17, 40, 5e8, time.UTC))},
		{"time", "time", "13:45:00.123", envelope.TimeValue(13*time.Hour + 45*time.Minute + 123*time.Millisecond)},
		{"bytea", "bytea", `\x00ff10`, envelope.BytesValue([]byte{0, 0xff, 0x10})},
	}
	ctx := context.Background()
	for _, c := range cases {
		ty := mustType(t, c.typ)
		want := cell(render(ty, c.value))
		var got string
		if err := pool.QueryRow(ctx, "SELECT "+cellSQL("($1::text::"+ty.String()+")", ty), c.input).Scan(&got); err != nil {
			t.Fatalf("%s: %v", c.scenario, err)
		}
		if got != want {
			t.Errorf("%s: PostgreSQL cell %q, Go %q", c.scenario, got, want)
		}
		var h int64
		if err := pool.QueryRow(ctx, "SELECT ('x' || left(md5($1), 16))::bit(64)::bigint", want).Scan(&h); err != nil {
			t.Fatal(err)
		}
		if h != rowHash(want) {
			t.Errorf("%s: PostgreSQL hash %d, Go %d", c.scenario, h, rowHash(want))
		}
	}
	// width_bucket counts the thresholds at most the key, as bucketOf,
	// over keys as name and as text.
	thresholds := folded([]string{"001B", "001b2", "001c", "001c~", "001cZZZZZZZZZZZZZZZZ"})
	for _, typ := range []string{"name", "text"} {
		q := "SELECT " + bucketSQL(`lower($2::text COLLATE "C")`, typ)
		for _, key := range []string{"001A", "001b", "001B1", "001B2", "001bz", "001C", "001c}", "001cz", "001CZZZZZZZZZZZZZZZZZ", "001d", ""} {
			var got int
			if err := pool.QueryRow(ctx, q, thresholds, key).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if want := bucketOf(thresholds, key); got != want {
				t.Errorf("bucket of %q as %s: PostgreSQL %d, Go %d", key, typ, got, want)
			}
		}
	}
	if typ := newTable(accountMapping(t, "t")).bucketType; typ != "name" {
		t.Errorf("Id keys are bucketed as %s, want name", typ)
	}
}

// TestDrift makes drift by hand in PostgreSQL and in Salesforce and
// checks that both modes find it exactly, that bisection compares few
// rows one by one, that a dry run publishes nothing, and that the repair
// envelopes carry the right change, version and key.
func TestDrift(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := harness.NewKafka(t)
	topic := k.Topic("account", 3)
	obj := accountMapping(t, topic)
	pool := harness.NewPostgres(t).Pool()
	org, reader := startOrg(t, 2000)
	tabletest.Create(t, pool, obj)
	rows := readAll(t, reader, obj)
	fill(t, pool, obj, rows, 100)
	cfg := Config{Grace: -1, SegmentRows: 256, LeafRows: 16}
	since := time.Now().Add(-time.Hour)

	d := New(pool, reader, cfg)
	full, err := d.Full(ctx, obj)
	if err != nil {
		t.Fatal(err)
	}
	if full.Drift() != 0 || full.Stats.RowsCompared != 0 || full.Compared != int64(len(rows)) || full.Stats.PostgresRows != int64(len(rows)) {
		t.Fatalf("identical data: full verify %+v", full)
	}
	inc, err := d.Incremental(ctx, obj, since)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Drift() != 0 || inc.Compared < int64(len(rows)) {
		t.Fatalf("identical data: incremental verify %+v", inc)
	}

	// The drift: a row edited (a plain field, then a sensitive one), a
	// row deleted, a row tombstoned, an extra row, a record deleted in
	// Salesforce whose row stays live.
	edited, hidden, removed, tomb, gone := rows[10], rows[500], rows[900], rows[1300], rows[1700]
	extra := sffake.ID("001", 999_999)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE account SET name = 'Edited', _sf_versions = '{"Name": [150, 3]}' WHERE id = $1`, edited.ID)
	exec(`UPDATE account SET phone = '+1 555 000 0000' WHERE id = $1`, hidden.ID)
	exec(`DELETE FROM account WHERE id = $1`, removed.ID)
	exec(`UPDATE account SET _sf_deleted = true, _sf_base_commit = 120, _sf_base_seq = 2 WHERE id = $1`, tomb.ID)
	exec(`INSERT INTO account (id, name, territory_key, _sf_base_commit, _sf_base_seq) VALUES ($1, 'Ghost', '0MI000000000042AAA', 130, 1)`, extra)
	if err := org.Delete(gone.ID); err != nil {
		t.Fatal(err)
	}
	want := map[string]Kind{edited.ID: Different, hidden.ID: Different, removed.ID: Missing, tomb.ID: Missing, extra: Extra, gone.ID: Extra}

	check := func(res *Result, want map[string]Kind) {
		t.Helper()
		got := map[string]Kind{}
		for _, df := range res.Differences {
			got[df.ID] = df.Kind
			switch df.ID {
			case edited.ID:
				name, _ := edited.Values["Name"].AsString()
				if len(df.Fields) != 1 || df.Fields[0] != (FieldDiff{Field: "Name", Postgres: "Edited", Salesforce: name}) {
					t.Errorf("%s: edited row fields %+v", res.Mode, df.Fields)
				}
			case hidden.ID:
				if len(df.Fields) != 1 || df.Fields[0] != (FieldDiff{Field: "Phone", Postgres: Hidden, Salesforce: Hidden}) {
					t.Errorf("%s: sensitive field %+v", res.Mode, df.Fields)
				}
			}
		}
		if len(got) != len(want) || len(res.Differences) != len(want) {
			t.Errorf("%s: found %v, want %v", res.Mode, got, want)
		}
		for id, k := range want {
			if got[id] != k {
				t.Errorf("%s: %s is %q, want %q", res.Mode, id, got[id], k)
			}
		}
		var m, e, df int
		for _, k := range want {
			switch k {
			case Missing:
				m++
			case Extra:
				e++
			case Different:
				df++
			}
		}
		if res.Missing != m || res.Extra != e || res.Different != df {
			t.Errorf("%s: counts missing %d extra %d different %d, want %d %d %d", res.Mode, res.Missing, res.Extra, res.Different, m, e, df)
		}
	}

	full, err = d.Full(ctx, obj)
	if err != nil {
		t.Fatal(err)
	}
	check(full, want)
	t.Logf("full verify: %+v", full.Stats)
	if full.Stats.RowsCompared == 0 || full.Stats.RowsCompared > len(rows)/10 {
		t.Errorf("bisection compared %d of %d rows one by one", full.Stats.RowsCompared, len(rows))
	}
	if full.Stats.RangeQueries == 0 || full.Stats.SegmentsDiffering > len(want) {
		t.Errorf("bisection stats %+v", full.Stats)
	}

	// Incremental sees what changed in Salesforce's window, not a row
	// Salesforce never had.
	inc, err = d.Incremental(ctx, obj, since)
	if err != nil {
		t.Fatal(err)
	}
	incWant := map[string]Kind{}
	for id, k := range want {
		if id != extra {
			incWant[id] = k
		}
	}
	check(inc, incWant)

	// A dry run publishes nothing; the repair publishes one envelope per
	// difference, which is all the topic then holds.
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	w := publish.NewWriter(k.Brokers, nil)
	defer w.Close()
	pub := publish.New(w, codec, "00D000000000001AAA", "reconciler/verify")
	dry := cfg
	dry.Publisher, dry.DryRun = pub, true
	res, err := New(pool, reader, dry).Full(ctx, obj)
	if err != nil {
		t.Fatal(err)
	}
	if res.Repaired != 0 || !res.DryRun || res.Drift() != len(want) {
		t.Fatalf("dry run: %+v", res)
	}
	// More extra rows than MaxDeletes: the other repairs go ahead, no
	// delete does.
	var rec recorder
	capped := cfg
	capped.Publisher, capped.MaxDeletes = &rec, 1
	res, err = New(pool, reader, capped).Full(ctx, obj)
	if err != nil {
		t.Fatal(err)
	}
	if res.DeletesWithheld != 2 || res.Repaired != len(want)-2 || len(rec.changes) != len(want)-2 {
		t.Fatalf("over the delete cap: withheld %d, repaired %d, published %d", res.DeletesWithheld, res.Repaired, len(rec.changes))
	}
	for _, c := range rec.changes {
		if c.Type == envelope.ChangeDelete {
			t.Errorf("over the delete cap: DELETE %s published", c.RecordID)
		}
	}
	repair := cfg
	repair.Publisher = pub
	res, err = New(pool, reader, repair).Full(ctx, obj)
	if err != nil {
		t.Fatal(err)
	}
	if res.Repaired != len(want) {
		t.Fatalf("repaired %d of %d", res.Repaired, len(want))
	}
	key := func(r interface{ AsString() (string, bool) }) string { s, _ := r.AsString(); return s }
	type expect struct {
		change  envelope.ChangeType
		version publish.Version
		key     string
	}
	expected := map[string]expect{
		edited.ID:  {envelope.ChangeSnapshot, publish.Version{Commit: 150, Seq: 4}, key(edited.Values["Territory_Key__c"])},
		hidden.ID:  {envelope.ChangeSnapshot, publish.Version{Commit: 100, Seq: 2}, key(hidden.Values["Territory_Key__c"])},
		removed.ID: {envelope.ChangeSnapshot, publish.BaseVersion, key(removed.Values["Territory_Key__c"])},
		tomb.ID:    {envelope.ChangeSnapshot, publish.Version{Commit: 120, Seq: 3}, key(tomb.Values["Territory_Key__c"])},
		extra:      {envelope.ChangeDelete, publish.Version{Commit: 130, Seq: 2}, "0MI000000000042AAA"},
		gone.ID:    {envelope.ChangeDelete, publish.Version{Commit: 100, Seq: 2}, key(gone.Values["Territory_Key__c"])},
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: k.Brokers, GroupID: k.Group("check"), Topic: topic, StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for range len(expected) {
		m, err := r.ReadMessage(rctx)
		if err != nil {
			t.Fatalf("read repairs: %v (left: %v)", err, expected)
		}
		e, err := codec.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		x, ok := expected[e.RecordID]
		if !ok {
			t.Fatalf("unexpected or repeated envelope for %s", e.RecordID)
		}
		delete(expected, e.RecordID)
		if e.ChangeType != x.change || e.CommitNumber != x.version.Commit || e.SequenceNumber != x.version.Seq || string(m.Key) != x.key || e.Entity != "Account" {
			t.Errorf("%s: %v %d.%d key %s; want %v %d.%d key %s", e.RecordID, e.ChangeType, e.CommitNumber, e.SequenceNumber, m.Key, x.change, x.version.Commit, x.version.Seq, x.key)
		}
		if e.ChangeType == envelope.ChangeSnapshot {
			for _, row := range rows {
				if row.ID == e.RecordID && !row.Values["Name"].Equal(e.Values["Name"]) {
					t.Errorf("%s: snapshot name %v, Salesforce %v", e.RecordID, e.Values["Name"], row.Values["Name"])
				}
			}
		}
	}
	// Nothing more: the dry run published nothing.
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	defer cancelShort()
	if m, err := r.ReadMessage(short); err == nil {
		t.Errorf("an envelope more than the repairs: %s", m.Value)
	}
}

// recorder is a Publisher that keeps what it is given.
type recorder struct{ changes []publish.Change }

func (r *recorder) Publish(_ context.Context, changes []publish.Change) error {
	r.changes = append(r.changes, changes...)
	return nil
}

// signal is a slog handler that closes a channel when a message is logged.
type signal struct {
	msg  string
	once sync.Once
	ch   chan struct{}
}

func (s *signal) Enabled(context.Context, slog.Level) bool { return true }
func (s *signal) Handle(_ context.Context, r slog.Record) error {
	if r.Message == s.msg {
		s.once.Do(func() { close(s.ch) })
	}
	return nil
}
func (s *signal) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *signal) WithGroup(string) slog.Handler      { return s }

// TestGrace checks that a difference the stream fixes within the grace
// period is not reported, and one it does not fix is.
func TestGrace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	obj := accountMapping(t, "sfsync.account")
	pool := harness.NewPostgres(t).Pool()
	_, reader := startOrg(t, 300)
	tabletest.Create(t, pool, obj)
	rows := readAll(t, reader, obj)
	fill(t, pool, obj, rows, 100)
	fixed, stays := rows[42], rows[250]
	if _, err := pool.Exec(ctx, `UPDATE account SET industry = 'Stale' WHERE id = ANY($1)`, []string{fixed.ID, stays.ID}); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []Mode{ModeFull, ModeIncremental} {
		sig := &signal{msg: "differences found; re-reading after the grace period", ch: make(chan struct{})}
		d := New(pool, reader, Config{Grace: 2 * time.Second, SegmentRows: 64, LeafRows: 8, Logger: slog.New(sig)})
		done := make(chan error, 1)
		go func() {
			// The stream's late change arrives in the grace period.
			<-sig.ch
			_, err := pool.Exec(ctx, `UPDATE account SET industry = $2 WHERE id = $1`, fixed.ID, pgText(fixed.Values["Industry"]))
			done <- err
		}()
		res := d.Verify(ctx, []*mapping.Object{obj}, mode, time.Now().Add(-time.Hour))[0]
		if res.Error != "" {
			t.Fatal(res.Error)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if res.Stats.Candidates != 2 || res.Different != 1 || len(res.Differences) != 1 || res.Differences[0].ID != stays.ID {
			t.Errorf("%s: candidates %d, differences %+v", mode, res.Stats.Candidates, res.Differences)
		}
		// Break the fixed row again for the next mode.
		if _, err := pool.Exec(ctx, `UPDATE account SET industry = 'Stale' WHERE id = $1`, fixed.ID); err != nil {
			t.Fatal(err)
		}
	}
}
