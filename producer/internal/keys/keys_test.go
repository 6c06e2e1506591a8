package keys_test

import (
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/producer/internal/keys"
	"github.com/sfsync/sfsync/producer/internal/normalize"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

const testMapping = `
objects:
  Account:
    partition_key: Territory_Key__c
    fields:
      Id: varchar(18)
      Name: text
      Territory_Key__c: varchar(18)
  Territory2:
    fields:
      Id: varchar(18)
      Name: text
`

// env is a resolver under test on its own sffake and metrics.
type env struct {
	t   *testing.T
	s   *sffake.Server
	r   *keys.Resolver
	reg *prometheus.Registry
}

func newEnv(t *testing.T, mappingText string, capacity int) *env {
	t.Helper()
	s, err := sffake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	m, err := mapping.Parse("test.yaml", []byte(mappingText))
	if err != nil {
		t.Fatal(err)
	}
	c, err := rest.New(rest.Config{
		Credentials: rest.StaticCredentials(rest.Token{AccessToken: oauth.Secret(s.AccessToken()), InstanceURL: s.URL()}),
		MaxRetries:  -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, s: s, reg: prometheus.NewRegistry()}
	e.r, err = keys.New(keys.Config{Mapping: m, Salesforce: c, Capacity: capacity, Registerer: e.reg})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// metric returns the sum of a metric family's values over its series
// with every pair of labels.
func (e *env) metric(name string, labels ...string) float64 {
	e.t.Helper()
	return metricValue(e.t, e.reg, name, labels...)
}

// metricValue is [harness.MetricValue] without whether the series exist.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	v, _ := harness.MetricValue(t, reg, name, labels...)
	return v
}

func (e *env) create(fields map[string]any) string {
	e.t.Helper()
	id, err := e.s.Create("Account", fields)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// envl returns an envelope as normalize makes it: keyed by the
// partition key field when it carries it, else by the record id.
func envl(entity, id string, ct envelope.ChangeType, values map[string]envelope.Value) envelope.Envelope {
	e := envelope.Envelope{
		EventID: "ev-" + id, Entity: entity, RecordID: id, ChangeType: ct, Values: values,
		SourceChannel: "/data/" + entity + "ChangeEvent", PartitionKey: id,
	}
	if v, ok := values["Territory_Key__c"]; ok {
		if s, _ := v.AsString(); s != "" {
			e.PartitionKey = s
		}
	}
	return e
}

func str(s string) map[string]envelope.Value {
	return map[string]envelope.Value{"Territory_Key__c": envelope.StringValue(s)}
}

var (
	name   = map[string]envelope.Value{"Name": envelope.StringValue("renamed")}
	nulled = map[string]envelope.Value{"Territory_Key__c": envelope.NullValue()}
)

// TestResolveLearns feeds batches one after another to one resolver: it
// learns from CREATE, UPDATE and nulled fields, and never asks Salesforce
// about records it has seen.
func TestResolveLearns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testMapping, 0)
	ids := make([]string, 6)
	for i := range ids {
		ids[i] = sffake.ID(sffake.PrefixAccount, uint64(900+i)) // unknown to Salesforce: lookups would not find them
	}
	batches := []struct {
		scenario string
		in       []envelope.Envelope
		want     []string
	}{
		{"creates carry the key or say it is null",
			[]envelope.Envelope{envl("Account", ids[0], envelope.ChangeCreate, str("T1")), envl("Account", ids[1], envelope.ChangeCreate, name)},
			[]string{"T1", ids[1]}},
		{"updates and deletes of known records",
			[]envelope.Envelope{envl("Account", ids[0], envelope.ChangeUpdate, name), envl("Account", ids[1], envelope.ChangeUpdate, name), envl("Account", ids[0], envelope.ChangeDelete, nil)},
			[]string{"T1", ids[1], "T1"}},
		{"an undelete and an update that moves the record",
			[]envelope.Envelope{envl("Account", ids[0], envelope.ChangeUndelete, str("T1")), envl("Account", ids[0], envelope.ChangeUpdate, str("T2")), envl("Account", ids[0], envelope.ChangeUpdate, name)},
			[]string{"T1", "T2", "T2"}},
		{"a nulled key keys by the record id, and is remembered",
			[]envelope.Envelope{envl("Account", ids[0], envelope.ChangeUpdate, nulled), envl("Account", ids[0], envelope.ChangeDelete, nil)},
			[]string{ids[0], ids[0]}},
		{"a key set on a record that had none",
			[]envelope.Envelope{envl("Account", ids[1], envelope.ChangeUpdate, str("T3")), envl("Account", ids[1], envelope.ChangeDelete, nil)},
			[]string{"T3", "T3"}},
		{"gaps, overflows and objects keyed by id are left alone",
			[]envelope.Envelope{
				envl("Account", ids[2], envelope.ChangeGapUpdate, nil), envl("Account", pubsub.OverflowRecordID, envelope.ChangeGapOverflow, nil),
				envl("Territory2", ids[3], envelope.ChangeUpdate, name), envl("Territory2", ids[3], envelope.ChangeDelete, nil),
				envl("Unmapped", ids[4], envelope.ChangeDelete, nil),
			},
			[]string{ids[2], pubsub.OverflowRecordID, ids[3], ids[3], ids[4]}},
	}
	for _, b := range batches {
		if err := e.r.Resolve(t.Context(), b.in); err != nil {
			t.Fatalf("%s: %v", b.scenario, err)
		}
		for i, env := range b.in {
			if env.PartitionKey != b.want[i] {
				t.Errorf("%s: envelope %d (%s %s) keyed %q, want %q", b.scenario, i, env.ChangeType, env.RecordID, env.PartitionKey, b.want[i])
			}
		}
	}
	if n := e.metric("sfsync_producer_partition_key_lookups_total"); n != 0 {
		t.Errorf("%v lookups in Salesforce, want none", n)
	}
	if n := e.metric("sfsync_producer_partition_key_cache_entries"); n != 2 {
		t.Errorf("%v cache entries, want 2", n)
	}
}

// TestResolveLooksUp resolves records the resolver never saw, deleted
// ones included, in one query per object.
func TestResolveLooksUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testMapping, 0)
	a := e.create(map[string]any{"Name": "A", "Territory_Key__c": "T1"})
	b := e.create(map[string]any{"Name": "B"})
	c := e.create(map[string]any{"Name": "C", "Territory_Key__c": "T2"})
	if err := e.s.Delete(c); err != nil {
		t.Fatal(err)
	}
	unknown := sffake.ID(sffake.PrefixAccount, 999_999)
	batch := []envelope.Envelope{
		envl("Account", a, envelope.ChangeUpdate, name), envl("Account", b, envelope.ChangeUpdate, name),
		envl("Account", c, envelope.ChangeDelete, nil), envl("Account", unknown, envelope.ChangeDelete, nil),
		envl("Account", a, envelope.ChangeDelete, nil),
	}
	if err := e.r.Resolve(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"T1", b, "T2", unknown, "T1"} {
		if batch[i].PartitionKey != want {
			t.Errorf("envelope %d (%s %s) keyed %q, want %q", i, batch[i].ChangeType, batch[i].RecordID, batch[i].PartitionKey, want)
		}
	}
	if n := e.metric("sfsync_producer_partition_key_lookups_total", "entity", "Account"); n != 1 {
		t.Errorf("%v lookups, want 1", n)
	}
	if n := e.metric("sfsync_producer_partition_keys_resolved_total", "source", "unknown"); n != 1 {
		t.Errorf("%v unknown records, want 1", n)
	}
	// Known now: no more lookups.
	again := []envelope.Envelope{envl("Account", a, envelope.ChangeUpdate, name), envl("Account", c, envelope.ChangeDelete, nil)}
	if err := e.r.Resolve(t.Context(), again); err != nil {
		t.Fatal(err)
	}
	if again[0].PartitionKey != "T1" || again[1].PartitionKey != "T2" {
		t.Errorf("keys %q, %q", again[0].PartitionKey, again[1].PartitionKey)
	}
	if n := e.metric("sfsync_producer_partition_key_lookups_total"); n != 1 {
		t.Errorf("%v lookups, want 1", n)
	}
}

