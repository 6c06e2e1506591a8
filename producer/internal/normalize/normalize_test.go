package normalize_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/integration/harness/sfrig"
	"github.com/sfsync/sfsync/producer/internal/normalize"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

const accountTopic = "/data/AccountChangeEvent"

// fixture is an sffake org, a subscription to its Account change events,
// and a Normalizer for the territory mapping.
type fixture struct {
	t   *testing.T
	ctx context.Context
	s   *sffake.Server
	sub *pubsub.Subscription
	n   *normalize.Normalizer
}

var producedAt = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	s := sfrig.StartSalesforce(t)
	sub := sfrig.Subscribe(t, ctx, sfrig.DialPubSub(t, s), accountTopic)
	m, err := mapping.Load("../../../schemas/mappings/territory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, s: s, sub: sub, n: normalize.New(m, s.OrgID(), normalize.WithClock(func() time.Time { return producedAt }))}
}

// next normalizes the next change event of the subscription.
func (f *fixture) next() (pubsub.Event, []envelope.Envelope) {
	f.t.Helper()
	ev := sfrig.NextEvent(f.t, f.ctx, f.sub)
	envs, err := f.n.Envelopes(&ev)
	if err != nil {
		f.t.Fatal(err)
	}
	return ev, envs
}

func (f *fixture) create(object string, fields map[string]any) string {
	f.t.Helper()
	id, err := f.s.Create(object, fields)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func decimal(t *testing.T, s string) envelope.Value {
	t.Helper()
	d, err := envelope.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return envelope.DecimalValue(d)
}

func TestCreateUpdateDeleteUndelete(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.create("Account", map[string]any{
		"Name": "Acme", "Industry": "Energy", "AnnualRevenue": 1250000.5, "NumberOfEmployees": 42,
		"BillingCity": "Berlin", "BillingCountry": "Germany", "Territory_Key__c": "0MI000000000001AAA",
	})

	ev, envs := f.next()
	if len(envs) != 1 {
		t.Fatalf("CREATE gave %d envelopes", len(envs))
	}
	c := envs[0]
	if c.ChangeType != envelope.ChangeCreate || c.RecordID != id || c.Entity != "Account" || c.EventID != ev.ID ||
		c.SourceChannel != accountTopic || !slices.Equal(c.ReplayID, ev.ReplayID) || c.OrgID != f.s.OrgID() ||
		c.CommitNumber != ev.Header.CommitNumber || c.TransactionKey != ev.Header.TransactionKey ||
		!c.CommitTimestamp.Equal(ev.Header.CommitTimestamp) || !c.ProducedAt.Equal(producedAt) {
		t.Errorf("CREATE envelope header %+v from event %+v", c, ev.Header)
	}
	if c.PartitionKey != "0MI000000000001AAA" {
		t.Errorf("CREATE partition key %q, want the territory key", c.PartitionKey)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("CREATE envelope invalid: %v", err)
	}
	for name, want := range map[string]envelope.Value{
		"Id": envelope.StringValue(id), "Name": envelope.StringValue("Acme"), "Industry": envelope.StringValue("Energy"),
		"AnnualRevenue": decimal(t, "1250000.5"), "NumberOfEmployees": envelope.IntValue(42),
		"BillingCity": envelope.StringValue("Berlin"), "BillingCountry": envelope.StringValue("Germany"),
		"Territory_Key__c": envelope.StringValue("0MI000000000001AAA"),
	} {
		if got := c.Values[name]; !got.Equal(want) {
			t.Errorf("CREATE %s = %v, want %v", name, got, want)
		}
	}
	if _, ok := c.Values["CreatedDate"].AsDateTime(); !ok {
		t.Errorf("CREATE CreatedDate = %v, want a datetime", c.Values["CreatedDate"])
	}

	// An update of a compound component and a nulled field: only those,
	// under their flat names, plus LastModifiedDate.
	if err := f.s.Update(id, map[string]any{"BillingCity": "Hamburg", "Industry": nil}); err != nil {
		t.Fatal(err)
	}
	_, envs = f.next()
	u := envs[0]
	if u.ChangeType != envelope.ChangeUpdate {
		t.Fatalf("got %s, want UPDATE", u.ChangeType)
	}
	if !slices.Contains(u.ChangedFields, "BillingCity") || !slices.Contains(u.ChangedFields, "Industry") ||
		!slices.Contains(u.ChangedFields, "LastModifiedDate") || slices.Contains(u.ChangedFields, "BillingCountry") {
		t.Errorf("UPDATE changed fields %v", u.ChangedFields)
	}
	if !slices.Equal(u.NulledFields, []string{"Industry"}) {
		t.Errorf("UPDATE nulled fields %v, want [Industry]", u.NulledFields)
	}
	if !u.Values["BillingCity"].Equal(envelope.StringValue("Hamburg")) || !u.Values["Industry"].IsNull() {
		t.Errorf("UPDATE values %v", u.Values)
	}
	if _, ok := u.Values["Name"]; ok {
		t.Errorf("UPDATE carries the unchanged Name")
	}
	// The update did not carry the territory key: keyed by record id.
	if u.PartitionKey != id {
		t.Errorf("UPDATE partition key %q, want the record id %q", u.PartitionKey, id)
	}

	if err := f.s.Delete(id); err != nil {
		t.Fatal(err)
	}
	_, envs = f.next()
	if d := envs[0]; d.ChangeType != envelope.ChangeDelete || d.RecordID != id || len(d.Values) != 0 {
		t.Errorf("DELETE envelope %+v", d)
	}
	if err := f.s.Undelete(id); err != nil {
		t.Fatal(err)
	}
	_, envs = f.next()
	if ud := envs[0]; ud.ChangeType != envelope.ChangeUndelete || !ud.Values["BillingCity"].Equal(envelope.StringValue("Hamburg")) ||
		ud.PartitionKey != "0MI000000000001AAA" {
		t.Errorf("UNDELETE envelope %+v", ud)
	}
}

func TestMergedEventGivesOneEnvelopePerRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var ids []string
	for _, name := range []string{"A", "B", "C"} {
		ids = append(ids, f.create("Account", map[string]any{"Name": name}))
		f.next()
	}
	if _, err := f.s.Transact(func(tx *sffake.Tx) error {
		return tx.UpdateMany(ids, map[string]any{"Rating": "Hot"})
	}); err != nil {
		t.Fatal(err)
	}
	ev, envs := f.next()
	if len(ev.Header.RecordIDs) != 3 || len(envs) != 3 {
		t.Fatalf("merged event with %d record ids gave %d envelopes", len(ev.Header.RecordIDs), len(envs))
	}
	for i, e := range envs {
		if e.RecordID != ids[i] || e.EventID != ev.ID || !e.Values["Rating"].Equal(envelope.StringValue("Hot")) {
			t.Errorf("envelope %d: %+v", i, e)
		}
	}
	// Envelopes share no value maps: changing one leaves the others.
	envs[0].Values["Rating"] = envelope.StringValue("Cold")
	if !envs[1].Values["Rating"].Equal(envelope.StringValue("Hot")) {
		t.Error("envelopes of a merged event share their values")
	}
}

