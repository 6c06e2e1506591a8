package source

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/bulk"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/load"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

func territoryMapping(t *testing.T) *mapping.Mapping {
	t.Helper()
	m, err := mapping.Load(filepath.Join("..", "..", "..", "schemas", "mappings", "territory.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func restClient(t *testing.T, s *sffake.Server) *rest.Client {
	t.Helper()
	rc, err := rest.New(rest.Config{
		Credentials: rest.StaticCredentials(rest.Token{AccessToken: oauth.Secret(s.AccessToken()), InstanceURL: s.URL()}),
		BackoffMin:  time.Millisecond, BackoffMax: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// TestRowsMatchEmulator reads every record of every territory object
// through REST and through Bulk API 2.0 and checks both give the same
// typed values, and that deleted records show only with queryAll.
func TestRowsMatchEmulator(t *testing.T) {
	t.Parallel()
	s, err := sffake.Start(sffake.WithTerritoryChangeEvents())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, err := load.Seed(context.Background(), s, load.Dataset{Accounts: 60, Users: 5}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Churn(context.Background(), load.Churn{MaxOps: 200}); err != nil {
		t.Fatal(err)
	}
	m := territoryMapping(t)
	rc := restClient(t, s)
	r := &Reader{REST: rc}
	bc := bulk.New(rc, nil)
	ctx := context.Background()
	for _, obj := range m.Objects {
		live, all := 0, 0
		byREST := map[string]Row{}
		for row, err := range r.Query(ctx, obj, "", true) {
			if err != nil {
				t.Fatal(err)
			}
			all++
			if !row.Deleted {
				live++
			}
			byREST[row.ID] = row
		}
		if want := len(s.Records(obj.Name, true)); all != want || all == 0 {
			t.Fatalf("%s: queryAll gave %d rows, the emulator holds %d", obj.Name, all, want)
		}
		n := 0
		for row, err := range r.Query(ctx, obj, "", false) {
			if err != nil || row.Deleted {
				t.Fatalf("%s: query gave %+v, %v", obj.Name, row, err)
			}
			n++
		}
		if n != live {
			t.Fatalf("%s: query gave %d rows, want the %d live ones", obj.Name, n, live)
		}
		rows, err := bc.Query(ctx, "SELECT "+joinFields(obj)+" FROM "+obj.Name, bulk.Options{Operation: bulk.OpQueryAll, PollInterval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		for b, err := range rows.All() {
			if err != nil {
				t.Fatal(err)
			}
			got, err := FromMap(obj, b.Map())
			if err != nil {
				t.Fatal(err)
			}
			want := byREST[got.ID]
			for name, v := range want.Values {
				if !v.Equal(got.Values[name]) {
					t.Errorf("%s %s %s: REST %v, Bulk %v", obj.Name, got.ID, name, v, got.Values[name])
				}
			}
			if got.Deleted != want.Deleted || !got.Modstamp.Equal(want.Modstamp) || got.Modstamp.IsZero() {
				t.Errorf("%s %s: deleted/modstamp REST %v %v, Bulk %v %v", obj.Name, got.ID, want.Deleted, want.Modstamp, got.Deleted, got.Modstamp)
			}
		}
	}
	// IDs finds deleted records too, across chunks.
	acct := m.Object("Account")
	ids := make([]string, 0, 450)
	for _, rec := range s.Records("Account", true) {
		ids = append(ids, rec.ID)
	}
	got := 0
	for _, err := range r.IDs(ctx, acct, ids) {
		if err != nil {
			t.Fatal(err)
		}
		got++
	}
	if got != len(ids) {
		t.Fatalf("IDs found %d of %d", got, len(ids))
	}
}

func joinFields(obj *mapping.Object) string {
	f := Fields(obj)
	out := f[0]
	for _, x := range f[1:] {
		out += ", " + x
	}
	return out
}

func TestValue(t *testing.T) {
	t.Parallel()
	ty := func(s string) mapping.Type {
		x, err := mapping.ParseType(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	cases := []struct {
		scenario string
		typ      string
		raw      any
		want     envelope.Value
	}{
		{"bulk null", "integer", "", envelope.NullValue()},
		{"empty text stays text", "text", "", envelope.StringValue("")},
		{"json integer", "integer", jsonNumber("42"), envelope.IntValue(42)},
		{"bulk decimal", "numeric(18,2)", "1234.5", envelope.DecimalValue(mustDecimal(t, "1234.5"))},
		{"exponent decimal", "numeric", "1.0E7", envelope.DecimalValue(mustDecimal(t, "10000000"))},
		{"rest datetime", "timestamptz", "2024-01-02T03:04:05.000+0000", envelope.DateTimeValue(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))},
		{"bulk datetime", "timestamptz", "2024-01-02T03:04:05.000Z", envelope.DateTimeValue(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))},
		{"bool", "boolean", true, envelope.BoolValue(true)},
		{"bulk bool", "boolean", "false", envelope.BoolValue(false)},
		{"date", "date", "2024-02-29", envelope.DateValue(envelope.Date{Year: 2024, Month: 2, Day: 29})},
	}
	for _, c := range cases {
		got, err := Value(ty(c.typ), c.raw)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("%s: Value(%s, %v) = %v, %v; want %v", c.scenario, c.typ, c.raw, got, err, c.want)
		}
	}
	if _, err := Value(ty("integer"), "many"); err == nil {
		t.Error("Value(integer, many) succeeded")
	}
}

func jsonNumber(s string) any { return json.Number(s) }

func mustDecimal(t *testing.T, s string) envelope.Decimal {
	t.Helper()
	d, err := envelope.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
