package load_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/load"
	"github.com/sfsync/sfsync/salesforce/sffake/sffaketest"
)

// testTimeout bounds every wait of a test; reaching it is a failure.
const testTimeout = 30 * time.Second

var epoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// start starts a server that the test closes when it ends.
func start(t testing.TB, opts ...sffake.Option) *sffake.Server {
	t.Helper()
	return sffaketest.Start(t, opts...)
}

// virtualClock is a clock whose timers fire at once by moving the time
// forward to their deadline, so paced code runs at full speed while the
// clock shows the time it would have taken.
type virtualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) NewTimer(d time.Duration) sffake.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(max(d, 0))
	ch := make(chan time.Time, 1)
	ch <- c.now
	return firedTimer(ch)
}

type firedTimer chan time.Time

func (t firedTimer) C() <-chan time.Time { return t }
func (t firedTimer) Stop() bool          { return false }

var territoryObjects = []string{"Territory2Model", "Territory2Type", "Territory2", "UserTerritory2Association", "ObjectTerritory2Association", "Account"}

// snapshot returns every record of the dataset's objects, deleted ones
// included.
func snapshot(s *sffake.Server) map[string][]sffake.Record {
	out := map[string][]sffake.Record{}
	for _, o := range territoryObjects {
		out[o] = s.Records(o, true)
	}
	return out
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	run := func(seed uint64) (map[string][]sffake.Record, []load.Op) {
		s := start(t, sffake.WithSeed(7), sffake.WithClock(sffake.NewManualClock(epoch)), sffake.WithTerritoryChangeEvents())
		w, err := load.Seed(t.Context(), s, load.Dataset{Accounts: 300, Users: 20, Batch: 50}, seed)
		if err != nil {
			t.Fatal(err)
		}
		var ops []load.Op
		if _, err := w.Churn(t.Context(), load.Churn{MaxOps: 300, OverflowAfter: 100, OnOp: func(op load.Op) { ops = append(ops, op) }}); err != nil {
			t.Fatal(err)
		}
		return snapshot(s), ops
	}
	recs1, ops1 := run(42)
	recs2, ops2 := run(42)
	if !reflect.DeepEqual(ops1, ops2) {
		for i := range min(len(ops1), len(ops2)) {
			if !reflect.DeepEqual(ops1[i], ops2[i]) {
				t.Fatalf("operation %d differs: %+v vs %+v", i+1, ops1[i], ops2[i])
			}
		}
		t.Fatalf("operation logs differ in length: %d vs %d", len(ops1), len(ops2))
	}
	for _, o := range territoryObjects {
		if !reflect.DeepEqual(recs1[o], recs2[o]) {
			t.Fatalf("%s records differ between two runs with the same seed", o)
		}
	}
	recs3, ops3 := run(43)
	if reflect.DeepEqual(recs1["Account"], recs3["Account"]) || reflect.DeepEqual(ops1, ops3) {
		t.Fatal("seeds 42 and 43 produced the same accounts or operations")
	}
}

