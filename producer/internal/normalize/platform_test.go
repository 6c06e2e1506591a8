package normalize_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sfsync/sfsync/integration/harness/sfrig"
	"github.com/sfsync/sfsync/producer/internal/normalize"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

const territoryEvent = "/event/Territory_Change__e"

// eventFixture is an sffake org publishing Territory_Change__e on every
// territory change, a subscription to it, and a Normalizer for a mapping
// (by default the example territory-events.yaml).
type eventFixture struct {
	t   *testing.T
	ctx context.Context
	s   *sffake.Server
	sub *pubsub.Subscription
	n   *normalize.Normalizer
}

func newEventFixture(t *testing.T, m *mapping.Mapping) *eventFixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	s := sfrig.StartSalesforce(t, sffake.WithTerritoryChangeEvent())
	sub := sfrig.Subscribe(t, ctx, sfrig.DialPubSub(t, s), territoryEvent)
	if m == nil {
		var err error
		if m, err = mapping.Load("../../../schemas/mappings/territory-events.yaml"); err != nil {
			t.Fatal(err)
		}
	}
	return &eventFixture{t: t, ctx: ctx, s: s, sub: sub, n: normalize.New(m, s.OrgID(), normalize.WithClock(func() time.Time { return producedAt }))}
}

// event returns the next event of the subscription.
func (f *eventFixture) event() pubsub.Event {
	f.t.Helper()
	return sfrig.NextEvent(f.t, f.ctx, f.sub)
}

// next normalizes the next event of the subscription.
func (f *eventFixture) next() (pubsub.Event, []envelope.Envelope) {
	f.t.Helper()
	ev := f.event()
	envs, err := f.n.Envelopes(&ev)
	if err != nil {
		f.t.Fatalf("event %+v: %v", ev.Record, err)
	}
	for _, e := range envs {
		if err := e.Validate(); err != nil {
			f.t.Errorf("invalid envelope %+v: %v", e, err)
		}
	}
	return ev, envs
}

func (f *eventFixture) publish(fields map[string]any) {
	f.t.Helper()
	if _, err := f.s.PublishEvent("Territory_Change__e", fields); err != nil {
		f.t.Fatal(err)
	}
}

// changeTypes returns the change types of envs, for messages and checks.
func changeTypes(envs []envelope.Envelope) []envelope.ChangeType {
	out := make([]envelope.ChangeType, len(envs))
	for i, e := range envs {
		out[i] = e.ChangeType
	}
	return out
}

func sameValues(got, want map[string]envelope.Value) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || !g.Equal(v) {
			return false
		}
	}
	return true
}

var (
	territoryA = sffake.ID(sffake.PrefixTerritory2, 1)
	territoryB = sffake.ID(sffake.PrefixTerritory2, 2)
)

