package sffake_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/bitmap"
	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/sffaketest"
)

const accountTopic = "/data/AccountChangeEvent"

// changeEvent is a decoded change event.
type changeEvent struct {
	header  map[string]any
	body    map[string]any
	changed []string // changedFields as sent
	nulled  []string
	// changedNames and nulledNames are the bitmaps decoded.
	changedNames, nulledNames []string
	schemaID                  string
}

func (d *decoder) change(ev *eventbus.ConsumerEvent) changeEvent {
	d.t.Helper()
	body := d.decode(ev)
	h := body["ChangeEventHeader"].(map[string]any)
	bs, err := bitmap.SchemaFromAvro(d.schema(ev.GetEvent().GetSchemaId()))
	if err != nil {
		d.t.Fatal(err)
	}
	ce := changeEvent{header: h, body: body, schemaID: ev.GetEvent().GetSchemaId(),
		changed: toStrings(h["changedFields"]), nulled: toStrings(h["nulledFields"])}
	if ce.changedNames, err = bitmap.Decode(bs, ce.changed); err != nil {
		d.t.Fatal(err)
	}
	if ce.nulledNames, err = bitmap.Decode(bs, ce.nulled); err != nil {
		d.t.Fatal(err)
	}
	return ce
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// nonNull returns the names of the body fields that are not null.
func (ce changeEvent) nonNull() []string {
	var out []string
	for k, v := range ce.body {
		if k != "ChangeEventHeader" && v != nil {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// field returns the value of a nullable body field.
func (ce changeEvent) field(name string) any {
	v := ce.body[name]
	if m, ok := v.(map[string]any); ok {
		for _, x := range m {
			return x
		}
	}
	return v
}

func TestChangeEventsFromRecordWrites(t *testing.T) {
	t.Parallel()
	clk := sffake.NewManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := start(t, sffake.WithClock(clk))
	c, ctx := client(t, s)
	d := newDecoder(t, ctx, c)

	id, err := s.Create("Account", map[string]any{
		"Name": "Acme", "Industry": "Energy", "Phone": "555-0100",
		"BillingCity": "Paris", "BillingCountry": "France", "NumberOfEmployees": 50,
	})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		scenario string
		write    func() error
		// changed and nulled are the exact bitmaps (spec §2.4 examples).
		changed, nulled []string
		names           []string // changedFields decoded
		body            []string // non-null body fields
	}{
		{scenario: "Fax updated",
			write:   func() error { return s.Update(id, map[string]any{"Fax": "555-0199"}) },
			changed: []string{"0x400080"}, nulled: []string{},
			names: []string{"Fax", "LastModifiedDate"}, body: []string{"Fax", "LastModifiedDate"}},
		{scenario: "billing city and state updated",
			write:   func() error { return s.Update(id, map[string]any{"BillingCity": "Lyon", "BillingState": "ARA"}) },
			changed: []string{"0x400000", "4-0x06"}, nulled: []string{},
			names: []string{"BillingAddress.City", "BillingAddress.State", "LastModifiedDate"},
			body:  []string{"BillingAddress", "LastModifiedDate"}},
		{scenario: "Industry and AnnualRevenue updated",
			write:   func() error { return s.Update(id, map[string]any{"Industry": "Retail", "AnnualRevenue": 1.5e6}) },
			changed: []string{"0x401800"}, nulled: []string{},
			names: []string{"Industry", "AnnualRevenue", "LastModifiedDate"},
			body:  []string{"AnnualRevenue", "Industry", "LastModifiedDate"}},
		{scenario: "Phone cleared",
			write:   func() error { return s.Update(id, map[string]any{"Phone": nil}) },
			changed: []string{"0x400040"}, nulled: []string{"0x40"},
			names: []string{"Phone", "LastModifiedDate"}, body: []string{"LastModifiedDate"}},
		{scenario: "billing country cleared",
			write:   func() error { return s.Update(id, map[string]any{"BillingCountry": nil}) },
			changed: []string{"0x400000", "4-0x10"}, nulled: []string{"4-0x10"},
			names: []string{"BillingAddress.Country", "LastModifiedDate"}, body: []string{"BillingAddress", "LastModifiedDate"}},
	}
	for _, st := range steps {
		clk.Advance(time.Second)
		if err := st.write(); err != nil {
			t.Fatalf("%s: %v", st.scenario, err)
		}
	}
	clk.Advance(time.Second)
	if err := s.Delete(id); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(id, map[string]any{"Fax": "x"}); err == nil {
		t.Fatal("update of a deleted record succeeded")
	}
	clk.Advance(time.Second)
	if err := s.Undelete(id); err != nil {
		t.Fatal(err)
	}

	sub := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: accountTopic, ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 100})
	evs, _ := collect(t, sub, len(steps)+3)
	var lastCommit int64
	for i, ev := range evs {
		ce := d.change(ev)
		h := ce.header
		if h["entityName"] != "Account" || !slices.Equal(toStrings(h["recordIds"]), []string{id}) ||
			h["sequenceNumber"] != int32(1) || h["commitUser"] != s.UserID() || h["transactionKey"] == "" ||
			len(toStrings(h["diffFields"])) != 0 {
			t.Fatalf("event %d header %v", i, h)
		}
		if n := h["commitNumber"].(int64); n <= lastCommit {
			t.Fatalf("event %d commitNumber %d after %d", i, n, lastCommit)
		} else {
			lastCommit = n
		}
		wantTS := time.Date(2026, 3, 1, 12, 0, i, 0, time.UTC).UnixMilli()
		if h["commitTimestamp"] != wantTS {
			t.Fatalf("event %d commitTimestamp %v, want %d", i, h["commitTimestamp"], wantTS)
		}
		switch {
		case i == 0:
			if h["changeType"] != "CREATE" || len(ce.changed) != 0 || len(ce.nulled) != 0 {
				t.Fatalf("create header %v", h)
			}
			want := []string{"BillingAddress", "CreatedById", "CreatedDate", "Industry", "LastModifiedById", "LastModifiedDate", "Name", "NumberOfEmployees", "OwnerId", "Phone"}
			if got := ce.nonNull(); !slices.Equal(got, want) {
				t.Fatalf("create body fields %v, want %v", got, want)
			}
			addr := ce.field("BillingAddress").(map[string]any)
			if addr["City"].(map[string]any)["string"] != "Paris" || addr["Street"] != nil {
				t.Fatalf("create billing address %v", addr)
			}
			if ce.field("NumberOfEmployees") != int32(50) || ce.field("Name") != "Acme" {
				t.Fatalf("create body %v", ce.body)
			}
		case i <= len(steps):
			st := steps[i-1]
			if h["changeType"] != "UPDATE" || !slices.Equal(ce.changed, st.changed) || !slices.Equal(ce.nulled, st.nulled) ||
				!slices.Equal(ce.changedNames, st.names) {
				t.Fatalf("%s: changeType %v changed %q (%v) nulled %q; want %q (%v) %q",
					st.scenario, h["changeType"], ce.changed, ce.changedNames, ce.nulled, st.changed, st.names, st.nulled)
			}
			if got := ce.nonNull(); !slices.Equal(got, st.body) {
				t.Fatalf("%s: body fields %v, want %v", st.scenario, got, st.body)
			}
		case i == len(steps)+1:
			if h["changeType"] != "DELETE" || len(ce.nonNull()) != 0 || len(ce.changed) != 0 {
				t.Fatalf("delete: %v body %v", h, ce.nonNull())
			}
		default:
			if h["changeType"] != "UNDELETE" || ce.field("Name") != "Acme" || ce.field("Industry") != "Retail" || ce.field("Phone") != nil {
				t.Fatalf("undelete: %v body %v", h, ce.body)
			}
		}
	}
	if got := s.Stats().ChangeEvents; got != int64(len(evs)) {
		t.Fatalf("Stats().ChangeEvents = %d, want %d", got, len(evs))
	}
}

func TestTransactionsAndMergedEvents(t *testing.T) {
	t.Parallel()
	s := start(t)
	c, ctx := client(t, s)
	d := newDecoder(t, ctx, c)

	var a, b string
	commit, err := s.Transact(func(tx *sffake.Tx) error {
		var err error
		if a, err = tx.Create("Account", map[string]any{"Name": "A"}); err != nil {
			return err
		}
		if b, err = tx.Create("Account", map[string]any{"Name": "B"}); err != nil {
			return err
		}
		// Merged into A's CREATE: one event with the end state.
		return tx.Update(a, map[string]any{"Region__c": "EMEA"})
	})
	if err != nil || commit.Events != 2 {
		t.Fatalf("Transact = %+v, %v; want 2 events", commit, err)
	}
	// A failing transaction leaves nothing behind.
	if _, err := s.Transact(func(tx *sffake.Tx) error {
		if _, err := tx.Create("Account", map[string]any{"Name": "C"}); err != nil {
			return err
		}
		return tx.Update(a, map[string]any{"NoSuchField__c": 1})
	}); err == nil {
		t.Fatal("transaction with a bad field committed")
	}
	if n := len(s.Records("Account", true)); n != 2 {
		t.Fatalf("%d accounts after rollback, want 2", n)
	}
	if _, err := s.Transact(func(tx *sffake.Tx) error {
		return tx.UpdateMany([]string{a, b}, map[string]any{"Segment__c": "SMB", "Phone": nil})
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(a, b); err != nil {
		t.Fatal(err)
	}

	sub := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: accountTopic, ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 10})
	evs, _ := collect(t, sub, 4)
	var ces []changeEvent
	for _, ev := range evs {
		ces = append(ces, d.change(ev))
	}
	h0, h1 := ces[0].header, ces[1].header
	if h0["transactionKey"] != h1["transactionKey"] || h0["commitNumber"] != h1["commitNumber"] ||
		h0["sequenceNumber"] != int32(1) || h1["sequenceNumber"] != int32(2) {
		t.Fatalf("transaction headers %v and %v", h0, h1)
	}
	if ces[0].field("Region__c") != "EMEA" || ces[0].header["changeType"] != "CREATE" {
		t.Fatalf("merged create body %v", ces[0].body)
	}
	merged := ces[2]
	if ids := toStrings(merged.header["recordIds"]); !slices.Equal(ids, []string{a, b}) ||
		!slices.Equal(merged.changedNames, []string{"Phone", "LastModifiedDate", "Segment__c"}) ||
		!slices.Equal(merged.nulledNames, []string{"Phone"}) || merged.field("Segment__c") != "SMB" {
		t.Fatalf("merged update: ids %v changed %v nulled %v body %v", merged.header["recordIds"], merged.changedNames, merged.nulledNames, merged.body)
	}
	if del := ces[3]; del.header["changeType"] != "DELETE" || !slices.Equal(toStrings(del.header["recordIds"]), []string{a, b}) {
		t.Fatalf("mass delete header %v", del.header)
	}
	if ces[3].header["commitNumber"].(int64) <= ces[2].header["commitNumber"].(int64) {
		t.Fatal("commit numbers not increasing")
	}
}

func TestSchemaChangeMidStream(t *testing.T) {
	t.Parallel()
	s := start(t)
	c, ctx := client(t, s)
	d := newDecoder(t, ctx, c)
	id, err := s.Create("Account", map[string]any{"Name": "Before"})
	if err != nil {
		t.Fatal(err)
	}
	oldID, _ := s.SchemaID(accountTopic)
	newID, err := s.AddField("Account", sffake.Field{Name: "Tier__c", Type: sffake.TypePicklist})
	if err != nil || newID == oldID {
		t.Fatalf("AddField = %s, %v; want a new schema id", newID, err)
	}
	if err := s.Update(id, map[string]any{"Tier__c": "Gold"}); err != nil {
		t.Fatal(err)
	}
	topic, err := c.GetTopic(ctx, &eventbus.TopicRequest{TopicName: accountTopic})
	if err != nil || topic.GetSchemaId() != newID {
		t.Fatalf("GetTopic = %v, %v; want schema %s", topic, err, newID)
	}
	for _, tp := range []string{accountTopic, sffake.AllChangeEventsTopic} {
		sub := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: tp, ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 10})
		evs, _ := collect(t, sub, 2)
		if evs[0].GetEvent().GetSchemaId() != oldID || evs[1].GetEvent().GetSchemaId() != newID {
			t.Fatalf("%s: schema ids %s, %s; want %s, %s", tp, evs[0].GetEvent().GetSchemaId(), evs[1].GetEvent().GetSchemaId(), oldID, newID)
		}
		ce := d.change(evs[1])
		if ce.field("Tier__c") != "Gold" || !slices.Equal(ce.changedNames, []string{"LastModifiedDate", "Tier__c"}) {
			t.Fatalf("%s: update with new field: %v, %v", tp, ce.body, ce.changedNames)
		}
		d.change(evs[0]) // the old schema still resolves
	}
	if sid, err := sffake.SchemaID(d.schema(newID)); err != nil || sid != newID || len(sid) != 22 {
		t.Fatalf("SchemaID(schema) = %q, %v; want %q", sid, err, newID)
	}
}