// checkShape checks the dataset's invariants on the server's records.
func checkShape(t *testing.T, s *sffake.Server, w *load.World, wantAccounts int) {
	t.Helper()
	models := s.Records("Territory2Model", false)
	if len(models) != 2 {
		t.Fatalf("%d Territory2Model, want 2", len(models))
	}
	active, planning := w.Models()
	byID := func(recs []sffake.Record) map[string]sffake.Record {
		m := map[string]sffake.Record{}
		for _, r := range recs {
			m[r.ID] = r
		}
		return m
	}
	ms := byID(models)
	if f := ms[active].Fields; f["DeveloperName"] != load.ActiveModel || f["State"] != "Active" {
		t.Fatalf("active model = %v", f)
	}
	if f := ms[planning].Fields; f["State"] != "Planning" {
		t.Fatalf("planning model = %v", f)
	}
	types := byID(s.Records("Territory2Type", false))
	if len(types) != 2 {
		t.Fatalf("%d Territory2Type, want 2", len(types))
	}

	terrs := byID(s.Records("Territory2", false))
	if len(terrs) < 25 || len(terrs) > 40 {
		t.Fatalf("%d territories, want about 30", len(terrs))
	}
	depth := map[string]int{}
	var leaves []string
	for _, tr := range w.Territories() {
		r, ok := terrs[tr.ID]
		if !ok {
			t.Fatalf("territory %s missing", tr.DeveloperName)
		}
		if r.Fields["Territory2ModelId"] != active {
			t.Fatalf("territory %s in model %v", tr.DeveloperName, r.Fields["Territory2ModelId"])
		}
		if types[r.Fields["Territory2TypeId"].(string)].Fields["DeveloperName"] != tr.Type {
			t.Fatalf("territory %s: type does not match %s", tr.DeveloperName, tr.Type)
		}
		parent, _ := r.Fields["ParentTerritory2Id"].(string)
		switch {
		case tr.DeveloperName == "Global" && parent != "":
			t.Fatal("Global has a parent")
		case tr.DeveloperName != "Global":
			d, ok := depth[parent]
			if !ok {
				t.Fatalf("territory %s: parent %q not seen before it", tr.DeveloperName, parent)
			}
			depth[tr.ID] = d + 1
		default:
			depth[tr.ID] = 0
		}
		if tr.Leaf {
			leaves = append(leaves, tr.ID)
		}
	}
	for _, geo := range []string{"AMER", "EMEA", "APAC"} {
		i := slices.IndexFunc(w.Territories(), func(tr load.Territory) bool { return tr.DeveloperName == geo })
		if i < 0 || depth[w.Territories()[i].ID] != 1 {
			t.Fatalf("geo %s missing or not under Global", geo)
		}
	}
	if slices.Max(slicesValues(depth)) != 3 {
		t.Fatalf("hierarchy depth %d, want Global → geo → region → district", slices.Max(slicesValues(depth)))
	}

	perUser := map[string]int{}
	for _, r := range s.Records("UserTerritory2Association", false) {
		if _, ok := terrs[r.Fields["Territory2Id"].(string)]; !ok {
			t.Fatalf("user association %s to unknown territory", r.ID)
		}
		perUser[r.Fields["UserId"].(string)]++
	}
	if len(perUser) != len(w.Users()) {
		t.Fatalf("%d users with associations, want %d", len(perUser), len(w.Users()))
	}
	for u, n := range perUser {
		if n < 1 || n > 3 {
			t.Fatalf("user %s has %d territory associations, want 1–3", u, n)
		}
	}

	accts := s.Records("Account", false)
	if wantAccounts >= 0 && len(accts) != wantAccounts {
		t.Fatalf("%d accounts, want %d", len(accts), wantAccounts)
	}
	assocs := map[string][]sffake.Record{}
	for _, r := range s.Records("ObjectTerritory2Association", false) {
		assocs[r.Fields["ObjectId"].(string)] = append(assocs[r.Fields["ObjectId"].(string)], r)
	}
	for _, a := range accts {
		as := assocs[a.ID]
		if len(as) < 1 || len(as) > 2 {
			t.Fatalf("account %s in %d territories, want 1–2", a.ID, len(as))
		}
		var rule []string
		for _, x := range as {
			if x.Fields["AssociationCause"] == "Territory2AssignmentRule" {
				rule = append(rule, x.Fields["Territory2Id"].(string))
			}
		}
		if len(rule) != 1 || a.Fields["Territory_Key__c"] != rule[0] || !slices.Contains(leaves, rule[0]) {
			t.Fatalf("account %s: Territory_Key__c %v, rule associations %v", a.ID, a.Fields["Territory_Key__c"], rule)
		}
		for _, f := range []string{"Name", "Industry", "AnnualRevenue", "NumberOfEmployees", "BillingCity", "BillingCountryCode", "ShippingCity", "OwnerId"} {
			if a.Fields[f] == nil {
				t.Fatalf("account %s lacks %s", a.ID, f)
			}
		}
	}
	// Associations of live accounts only.
	for id := range assocs {
		if r, ok := s.Record(id); !ok || r.Deleted {
			t.Fatalf("live territory association of deleted or unknown account %s", id)
		}
	}
}

func slicesValues(m map[string]int) []int {
	var v []int
	for _, x := range m {
		v = append(v, x)
	}
	return v
}

func TestDatasetShape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		dataset  load.Dataset
		churn    int
	}{
		{scenario: "fresh seed", dataset: load.Dataset{Accounts: 400, Users: 50}},
		{scenario: "default users, small batches", dataset: load.Dataset{Accounts: 120, Batch: 7}},
		{scenario: "after churn", dataset: load.Dataset{Accounts: 200, Users: 30}, churn: 500},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			s := start(t)
			w, err := load.Seed(t.Context(), s, tc.dataset, 1)
			if err != nil {
				t.Fatal(err)
			}
			wantUsers := tc.dataset.Users
			if wantUsers == 0 {
				wantUsers = load.DefaultUsers
			}
			if got := len(w.Users()); got != wantUsers {
				t.Fatalf("%d users", got)
			}
			want := tc.dataset.Accounts
			if tc.churn > 0 {
				if _, err := w.Churn(t.Context(), load.Churn{MaxOps: tc.churn}); err != nil {
					t.Fatal(err)
				}
				want = len(w.Accounts())
			}
			checkShape(t, s, w, want)
		})
	}
}