// TestPlatformEventChangeTypes follows a UserTerritory2Association
// through create, update, move, delete and undelete, as the emulator's
// trigger publishes them.
func TestPlatformEventChangeTypes(t *testing.T) {
	t.Parallel()
	f := newEventFixture(t, nil)
	user := f.s.UserID()
	id, err := f.s.Create("UserTerritory2Association", map[string]any{"UserId": user, "Territory2Id": territoryA, "RoleInTerritory2": "Owner"})
	if err != nil {
		t.Fatal(err)
	}

	// CREATE: the carried values and the key, then GAP_CREATE for
	// RoleInTerritory2, IsActive and LastModifiedDate, which the event
	// does not carry.
	ev, envs := f.next()
	if got := changeTypes(envs); !slices.Equal(got, []envelope.ChangeType{envelope.ChangeCreate, envelope.ChangeGapCreate}) {
		t.Fatalf("CREATE gave %v", got)
	}
	c, g := envs[0], envs[1]
	created := time.UnixMilli(ev.Record["CreatedDate"].(int64)).UTC()
	if c.EventID != ev.ID || c.TransactionKey != ev.ID || c.Entity != "UserTerritory2Association" || c.RecordID != id ||
		c.SourceChannel != territoryEvent || !slices.Equal(c.ReplayID, ev.ReplayID) || c.OrgID != f.s.OrgID() ||
		!c.CommitTimestamp.Equal(created) || c.CommitNumber != created.UnixMicro() || c.SequenceNumber != 1 ||
		c.CommitUser != user || !c.ProducedAt.Equal(producedAt) || c.PartitionKey != territoryA {
		t.Errorf("CREATE envelope header %+v from event %s %v", c, ev.ID, ev.Record)
	}
	want := map[string]envelope.Value{"Id": envelope.StringValue(id), "UserId": envelope.StringValue(user), "Territory2Id": envelope.StringValue(territoryA)}
	if !sameValues(c.Values, want) || !slices.Equal(c.ChangedFields, []string{"UserId", "Territory2Id"}) || c.NulledFields != nil {
		t.Errorf("CREATE values %v, changed %v, nulled %v", c.Values, c.ChangedFields, c.NulledFields)
	}
	if g.EventID != ev.ID || g.RecordID != id || g.PartitionKey != territoryA || g.Values != nil ||
		g.ChangedFields != nil || g.CommitNumber != c.CommitNumber || g.SequenceNumber != c.SequenceNumber {
		t.Errorf("GAP_CREATE envelope %+v", g)
	}
	last := c.CommitNumber

	// UPDATE of a field the event does not carry: the carried values,
	// the changed fields the event names, and GAP_UPDATE.
	if err := f.s.Update(id, map[string]any{"RoleInTerritory2": "Sales Rep"}); err != nil {
		t.Fatal(err)
	}
	_, envs = f.next()
	if got := changeTypes(envs); !slices.Equal(got, []envelope.ChangeType{envelope.ChangeUpdate, envelope.ChangeGapUpdate}) {
		t.Fatalf("UPDATE of RoleInTerritory2 gave %v", got)
	}
	u := envs[0]
	if !sameValues(u.Values, map[string]envelope.Value{"UserId": envelope.StringValue(user), "Territory2Id": envelope.StringValue(territoryA)}) ||
		!slices.Equal(u.ChangedFields, []string{"RoleInTerritory2", "LastModifiedDate"}) || u.NulledFields != nil || u.PartitionKey != territoryA {
		t.Errorf("UPDATE envelope %+v", u)
	}
	// Events of one millisecond keep their order.
	if u.CommitNumber <= last {
		t.Errorf("UPDATE commit number %d is not after the CREATE's %d", u.CommitNumber, last)
	}
	last = u.CommitNumber

	// A move to another territory: the new territory, listed as changed,
	// and the record keyed by it; LastModifiedDate changed too and is not
	// carried, so GAP_UPDATE follows.
	if err := f.s.Update(id, map[string]any{"Territory2Id": territoryB}); err != nil {
		t.Fatal(err)
	}
	_, envs = f.next()
	if got := changeTypes(envs); !slices.Equal(got, []envelope.ChangeType{envelope.ChangeUpdate, envelope.ChangeGapUpdate}) {
		t.Fatalf("UPDATE of Territory2Id gave %v", got)
	}
	if m := envs[0]; !m.Values["Territory2Id"].Equal(envelope.StringValue(territoryB)) || !slices.Equal(m.ChangedFields, []string{"Territory2Id", "LastModifiedDate"}) ||
		m.PartitionKey != territoryB || envs[1].PartitionKey != territoryB || m.CommitNumber <= last {
		t.Errorf("move envelope %+v", m)
	}

	// DELETE: no values and no gap, but keyed by the carried territory.
	if err := f.s.Delete(id); err != nil {
		t.Fatal(err)
	}
	_, envs = f.next()
	if len(envs) != 1 {
		t.Fatalf("DELETE gave %v", changeTypes(envs))
	}
	if d := envs[0]; d.ChangeType != envelope.ChangeDelete || d.RecordID != id || d.Values != nil || d.ChangedFields != nil || d.PartitionKey != territoryB {
		t.Errorf("DELETE envelope %+v", d)
	}

	// UNDELETE: like CREATE.
	if err := f.s.Undelete(id); err != nil {
		t.Fatal(err)
	}
	_, envs = f.next()
	if got := changeTypes(envs); !slices.Equal(got, []envelope.ChangeType{envelope.ChangeUndelete, envelope.ChangeGapUndelete}) {
		t.Fatalf("UNDELETE gave %v", got)
	}
	if ud := envs[0]; !ud.Values["Id"].Equal(envelope.StringValue(id)) || !ud.Values["Territory2Id"].Equal(envelope.StringValue(territoryB)) {
		t.Errorf("UNDELETE envelope %+v", ud)
	}
}

