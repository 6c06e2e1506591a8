package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"pgregory.net/rapid"

	"github.com/sfsync/sfsync/consumer/internal/apply"
	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

const testMapping = `version: 1
objects:
  Account:
    table: account
    partition_key: Territory_Key__c
    fields:
      Id: varchar(18)
      Name: text
      "Select": {column: "select", type: text}
      NumberOfEmployees: integer
      AnnualRevenue: numeric(18,2)
      IsActive__c: boolean
      Founded__c: date
      LastModifiedDate: timestamptz
      Territory_Key__c: {column: territory_key, type: varchar(18)}
`

func newStore(t *testing.T, text string) (*Store, *pgxpool.Pool) {
	t.Helper()
	m, err := mapping.Parse("mapping.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	pool := harness.NewPostgres(t).Pool()
	s := New(pool, m)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, pool
}

func env(ct envelope.ChangeType, id string, commit int64, values map[string]envelope.Value, nulled ...string) *envelope.Envelope {
	return &envelope.Envelope{
		EventID: fmt.Sprintf("%s-%d", id, commit), Entity: "Account", RecordID: id, ChangeType: ct,
		CommitNumber: commit, CommitTimestamp: time.Unix(1700000000+commit, 0).UTC(),
		Values: values, NulledFields: nulled,
	}
}

func str(s string) envelope.Value { return envelope.StringValue(s) }

type row struct {
	name, sel *string
	employees *int32
	revenue   *string
	deleted   bool
}

func readRow(t *testing.T, pool *pgxpool.Pool, id string) (row, bool) {
	t.Helper()
	var r row
	err := pool.QueryRow(context.Background(),
		`SELECT name, "select", numberofemployees, annualrevenue::text, _sf_deleted FROM account WHERE id = $1`, id).
		Scan(&r.name, &r.sel, &r.employees, &r.revenue, &r.deleted)
	if err != nil {
		if strings.Contains(err.Error(), "no rows") {
			return r, false
		}
		t.Fatal(err)
	}
	return r, true
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestApplyRules(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t, testMapping)
	ctx := context.Background()
	do := func(envs ...*envelope.Envelope) Result {
		t.Helper()
		res, err := s.Apply(ctx, Batch{Group: "g", Envelopes: envs})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	const id = "001000000000001AAA"
	// An update overtakes its record's create (another partition).
	do(env(envelope.ChangeUpdate, id, 20, map[string]envelope.Value{"Name": str("renamed")}))
	do(env(envelope.ChangeCreate, id, 10, map[string]envelope.Value{
		"Name": str("first"), "Select": str("reserved word column"),
		"NumberOfEmployees": envelope.IntValue(12), "AnnualRevenue": envelope.DecimalValue(envelope.DecimalFromInt64(123456, 2)),
	}))
	r, ok := readRow(t, pool, id)
	if !ok || deref(r.name) != "renamed" || deref(r.sel) != "reserved word column" || deref(r.employees) != int32(12) || deref(r.revenue) != "1234.56" {
		t.Fatalf("after create and newer update: %+v (name %v sel %v emp %v rev %v)", r, deref(r.name), deref(r.sel), deref(r.employees), deref(r.revenue))
	}
	// A null, then a replay of the whole history, changes nothing more.
	do(env(envelope.ChangeUpdate, id, 30, map[string]envelope.Value{"NumberOfEmployees": envelope.NullValue()}, "NumberOfEmployees"))
	if res := do(env(envelope.ChangeCreate, id, 10, nil), env(envelope.ChangeUpdate, id, 20, map[string]envelope.Value{"Name": str("renamed")})); slices.Contains(res.Changed, true) || res.Rows != 0 {
		t.Fatalf("replay changed %+v", res)
	}
	if r, _ := readRow(t, pool, id); r.employees != nil || deref(r.name) != "renamed" {
		t.Fatalf("after null: %+v", r)
	}
	// Delete; a late older update does not resurrect; undelete restores.
	do(env(envelope.ChangeDelete, id, 40, nil))
	do(env(envelope.ChangeUpdate, id, 35, map[string]envelope.Value{"Name": str("late")}))
	if r, _ := readRow(t, pool, id); !r.deleted || deref(r.name) != "late" {
		t.Fatalf("after delete and late update: deleted=%v name=%v", r.deleted, deref(r.name))
	}
	do(env(envelope.ChangeUndelete, id, 50, map[string]envelope.Value{"Name": str("back")}))
	if r, _ := readRow(t, pool, id); r.deleted || deref(r.name) != "back" || r.sel != nil {
		t.Fatalf("after undelete: %+v", r)
	}
	// Several changes to one record in one batch.
	do(env(envelope.ChangeUpdate, id, 60, map[string]envelope.Value{"Name": str("a")}),
		env(envelope.ChangeUpdate, id, 70, map[string]envelope.Value{"Name": str("b")}),
		env(envelope.ChangeUpdate, id, 65, map[string]envelope.Value{"Name": str("c"), "Select": str("s")}))
	if r, _ := readRow(t, pool, id); deref(r.name) != "b" || deref(r.sel) != "s" {
		t.Fatalf("after one batch of three: %+v", r)
	}
}

func TestApplyPoison(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, testMapping)
	ctx := context.Background()
	cases := []struct {
		scenario string
		env      *envelope.Envelope
	}{
		{"wrong kind", env(envelope.ChangeCreate, "001000000000002AAA", 1, map[string]envelope.Value{"NumberOfEmployees": str("many")})},
		{"too long for varchar", env(envelope.ChangeCreate, "001000000000003AAA", 1, map[string]envelope.Value{"Territory_Key__c": str(strings.Repeat("x", 19))})},
		{"numeric overflow", env(envelope.ChangeCreate, "001000000000004AAA", 1, map[string]envelope.Value{"AnnualRevenue": envelope.DecimalValue(envelope.DecimalFromInt64(1e18, 0))})},
		{"unmapped entity", &envelope.Envelope{Entity: "Contact", RecordID: "003", ChangeType: envelope.ChangeCreate, CommitNumber: 1}},
	}
	for _, c := range cases {
		_, err := s.Apply(ctx, Batch{Group: "g", Envelopes: []*envelope.Envelope{c.env}})
		if err == nil || !IsPoison(err) {
			t.Errorf("%s: err = %v, want a poison error", c.scenario, err)
		}
	}
	if IsPoison(context.DeadlineExceeded) || IsPoison(errors.New("conn closed")) {
		t.Error("transient errors classed as poison")
	}
}

func TestOffsets(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, testMapping)
	ctx := context.Background()
	for _, o := range [][]Offset{{{"t", 0, 10}, {"t", 1, 5}}, {{"t", 0, 7}, {"u", 0, 3}}} {
		if _, err := s.Apply(ctx, Batch{Group: "g", Offsets: o}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Offsets(ctx, "g", "t")
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 10 || got[1] != 5 || len(got) != 2 {
		t.Fatalf("offsets = %v, want 0:10 (never backwards) and 1:5", got)
	}
	if got, _ := s.Offsets(ctx, "other", "t"); len(got) != 0 {
		t.Fatalf("another group's offsets: %v", got)
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t, testMapping)
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	// A new field adds a column; a widened varchar widens.
	wider := strings.Replace(testMapping, "      Territory_Key__c: {column: territory_key, type: varchar(18)}",
		"      Territory_Key__c: {column: territory_key, type: varchar(40)}\n      Region__c: text", 1)
	m, err := mapping.Parse("mapping.yaml", []byte(wider))
	if err != nil {
		t.Fatal(err)
	}
	if err := New(pool, m).Migrate(ctx); err != nil {
		t.Fatalf("migrate to a wider mapping: %v", err)
	}
	var typ string
	if err := pool.QueryRow(ctx, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'account'::regclass AND attname = 'territory_key'`).Scan(&typ); err != nil || typ != "character varying(40)" {
		t.Fatalf("territory_key is %q (%v)", typ, err)
	}
	if _, err := pool.Exec(ctx, `SELECT region__c FROM account`); err != nil {
		t.Fatalf("new column: %v", err)
	}
	// Narrowing or changing a type stops with the line and both types.
	conflict := strings.Replace(testMapping, "NumberOfEmployees: integer", "NumberOfEmployees: text", 1)
	m, err = mapping.Parse("mapping.yaml", []byte(conflict))
	if err != nil {
		t.Fatal(err)
	}
	err = New(pool, m).Migrate(ctx)
	if !errors.Is(err, ErrSchemaConflict) || !strings.Contains(err.Error(), "mapping.yaml:10:7: Account.NumberOfEmployees") ||
		!strings.Contains(err.Error(), "as varchar(18), but the table has it as character varying(40)") ||
		!strings.Contains(err.Error(), "as text, but the table has it as integer") {
		t.Fatalf("conflict: %v", err)
	}
}

// TestApplyMatchesRules drives random deliveries through PostgreSQL in
// random batches and checks every row against the same deliveries folded
// in memory by the apply package: the SQL path keeps the rules.
func TestApplyMatchesRules(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t, testMapping)
	obj := s.order[0].obj
	ctx := context.Background()
	run := 0
	rapid.Check(t, func(rt *rapid.T) {
		run++
		var envs []*envelope.Envelope
		n := rapid.IntRange(1, 30).Draw(rt, "changes")
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("001r%03dx%09d", run, rapid.IntRange(0, 3).Draw(rt, "record"))
			ct := rapid.SampledFrom([]envelope.ChangeType{envelope.ChangeCreate, envelope.ChangeUpdate,
				envelope.ChangeUpdate, envelope.ChangeDelete, envelope.ChangeUndelete, envelope.ChangeSnapshot}).Draw(rt, "type")
			vals := map[string]envelope.Value{}
			var nulled []string
			if rapid.Bool().Draw(rt, "name") {
				// Characters COPY's text format escapes, and its NULL marker.
				vals["Name"] = str(rapid.StringMatching(`[ab\\\t\n\r.Né]{1,3}`).Draw(rt, "Name"))
			}
			if rapid.Bool().Draw(rt, "employees") {
				if rapid.Bool().Draw(rt, "null") {
					vals["NumberOfEmployees"] = envelope.NullValue()
					nulled = append(nulled, "NumberOfEmployees")
				} else {
					vals["NumberOfEmployees"] = envelope.IntValue(rapid.Int32Range(0, 9).Draw(rt, "NumberOfEmployees"))
				}
			}
			envs = append(envs, env(ct, id, rapid.Int64Range(1, 15).Draw(rt, "commit"), vals, nulled...))
			envs[len(envs)-1].SequenceNumber = int32(rapid.IntRange(0, 2).Draw(rt, "seq"))
		}
		want := map[string]*apply.Record{}
		for _, e := range envs {
			if want[e.RecordID] == nil {
				want[e.RecordID] = &apply.Record{}
			}
			want[e.RecordID].Apply(obj, e)
		}
		for len(envs) > 0 {
			k := rapid.IntRange(1, len(envs)).Draw(rt, "batch")
			if _, err := s.Apply(ctx, Batch{Group: "g", Envelopes: envs[:k]}); err != nil {
				rt.Fatal(err)
			}
			envs = envs[k:]
		}
		for id, w := range want {
			r, ok := readRow(t, pool, id)
			if ok != (len(w.Cells) > 0) {
				rt.Fatalf("%s: row exists %v, rules hold %d cells", id, ok, len(w.Cells))
			}
			wantName, _ := w.Cells["Name"].Value.AsString()
			gotName := ""
			if r.name != nil {
				gotName = *r.name
			}
			wantEmp := "<nil>"
			if v, ok := w.Cells["NumberOfEmployees"].Value.AsInt(); ok {
				wantEmp = fmt.Sprint(v)
			}
			gotEmp := "<nil>"
			if r.employees != nil {
				gotEmp = fmt.Sprint(*r.employees)
			}
			if gotName != wantName || gotEmp != wantEmp || r.deleted != w.Deleted() {
				rt.Fatalf("%s: row name=%q employees=%s deleted=%v; rules name=%q employees=%s deleted=%v",
					id, gotName, gotEmp, r.deleted, wantName, wantEmp, w.Deleted())
			}
		}
	})
}