// equalMix weighs every kind alike, so a few hundred operations cover all.
var equalMix = load.Mix{AccountEdit: 1, AddressChange: 1, Reassign: 1, UserMove: 1, Delete: 1, Undelete: 1, Burst: 1, MultiRecord: 1, Gap: 1}

func TestChurnEvents(t *testing.T) {
	t.Parallel()
	s := start(t, sffake.WithTerritoryChangeEvents(), sffake.WithSeed(3))
	w, err := load.Seed(t.Context(), s, load.Dataset{Accounts: 40, Users: 10}, 9)
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.Churn(t.Context(), load.Churn{MaxOps: 200, Mix: equalMix, BurstSize: 3, OverflowAfter: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range append(slices.Clone(load.Kinds), load.KindOverflow) {
		if res.ByKind[k] == 0 {
			t.Errorf("no %s operation in %v", k, res.ByKind)
		}
	}
	if res.ByKind[load.KindOverflow] != 1 {
		t.Errorf("%d overflow operations, want 1", res.ByKind[load.KindOverflow])
	}

	headers := readHeaders(t, s, sffake.AllChangeEventsTopic, int(s.Stats().ChangeEvents))
	seen := map[string]bool{}
	merged := false
	for _, h := range headers {
		seen[h.entity+" "+h.changeType] = true
		if h.entity == "Account" && h.changeType == "UPDATE" && len(h.recordIDs) > 1 {
			merged = true
		}
	}
	for _, want := range []string{
		"Account CREATE", "Account UPDATE", "Account DELETE", "Account UNDELETE",
		"Account GAP_UPDATE", "Account GAP_OVERFLOW",
		"ObjectTerritory2Association CREATE", "ObjectTerritory2Association DELETE", "ObjectTerritory2Association UNDELETE",
		"UserTerritory2Association CREATE", "UserTerritory2Association DELETE",
		"Territory2 CREATE", "Territory2Model CREATE", "Territory2Type CREATE",
	} {
		if !seen[want] {
			t.Errorf("no %s event", want)
		}
	}
	if !merged {
		t.Error("no merged Account UPDATE event")
	}
}

type header struct {
	entity, changeType string
	recordIDs          []string
}

// readHeaders subscribes to topic from the earliest event with the
// generated stubs and returns the change event headers of the first n
// events, requesting 100 at a time.
func readHeaders(t *testing.T, s *sffake.Server, topic string, n int) []header {
	t.Helper()
	conn, err := grpc.NewClient(s.PubSubAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := eventbus.NewPubSubClient(conn)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "accesstoken", s.AccessToken(), "instanceurl", s.URL(), "tenantid", s.OrgID())
	st, err := c.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&eventbus.FetchRequest{TopicName: topic, ReplayPreset: eventbus.ReplayPreset_EARLIEST, NumRequested: 100}); err != nil {
		t.Fatal(err)
	}
	codecs := map[string]*goavro.Codec{}
	var out []header
	owed := 100
	for len(out) < n {
		r, err := st.Recv()
		if err != nil {
			t.Fatalf("recv after %d of %d events: %v", len(out), n, err)
		}
		for _, ev := range r.GetEvents() {
			id := ev.GetEvent().GetSchemaId()
			if codecs[id] == nil {
				info, err := c.GetSchema(ctx, &eventbus.SchemaRequest{SchemaId: id})
				if err != nil {
					t.Fatal(err)
				}
				if codecs[id], err = goavro.NewCodec(info.GetSchemaJson()); err != nil {
					t.Fatal(err)
				}
			}
			native, _, err := codecs[id].NativeFromBinary(ev.GetEvent().GetPayload())
			if err != nil {
				t.Fatal(err)
			}
			h := native.(map[string]any)["ChangeEventHeader"].(map[string]any)
			var ids []string
			for _, x := range h["recordIds"].([]any) {
				ids = append(ids, x.(string))
			}
			out = append(out, header{entity: h["entityName"].(string), changeType: h["changeType"].(string), recordIDs: ids})
		}
		owed -= len(r.GetEvents())
		if owed < 50 && len(out) < n {
			if err := st.Send(&eventbus.FetchRequest{TopicName: topic, NumRequested: int32(100 - owed)}); err != nil {
				t.Fatal(err)
			}
			owed = 100
		}
	}
	return out
}

func TestChurnRateBound(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		rate     float64
		burst    int
		mix      load.Mix
		ops      int
	}{
		{scenario: "50 per second, default mix", rate: 50, burst: 10, ops: 400},
		{scenario: "5 per second, bursts only", rate: 5, burst: 4, mix: load.Mix{Burst: 1}, ops: 50},
		{scenario: "1000 per second, equal mix", rate: 1000, burst: 20, mix: equalMix, ops: 300},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			s := start(t)
			w, err := load.Seed(t.Context(), s, load.Dataset{Accounts: 50, Users: 10}, 5)
			if err != nil {
				t.Fatal(err)
			}
			clk := &virtualClock{now: epoch}
			res, err := w.Churn(t.Context(), load.Churn{Rate: tc.rate, BurstSize: tc.burst, Mix: tc.mix, MaxOps: tc.ops, Clock: clk})
			if err != nil {
				t.Fatal(err)
			}
			if res.Ops != tc.ops {
				t.Fatalf("%d operations, want %d", res.Ops, tc.ops)
			}
			elapsed := clk.Now().Sub(epoch).Seconds()
			allowed := float64(tc.burst) + tc.rate*elapsed
			if float64(res.Transactions) > allowed+1e-9 {
				t.Fatalf("%d transactions in %.3fs of clock time: more than burst %d + rate %v × time = %.1f",
					res.Transactions, elapsed, tc.burst, tc.rate, allowed)
			}
			// The bucket waits no longer than needed: the rate is reached.
			if float64(res.Transactions) < allowed-float64(tc.burst)-1 {
				t.Fatalf("%d transactions in %.3fs of clock time: far below rate %v", res.Transactions, elapsed, tc.rate)
			}
		})
	}
}