// TestPlatformEventRecordsAndRouting publishes events by hand: several
// record ids, object routing, change type case, nulls and changed fields.
func TestPlatformEventRecordsAndRouting(t *testing.T) {
	t.Parallel()
	f := newEventFixture(t, nil)
	ids := []string{sffake.ID(sffake.PrefixUserTerritory2Association, 1), sffake.ID(sffake.PrefixUserTerritory2Association, 2)}

	// Several record ids, one repeated: one envelope each, in order, with
	// their own sequence numbers. Only UserId changed, and it is carried
	// as null: nulled, and no gap. An unmapped changed field is ignored.
	f.publish(map[string]any{
		"ObjectName__c": "userterritory2association", "RecordId__c": ids[0] + ", " + ids[1] + "," + ids[0],
		"ChangeType__c": "update", "ChangedFields__c": "UserId, NotMapped__c", "Territory2Id__c": territoryA,
	})
	ev, envs := f.next()
	if len(envs) != 2 {
		t.Fatalf("two record ids gave %v", changeTypes(envs))
	}
	for i, e := range envs {
		if e.RecordID != ids[i] || e.SequenceNumber != int32(i+1) || e.EventID != ev.ID || e.ChangeType != envelope.ChangeUpdate ||
			e.Entity != "UserTerritory2Association" || e.PartitionKey != territoryA {
			t.Errorf("envelope %d: %+v", i, e)
		}
		if !slices.Equal(e.ChangedFields, []string{"UserId"}) || !slices.Equal(e.NulledFields, []string{"UserId"}) ||
			!sameValues(e.Values, map[string]envelope.Value{"UserId": envelope.NullValue(), "Territory2Id": envelope.StringValue(territoryA)}) {
			t.Errorf("envelope %d: changed %v, nulled %v, values %v", i, e.ChangedFields, e.NulledFields, e.Values)
		}
	}
	envs[0].Values["Territory2Id"] = envelope.StringValue(territoryB)
	if !envs[1].Values["Territory2Id"].Equal(envelope.StringValue(territoryA)) {
		t.Error("the envelopes of one event share their values")
	}

	// An UPDATE that does not say what changed: the carried values, and a
	// gap since any other field may have changed; a null carried value
	// means nothing then.
	f.publish(map[string]any{"ObjectName__c": "UserTerritory2Association", "RecordId__c": ids[0], "ChangeType__c": "UPDATE", "Territory2Id__c": territoryB})
	_, envs = f.next()
	if got := changeTypes(envs); !slices.Equal(got, []envelope.ChangeType{envelope.ChangeUpdate, envelope.ChangeGapUpdate}) {
		t.Fatalf("UPDATE without changed fields gave %v", got)
	}
	if u := envs[0]; !sameValues(u.Values, map[string]envelope.Value{"Territory2Id": envelope.StringValue(territoryB)}) || u.ChangedFields != nil || u.NulledFields != nil {
		t.Errorf("UPDATE without changed fields: %+v", u)
	}

	// A CREATE carrying a null: nulled, and listed as changed.
	f.publish(map[string]any{"ObjectName__c": "UserTerritory2Association", "RecordId__c": ids[1], "ChangeType__c": "Create", "UserId__c": f.s.UserID()})
	_, envs = f.next()
	if c := envs[0]; c.ChangeType != envelope.ChangeCreate || !c.Values["Territory2Id"].IsNull() || !slices.Equal(c.NulledFields, []string{"Territory2Id"}) ||
		!slices.Equal(c.ChangedFields, []string{"UserId", "Territory2Id"}) || c.PartitionKey != ids[1] {
		t.Errorf("CREATE with a null: %+v", c)
	}

	// Routing by object name: a Territory2 event becomes a Territory2
	// envelope with the values Territory2's block names.
	model := sffake.ID(sffake.PrefixTerritory2Model, 1)
	f.publish(map[string]any{"ObjectName__c": "Territory2", "RecordId__c": territoryA, "ChangeType__c": "UPDATE", "ChangedFields__c": "Territory2ModelId", "Territory2ModelId__c": model, "Territory2Id__c": territoryA})
	_, envs = f.next()
	if len(envs) != 1 {
		t.Fatalf("Territory2 UPDATE of a carried field gave %v", changeTypes(envs))
	}
	if e := envs[0]; e.Entity != "Territory2" || e.RecordID != territoryA || e.PartitionKey != territoryA ||
		!sameValues(e.Values, map[string]envelope.Value{"Territory2ModelId": envelope.StringValue(model)}) {
		t.Errorf("Territory2 envelope %+v", e)
	}

	// An object the event carries no values for: a DELETE keyed by its id.
	f.publish(map[string]any{"ObjectName__c": "Territory2Model", "RecordId__c": model, "ChangeType__c": "DELETE"})
	_, envs = f.next()
	if len(envs) != 1 || envs[0].Entity != "Territory2Model" || envs[0].ChangeType != envelope.ChangeDelete || envs[0].PartitionKey != model {
		t.Errorf("Territory2Model DELETE gave %+v", envs)
	}
}