// TestResolveSplitsLongLookups looks up more ids than one URL holds.
func TestResolveSplitsLongLookups(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testMapping, 0)
	known := e.create(map[string]any{"Name": "K", "Territory_Key__c": "T9"})
	batch := []envelope.Envelope{envl("Account", known, envelope.ChangeDelete, nil)}
	for i := range 1_500 {
		batch = append(batch, envl("Account", sffake.ID(sffake.PrefixAccount, uint64(100_000+i)), envelope.ChangeDelete, nil))
	}
	if err := e.r.Resolve(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	if batch[0].PartitionKey != "T9" {
		t.Errorf("known record keyed %q", batch[0].PartitionKey)
	}
	for _, env := range batch[1:] {
		if env.PartitionKey != env.RecordID {
			t.Fatalf("unknown record %s keyed %q", env.RecordID, env.PartitionKey)
		}
	}
	if n := e.metric("sfsync_producer_partition_key_lookups_total"); n < 3 {
		t.Errorf("%v lookups for 1,501 ids, want several", n)
	}
}

// TestResolveErrors: a transient failure is returned as temporary, a
// lasting one (a field the org lacks) as not, and neither keys by the
// record id.
func TestResolveErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario  string
		mapping   string
		fault     *sffake.HTTPFault
		temporary bool
	}{
		{scenario: "503 maintenance page", mapping: testMapping, fault: &sffake.HTTPFault{Status: 503}, temporary: true},
		{scenario: "connection dropped", mapping: testMapping, fault: &sffake.HTTPFault{Hangup: true}, temporary: true},
		{scenario: "UNKNOWN_EXCEPTION", mapping: testMapping, fault: &sffake.HTTPFault{Status: 500, ErrorCode: "UNKNOWN_EXCEPTION"}, temporary: true},
		{scenario: "field the org lacks", mapping: `
objects:
  Account:
    partition_key: Region_Key__c
    fields:
      Id: varchar(18)
      Region_Key__c: varchar(18)
`},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tt.mapping, 0)
			id := e.create(map[string]any{"Name": "A", "Territory_Key__c": "T1"})
			if tt.fault != nil {
				e.s.FailNextHTTP(1, *tt.fault)
			}
			batch := []envelope.Envelope{envl("Account", id, envelope.ChangeDelete, nil)}
			err := e.r.Resolve(t.Context(), batch)
			var ke *keys.Error
			if !errors.As(err, &ke) || ke.Temporary() != tt.temporary {
				t.Fatalf("error %v, want a *keys.Error with Temporary %v", err, tt.temporary)
			}
			if tt.fault == nil {
				return
			}
			// Tried again, the batch resolves.
			if err := e.r.Resolve(t.Context(), batch); err != nil || batch[0].PartitionKey != "T1" {
				t.Fatalf("retry: %v, key %q", err, batch[0].PartitionKey)
			}
		})
	}
}