func TestChurnStopsWithContext(t *testing.T) {
	t.Parallel()
	s := start(t)
	w, err := load.Seed(t.Context(), s, load.Dataset{Accounts: 20, Users: 5}, 5)
	if err != nil {
		t.Fatal(err)
	}
	// A clock that never moves: once the bucket is empty, only the
	// context can end the wait.
	ctx, cancel := context.WithCancel(t.Context())
	res, err := w.Churn(ctx, load.Churn{Rate: 1, BurstSize: 3, Mix: load.Mix{AccountEdit: 1}, Clock: sffake.NewManualClock(epoch),
		OnOp: func(op load.Op) {
			if op.Seq == 3 {
				cancel()
			}
		}})
	if err != nil || res.Ops != 3 {
		t.Fatalf("Churn = %+v, %v; want 3 operations and no error", res, err)
	}
	// Unlimited rate: the loop itself checks the context.
	ctx, cancel = context.WithCancel(t.Context())
	res, err = w.Churn(ctx, load.Churn{OnOp: func(op load.Op) {
		if op.Seq == 10 {
			cancel()
		}
	}})
	if err != nil || res.Ops != 10 {
		t.Fatalf("Churn = %+v, %v; want 10 operations and no error", res, err)
	}
}

func TestInvalid(t *testing.T) {
	t.Parallel()
	s := start(t)
	w, err := load.Seed(t.Context(), s, load.Dataset{Accounts: 5, Users: 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		scenario string
		dataset  *load.Dataset
		churn    load.Churn
		want     error
	}{
		{scenario: "negative accounts", dataset: &load.Dataset{Accounts: -1}, want: load.ErrInvalidDataset},
		{scenario: "named share above 1", dataset: &load.Dataset{NamedShare: 1.5}, want: load.ErrInvalidDataset},
		{scenario: "negative rate", churn: load.Churn{Rate: -1}, want: load.ErrInvalidChurn},
		{scenario: "negative weight", churn: load.Churn{Mix: load.Mix{AccountEdit: 2, Gap: -1}}, want: load.ErrInvalidChurn},
		{scenario: "negative max ops", churn: load.Churn{MaxOps: -2}, want: load.ErrInvalidChurn},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			var err error
			if tc.dataset != nil {
				_, err = load.Seed(t.Context(), s, *tc.dataset, 1)
			} else {
				_, err = w.Churn(t.Context(), tc.churn)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func BenchmarkChurn(b *testing.B) {
	s := start(b, sffake.WithTerritoryChangeEvents())
	w, err := load.Seed(b.Context(), s, load.Dataset{Accounts: 2000}, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	res, err := w.Churn(b.Context(), load.Churn{MaxOps: b.N})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(res.Ops)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(res.Transactions)/b.Elapsed().Seconds(), "tx/s")
}
