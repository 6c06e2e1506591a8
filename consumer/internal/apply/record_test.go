package apply

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// object is a small mapped object: a key and three fields.
var object = func() *mapping.Object {
	m, err := mapping.Parse("test.yaml", []byte(`version: 1
objects:
  Thing__c:
    fields:
      Id: varchar(18)
      A__c: text
      B__c: integer
      C__c: text
`))
	if err != nil {
		panic(err)
	}
	return m.Objects[0]
}()

var dataFields = []string{"A__c", "B__c", "C__c"}

// truth is a record as Salesforce holds it, changed in commit order; the
// reference the rules are checked against. It is written independently of
// Record.Apply: whole-state assignments, no versions.
type truth struct {
	exists  bool
	deleted bool
	values  map[string]envelope.Value
}

func (t *truth) change(e *envelope.Envelope) {
	switch e.ChangeType {
	case envelope.ChangeCreate, envelope.ChangeUndelete, envelope.ChangeSnapshot:
		t.exists, t.deleted = true, false
		t.values = map[string]envelope.Value{}
		for _, f := range dataFields {
			if v, ok := e.Values[f]; ok {
				t.values[f] = v
			}
		}
	case envelope.ChangeUpdate:
		for f, v := range e.Values {
			t.values[f] = v
		}
		for _, f := range e.NulledFields {
			delete(t.values, f)
		}
	case envelope.ChangeDelete:
		t.deleted = true
	}
}

func (t *truth) String() string {
	if !t.exists || t.deleted {
		return "gone"
	}
	return show(t.values)
}

// visible renders what a reader of the table sees of r: "gone" for no
// row or a deleted one (a tombstone), else the non-null values.
func visible(r *Record) string {
	if len(r.Cells) == 0 || r.Deleted() {
		return "gone"
	}
	vals := map[string]envelope.Value{}
	for _, f := range dataFields {
		if c, ok := r.Cells[f]; ok && !c.Value.IsNull() {
			vals[f] = c.Value
		}
	}
	return show(vals)
}

func show(vals map[string]envelope.Value) string {
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	s := "{"
	for _, n := range names {
		s += fmt.Sprintf("%s=%v ", n, vals[n])
	}
	return s + "}"
}

// history draws Salesforce's changes to a few records, in commit order,
// and returns them with the state each record ends in.
func history(t *rapid.T) ([]envelope.Envelope, map[string]*truth) {
	records := rapid.IntRange(1, 4).Draw(t, "records")
	states := map[string]*truth{}
	var out []envelope.Envelope
	commit := int64(100)
	n := rapid.IntRange(1, 40).Draw(t, "changes")
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("a00%015d", rapid.IntRange(0, records-1).Draw(t, "record"))
		st := states[id]
		if st == nil {
			st = &truth{}
			states[id] = st
		}
		// Several records may change in one transaction: same commit,
		// rising sequence numbers.
		if rapid.Bool().Draw(t, "new transaction") {
			commit += rapid.Int64Range(1, 5).Draw(t, "commit step")
		}
		e := envelope.Envelope{
			EventID: fmt.Sprintf("ev%d", i), RecordID: id, Entity: object.Name,
			CommitNumber: commit, SequenceNumber: int32(i),
			CommitTimestamp: time.Unix(commit, 0),
		}
		values := func(all bool) map[string]envelope.Value {
			vals := map[string]envelope.Value{}
			for _, f := range dataFields {
				if !all && !rapid.Bool().Draw(t, "changes "+f) {
					continue
				}
				switch {
				case rapid.IntRange(0, 3).Draw(t, "null "+f) == 0:
					if !all {
						e.NulledFields = append(e.NulledFields, f)
						vals[f] = envelope.NullValue()
					}
				case f == "B__c":
					vals[f] = envelope.IntValue(rapid.Int32Range(-5, 5).Draw(t, f))
				default:
					vals[f] = envelope.StringValue(rapid.StringMatching(`[a-c]{0,2}`).Draw(t, f))
				}
			}
			return vals
		}
		switch {
		case !st.exists:
			e.ChangeType = envelope.ChangeCreate
			e.Values = values(true)
		case st.deleted:
			e.ChangeType = envelope.ChangeUndelete
			e.Values = values(true)
		default:
			switch rapid.IntRange(0, 5).Draw(t, "op") {
			case 0:
				e.ChangeType = envelope.ChangeDelete
			case 1:
				e.ChangeType = envelope.ChangeSnapshot
				e.Values = map[string]envelope.Value{}
				for f, v := range st.values {
					e.Values[f] = v
				}
			default:
				e.ChangeType = envelope.ChangeUpdate
				e.Values = values(false)
			}
		}
		for f, v := range e.Values {
			if !v.IsNull() || e.ChangeType == envelope.ChangeUpdate {
				e.ChangedFields = append(e.ChangedFields, f)
			}
		}
		st.change(&e)
		out = append(out, e)
		// A gap marker now and then, which must change nothing.
		if rapid.IntRange(0, 9).Draw(t, "gap") == 0 {
			out = append(out, envelope.Envelope{
				EventID: fmt.Sprintf("gap%d", i), RecordID: id, Entity: object.Name,
				ChangeType: envelope.ChangeGapUpdate, CommitNumber: e.CommitNumber, SequenceNumber: e.SequenceNumber,
			})
		}
	}
	return out, states
}