// TestPlatformEventSingleObject maps one object to the event without
// object_field: every event is that object's.
func TestPlatformEventSingleObject(t *testing.T) {
	t.Parallel()
	m, err := mapping.Parse("m.yaml", []byte(`objects:
  ObjectTerritory2Association:
    topic: /event/Territory_Change__e
    event: {record_id: RecordId__c, change_type: ChangeType__c, values: {ObjectId__c: ObjectId}}
    fields:
      Id: varchar(18)
      ObjectId: varchar(18)
`))
	if err != nil {
		t.Fatal(err)
	}
	f := newEventFixture(t, m)
	id, account := sffake.ID(sffake.PrefixObjectTerritory2Association, 1), sffake.ID(sffake.PrefixAccount, 1)
	f.publish(map[string]any{"ObjectName__c": "Anything", "RecordId__c": id, "ChangeType__c": "CREATE", "ObjectId__c": account})
	_, envs := f.next()
	if len(envs) != 1 || envs[0].Entity != "ObjectTerritory2Association" ||
		!sameValues(envs[0].Values, map[string]envelope.Value{"Id": envelope.StringValue(id), "ObjectId": envelope.StringValue(account)}) {
		t.Errorf("a complete CREATE gave %+v", envs)
	}
}

func TestPlatformEventRefusals(t *testing.T) {
	t.Parallel()
	// IsActive, a boolean, carried by a text field: a bad value.
	m, err := mapping.Parse("m.yaml", []byte(`objects:
  UserTerritory2Association:
    topic: /event/Territory_Change__e
    event:
      object_field: ObjectName__c
      record_id: RecordId__c
      change_type: ChangeType__c
      values: {ChangedFields__c: IsActive}
    fields:
      Id: varchar(18)
      IsActive: boolean
  Territory2:
    topic: /event/Territory_Change__e
    event: {object_field: ObjectName__c, record_id: RecordId__c, change_type: ChangeType__c}
    fields:
      Id: varchar(18)
`))
	if err != nil {
		t.Fatal(err)
	}
	f := newEventFixture(t, m)
	id := sffake.ID(sffake.PrefixUserTerritory2Association, 1)
	for _, tc := range []struct {
		scenario string
		fields   map[string]any
		want     error
	}{
		{"no record id", map[string]any{"ObjectName__c": "Territory2", "ChangeType__c": "CREATE"}, normalize.ErrBadEvent},
		{"only commas as record ids", map[string]any{"ObjectName__c": "Territory2", "RecordId__c": " , ", "ChangeType__c": "CREATE"}, normalize.ErrBadEvent},
		{"unknown change type", map[string]any{"ObjectName__c": "Territory2", "RecordId__c": territoryA, "ChangeType__c": "MERGE"}, normalize.ErrBadEvent},
		{"gap change type", map[string]any{"ObjectName__c": "Territory2", "RecordId__c": territoryA, "ChangeType__c": "GAP_UPDATE"}, normalize.ErrBadEvent},
		{"no change type", map[string]any{"ObjectName__c": "Territory2", "RecordId__c": territoryA}, normalize.ErrBadEvent},
		{"no object name", map[string]any{"RecordId__c": territoryA, "ChangeType__c": "CREATE"}, normalize.ErrBadEvent},
		{"object not fed by the topic", map[string]any{"ObjectName__c": "Territory2Model", "RecordId__c": territoryA, "ChangeType__c": "CREATE"}, normalize.ErrUnmapped},
		{"bad value", map[string]any{"ObjectName__c": "UserTerritory2Association", "RecordId__c": id, "ChangeType__c": "CREATE", "ChangedFields__c": "yes"}, normalize.ErrBadValue},
	} {
		f.publish(tc.fields)
		ev := f.event()
		envs, err := f.n.Envelopes(&ev)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, %v; want %v", tc.scenario, envs, err, tc.want)
			continue
		}
		if !containsAll(err.Error(), ev.ID, territoryEvent) {
			t.Errorf("%s: error %q does not name the event and topic", tc.scenario, err)
		}
		if errors.Is(tc.want, normalize.ErrBadValue) && !containsAll(err.Error(), "IsActive", id) {
			t.Errorf("%s: error %q does not name the field and record", tc.scenario, err)
		}
	}

	// An undecodable event on the topic stays a decode failure.
	bad := pubsub.Event{ID: "e1", Topic: territoryEvent, DecodeErr: pubsub.ErrDecode}
	if _, err := f.n.Envelopes(&bad); !errors.Is(err, normalize.ErrNotChangeEvent) {
		t.Errorf("undecodable event: %v", err)
	}
}