func TestGapsArePassedOn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.create("Account", map[string]any{"Name": "Gap"})
	f.next()
	if _, err := f.s.EmitGap("Account", "GAP_UPDATE", id); err != nil {
		t.Fatal(err)
	}
	_, envs := f.next()
	if g := envs[0]; g.ChangeType != envelope.ChangeGapUpdate || g.RecordID != id || len(g.Values) != 0 || g.PartitionKey != id {
		t.Errorf("GAP_UPDATE envelope %+v", g)
	}
	if _, err := f.s.EmitOverflow("Account"); err != nil {
		t.Fatal(err)
	}
	_, envs = f.next()
	if o := envs[0]; len(envs) != 1 || o.ChangeType != envelope.ChangeGapOverflow || o.RecordID != pubsub.OverflowRecordID {
		t.Errorf("GAP_OVERFLOW envelopes %+v", envs)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	m, err := mapping.Parse("m.yaml", []byte("objects:\n  Account:\n    fields:\n      Id: varchar(18)\n      NumberOfEmployees: integer\n"))
	if err != nil {
		t.Fatal(err)
	}
	n := normalize.New(m, "00D000000000001EAA")
	header := func(entity string, ct pubsub.ChangeType) *pubsub.ChangeEventHeader {
		return &pubsub.ChangeEventHeader{EntityName: entity, RecordIDs: []string{"001000000000001AAA"}, ChangeType: ct}
	}
	for _, tc := range []struct {
		scenario string
		ev       pubsub.Event
		want     error
	}{
		{scenario: "platform event", ev: pubsub.Event{ID: "e1", Record: map[string]any{}}, want: normalize.ErrNotChangeEvent},
		{scenario: "undecodable", ev: pubsub.Event{ID: "e2", Header: header("Account", pubsub.Create), DecodeErr: pubsub.ErrDecode}, want: normalize.ErrNotChangeEvent},
		{scenario: "unmapped entity", ev: pubsub.Event{ID: "e3", Header: header("Contact", pubsub.Create)}, want: normalize.ErrUnmapped},
		{scenario: "fraction into integer", want: normalize.ErrBadValue, ev: pubsub.Event{
			ID: "e4", Header: header("Account", pubsub.Create),
			Record: map[string]any{"NumberOfEmployees": map[string]any{"double": 1.5}},
		}},
		{scenario: "string into integer", want: normalize.ErrBadValue, ev: pubsub.Event{
			ID: "e5", Header: header("Account", pubsub.Create),
			Record: map[string]any{"NumberOfEmployees": map[string]any{"string": "many"}},
		}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			_, err := n.Envelopes(&tc.ev)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if errors.Is(tc.want, normalize.ErrBadValue) && !containsAll(err.Error(), "NumberOfEmployees", "001000000000001AAA", tc.ev.ID) {
				t.Errorf("error %q does not name the field, record and event", err)
			}
			if tc.ev.DecodeErr != nil && !errors.Is(err, tc.ev.DecodeErr) {
				t.Errorf("error %q does not carry the decode error", err)
			}
		})
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