// deliver draws what Kafka hands the consumer: each record on a partition
// that may change as the record moves between territories, per-partition
// order kept, partitions interleaved at random, and runs of earlier
// records delivered again (a redelivery after a crash or rebalance).
func deliver(t *rapid.T, changes []envelope.Envelope) []envelope.Envelope {
	const partitions = 3
	parts := make([][]envelope.Envelope, partitions)
	home := map[string]int{}
	for _, e := range changes {
		p, ok := home[e.RecordID]
		if !ok || rapid.IntRange(0, 4).Draw(t, "moves") == 0 {
			p = rapid.IntRange(0, partitions-1).Draw(t, "partition")
			home[e.RecordID] = p
		}
		parts[p] = append(parts[p], e)
		if rapid.IntRange(0, 5).Draw(t, "duplicate") == 0 {
			parts[p] = append(parts[p], e)
		}
	}
	var out []envelope.Envelope
	next := make([]int, partitions)
	for {
		var open []int
		for p := range parts {
			if next[p] < len(parts[p]) {
				open = append(open, p)
			}
		}
		if len(open) == 0 {
			return out
		}
		p := rapid.SampledFrom(open).Draw(t, "from")
		out = append(out, parts[p][next[p]])
		next[p]++
		if rapid.IntRange(0, 9).Draw(t, "rewind") == 0 {
			next[p] = rapid.IntRange(0, next[p]).Draw(t, "rewind to")
		}
	}
}

// backfill draws whether the consumer's stream begins part-way through
// the history, after a backfill: the reconciler then publishes a SNAPSHOT
// of every live record as it stood, stamped with the version of the last
// change before the stream's start, followed by the rest of the changes.
func backfill(t *rapid.T, changes []envelope.Envelope) []envelope.Envelope {
	start := rapid.IntRange(0, len(changes)-1).Draw(t, "stream starts at")
	if start == 0 {
		return changes
	}
	states := map[string]*truth{}
	var ids []string
	for _, e := range changes[:start] {
		if states[e.RecordID] == nil {
			states[e.RecordID] = &truth{}
			ids = append(ids, e.RecordID)
		}
		states[e.RecordID].change(&e)
	}
	last := changes[start-1]
	var out []envelope.Envelope
	for _, id := range ids {
		st := states[id]
		if !st.exists || st.deleted {
			continue
		}
		snap := envelope.Envelope{
			EventID: "snapshot-" + id, RecordID: id, Entity: object.Name,
			ChangeType: envelope.ChangeSnapshot, CommitNumber: last.CommitNumber, SequenceNumber: last.SequenceNumber,
			Values: map[string]envelope.Value{},
		}
		for f, v := range st.values {
			snap.Values[f] = v
		}
		out = append(out, snap)
	}
	return append(out, changes[start:]...)
}

// repair draws whether the stream loses changes; if so, the reconciler
// finds the drift afterwards and publishes, stamped with the newest
// version, a SNAPSHOT of every live record and a DELETE of every deleted
// one, as its repair does.
func repair(t *rapid.T, changes []envelope.Envelope, want map[string]*truth) []envelope.Envelope {
	if !rapid.Bool().Draw(t, "loses changes") {
		return changes
	}
	var kept []envelope.Envelope
	var last envelope.Envelope
	for _, e := range changes {
		if VersionOf(&e).Compare(VersionOf(&last)) > 0 {
			last = e
		}
		if rapid.IntRange(0, 3).Draw(t, "lost") > 0 {
			kept = append(kept, e)
		}
	}
	for id, st := range want {
		fix := envelope.Envelope{
			EventID: "repair-" + id, RecordID: id, Entity: object.Name,
			ChangeType: envelope.ChangeDelete, CommitNumber: last.CommitNumber, SequenceNumber: last.SequenceNumber,
		}
		if !st.deleted {
			fix.ChangeType = envelope.ChangeSnapshot
			fix.Values = map[string]envelope.Value{}
			for f, v := range st.values {
				fix.Values[f] = v
			}
		}
		kept = append(kept, fix)
	}
	return kept
}