func TestGapAndOverflowEvents(t *testing.T) {
	t.Parallel()
	s := start(t)
	c, ctx := client(t, s)
	d := newDecoder(t, ctx, c)
	id, err := s.Create("Account", map[string]any{"Name": "G"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EmitGap("Account", "GAP_UPDATE", id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EmitOverflow("Account"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EmitGap("Account", "UPDATE", id); err == nil {
		t.Fatal("EmitGap accepted a non-gap change type")
	}
	if _, err := s.EmitGap("Territory2", "GAP_UPDATE", id); err == nil {
		t.Fatal("EmitGap accepted an object without change events")
	}
	sub := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: sffake.AllChangeEventsTopic, ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 10})
	evs, _ := collect(t, sub, 3)
	gap, overflow := d.change(evs[1]), d.change(evs[2])
	if gap.header["changeType"] != "GAP_UPDATE" || !slices.Equal(toStrings(gap.header["recordIds"]), []string{id}) || len(gap.nonNull()) != 0 {
		t.Fatalf("gap event %v %v", gap.header, gap.nonNull())
	}
	if overflow.header["changeType"] != "GAP_OVERFLOW" || overflow.header["entityName"] != "Account" ||
		!slices.Equal(toStrings(overflow.header["recordIds"]), []string{"000000000000000AAA"}) || len(overflow.nonNull()) != 0 {
		t.Fatalf("overflow event %v %v", overflow.header, overflow.nonNull())
	}
}

// TestUnannouncedChanges checks that an unannounced transaction changes
// records but publishes only its gap entries.
func TestUnannouncedChanges(t *testing.T) {
	t.Parallel()
	s := start(t)
	c, ctx := client(t, s)
	d := newDecoder(t, ctx, c)
	id, err := s.Create("Account", map[string]any{"Name": "before"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transact(func(tx *sffake.Tx) error {
		tx.Unannounced()
		if err := tx.Update(id, map[string]any{"Name": "after"}); err != nil {
			return err
		}
		return tx.Gap("Account", "GAP_UPDATE", id)
	}); err != nil {
		t.Fatal(err)
	}
	if rec, _ := s.Record(id); rec.Fields["Name"] != "after" {
		t.Fatalf("the unannounced update was not made: %v", rec.Fields["Name"])
	}
	sub := subscribe(t, ctx, c, &eventbus.FetchRequest{TopicName: "/data/AccountChangeEvent", ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 10})
	evs, _ := collect(t, sub, 2)
	if got := d.change(evs[1]).header["changeType"]; got != "GAP_UPDATE" {
		t.Fatalf("second event is %v, want only the GAP_UPDATE after the create", got)
	}
	if _, err := s.Create("Account", map[string]any{"Name": "next"}); err != nil {
		t.Fatal(err)
	}
	evs, _ = collect(t, sub, 1)
	if got := d.change(evs[0]).header["changeType"]; got != "CREATE" {
		t.Fatalf("next event is %v, want the next CREATE (no UPDATE of the unannounced transaction)", got)
	}
}

// TestEachRecord checks that EachRecord yields what Records returns, in
// the same order, and stops when asked.
func TestEachRecord(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithObject(sffaketest.Invoice))
	var ids []string
	for _, name := range []string{"A", "B", "C"} {
		id, err := s.Create("Account", map[string]any{"Name": name})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if _, err := s.Create("Invoice__c", map[string]any{"Name": "D"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ids[1]); err != nil {
		t.Fatal(err)
	}
	for _, withDeleted := range []bool{false, true} {
		var got []sffake.Record
		for r := range s.EachRecord("Account", withDeleted) {
			got = append(got, r)
		}
		if want := s.Records("Account", withDeleted); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("withDeleted %v: EachRecord gave %v, Records %v", withDeleted, got, want)
		}
	}
	n := 0
	for range s.EachRecord("Account", true) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("EachRecord went on after break: %d", n)
	}
}