// TestNormalizeKeysByRecordID checks normalize's own fallback for an
// object keyed by its record id, which the resolver leaves alone.
func TestNormalizeKeysByRecordID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testMapping, 0)
	m, _ := mapping.Parse("test.yaml", []byte(testMapping))
	n := normalize.New(m, e.s.OrgID())
	id := sffake.ID(sffake.PrefixTerritory2, 7)
	for _, ct := range []string{"CREATE", "UPDATE", "DELETE", "UNDELETE"} {
		ev := &pubsub.Event{
			ID: "ev-" + ct, Topic: "/data/Territory2ChangeEvent", ReplayID: []byte{1},
			Header: &pubsub.ChangeEventHeader{
				EntityName: "Territory2", RecordIDs: []string{id}, ChangeType: pubsub.ChangeType(ct),
				CommitTimestamp: time.Now(), ChangedFields: []string{"Name"},
			},
			Record: map[string]any{"Name": map[string]any{"string": "West"}},
		}
		envs, err := n.Envelopes(ev)
		if err != nil {
			t.Fatalf("%s: %v", ct, err)
		}
		if err := e.r.Resolve(t.Context(), envs); err != nil {
			t.Fatal(err)
		}
		if envs[0].PartitionKey != id {
			t.Errorf("%s keyed %q, want the record id", ct, envs[0].PartitionKey)
		}
	}
	if got := e.metric("sfsync_producer_partition_key_lookups_total"); got != 0 {
		t.Errorf("%v lookups", got)
	}
}