// TestApplyEndsInSalesforceState is the property the consumer rests on:
// any delivery that keeps per-partition order but adds duplicates,
// replays and cross-partition moves ends in the rows that applying
// Salesforce's changes once, in order, gives.
func TestApplyEndsInSalesforceState(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		changes, want := history(t)
		got := map[string]*Record{}
		for _, e := range deliver(t, repair(t, backfill(t, changes), want)) {
			r := got[e.RecordID]
			if r == nil {
				r = &Record{}
				got[e.RecordID] = r
			}
			r.Apply(object, &e)
		}
		for id, w := range want {
			r := got[id]
			if r == nil {
				r = &Record{}
			}
			if g := visible(r); g != w.String() {
				t.Fatalf("record %s: got %s, want %s", id, g, w)
			}
		}
	})
}

// TestApplyIsOrderFree checks the stronger property the batch writer
// relies on: any order at all, any repetition, gives the same cells.
func TestApplyIsOrderFree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		changes, _ := history(t)
		var a, b Record
		for _, e := range changes {
			if e.RecordID == changes[0].RecordID {
				a.Apply(object, &e)
			}
		}
		perm := rapid.Permutation(append(changes, changes...)).Draw(t, "order")
		for _, e := range perm {
			if e.RecordID == changes[0].RecordID {
				b.Apply(object, &e)
			}
		}
		a.Clean()
		b.Clean()
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("in order: %v\nshuffled: %v", a, b)
		}
	})
}

func TestApplyIgnoresOlderAndMarkers(t *testing.T) {
	var r Record
	upd := func(commit int64, v string) *envelope.Envelope {
		return &envelope.Envelope{RecordID: "x", ChangeType: envelope.ChangeUpdate, CommitNumber: commit,
			Values: map[string]envelope.Value{"A__c": envelope.StringValue(v)}}
	}
	if !r.Apply(object, upd(5, "new")) {
		t.Fatal("first update changed nothing")
	}
	if r.Apply(object, upd(4, "old")) {
		t.Fatal("an older update changed the record")
	}
	if r.Apply(object, upd(5, "same version")) {
		t.Fatal("a repeat of the same version changed the record")
	}
	if r.Apply(object, &envelope.Envelope{RecordID: "x", ChangeType: envelope.ChangeGapOverflow, CommitNumber: 9}) {
		t.Fatal("a marker changed the record")
	}
	if got, _ := r.Cells["A__c"].Value.AsString(); got != "new" {
		t.Fatalf("A__c = %q, want new", got)
	}
	if r.Latest != (Version{Commit: 5}) {
		t.Fatalf("Latest = %v", r.Latest)
	}
	if r.Apply(object, &envelope.Envelope{RecordID: "x", ChangeType: envelope.ChangeUpdate, CommitNumber: 6,
		Values: map[string]envelope.Value{"Id": envelope.StringValue("other"), "Unmapped__c": envelope.StringValue("v")}}) {
		t.Fatal("an update of only the key and unmapped fields changed the record")
	}
}

// TestApplyCellsThenTheRest is the property a bootstrap rests on: a
// record's state taken after any subset of its changes, applied with its
// cells' versions (as a latest-state record carries them), then the
// other changes and repeats of any, in any order, gives the cells that
// applying every change gives.
func TestApplyCellsThenTheRest(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		changes, _ := history(t)
		var mine []envelope.Envelope
		for _, e := range changes {
			if e.RecordID == changes[0].RecordID {
				mine = append(mine, e)
			}
		}
		var want Record
		for _, e := range mine {
			want.Apply(object, &e)
		}
		taken := rapid.SliceOfDistinct(rapid.IntRange(0, len(mine)-1), rapid.ID[int]).Draw(t, "applied before the snapshot")
		var state Record
		seen := map[int]bool{}
		for _, i := range taken {
			state.Apply(object, &mine[i])
			seen[i] = true
		}
		if state.Deleted() || len(state.Cells) == 0 {
			return // a tombstone, or nothing: no snapshot to take
		}
		snap := envelope.Envelope{RecordID: mine[0].RecordID, ChangeType: envelope.ChangeSnapshot,
			CommitNumber: state.Latest.Commit, SequenceNumber: state.Latest.Seq, Values: map[string]envelope.Value{}}
		for name, c := range state.Cells {
			snap.Values[name] = c.Value
		}
		var got Record
		got.ApplyCells(object, &snap, func(cell string) (Version, bool) {
			c, ok := state.Cells[cell]
			return c.Version, ok
		})
		var rest []envelope.Envelope
		for i, e := range mine {
			if !seen[i] || rapid.Bool().Draw(t, fmt.Sprintf("repeat %d", i)) {
				rest = append(rest, e)
			}
		}
		for _, e := range rapid.Permutation(rest).Draw(t, "the rest") {
			got.Apply(object, &e)
		}
		got.Clean()
		want.Clean()
		if fmt.Sprint(got.Cells) != fmt.Sprint(want.Cells) || got.Latest != want.Latest {
			t.Fatalf("snapshot then the rest: %v\nevery change: %v", got, want)
		}
	})
}
