package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/reconciler/internal/diff"
)

func results() []*diff.Result {
	return []*diff.Result{
		{Object: "Territory2", Mode: diff.ModeFull, Compared: 40, Differences: []diff.Difference{}, Duration: 1500 * time.Millisecond},
		{Object: "Account", Mode: diff.ModeFull, Compared: 2000, Missing: 1, Extra: 1, Different: 1, Repaired: 3, Duration: 3 * time.Second,
			Differences: []diff.Difference{
				{ID: "001A", Kind: diff.Different, Repaired: true, Fields: []diff.FieldDiff{
					{Field: "Name", Postgres: "Edited", Salesforce: "Acme"},
					{Field: "Phone", Postgres: diff.Hidden, Salesforce: diff.Hidden},
				}},
				{ID: "001B", Kind: diff.Missing, Repaired: true},
				{ID: "001C", Kind: diff.Extra, Repaired: true},
			}},
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	rs := results()
	cases := []struct {
		scenario string
		results  []*diff.Result
		want     int
	}{
		{"nothing verified", nil, ExitInSync},
		{"in sync", rs[:1], ExitInSync},
		{"drift, even repaired", rs, ExitDrift},
		{"error wins", append(rs[:2:2], &diff.Result{Object: "Lead", Error: "boom"}), ExitError},
	}
	for _, c := range cases {
		if got := ExitCode(c.results); got != c.want {
			t.Errorf("%s: exit %d, want %d", c.scenario, got, c.want)
		}
	}
}

func TestTable(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := Table(&b, results()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"OBJECT", "Territory2  full", "Account", "2000", "Account: 3 differences",
		"001A", "Name", "Edited", "Acme", "Phone", "(hidden)", "001B", "missing", "001C", "extra",
		"drift found (exit status 1)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Territory2: ") {
		t.Errorf("an object without drift lists differences:\n%s", out)
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := JSON(&b, results()); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["status"] != "drift" || doc["exit_code"] != 1.0 {
		t.Errorf("status %v, exit %v", doc["status"], doc["exit_code"])
	}
	acct := doc["objects"].([]any)[1].(map[string]any)
	for _, k := range []string{"object", "mode", "compared", "missing", "extra", "different", "repaired", "dry_run", "differences", "stats", "started", "duration_seconds"} {
		if _, ok := acct[k]; !ok {
			t.Errorf("object lacks %q: %v", k, acct)
		}
	}
	if acct["duration_seconds"] != 3.0 {
		t.Errorf("duration_seconds %v", acct["duration_seconds"])
	}
	d := acct["differences"].([]any)[0].(map[string]any)
	f := d["fields"].([]any)[1].(map[string]any)
	if d["id"] != "001A" || d["kind"] != "different" || d["repaired"] != true || f["field"] != "Phone" || f["postgres"] != "(hidden)" || f["salesforce"] != "(hidden)" {
		t.Errorf("difference %v", d)
	}
	// An object in sync lists no differences as [], not null.
	if got := doc["objects"].([]any)[0].(map[string]any)["differences"]; got == nil {
		t.Error("differences of an object in sync is null")
	}
}
