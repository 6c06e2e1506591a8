package main

import (
	"testing"

	"github.com/sfsync/sfsync/schemas/envelope"
)

// TestRunKeysByTerritoryAfterRestart: the producer, restarted after an
// account's create, keys its rename and delete by the account's
// territory, asking Salesforce (the REST API of the configured instance)
// for what the change events do not carry.
func TestRunKeysByTerritoryAfterRestart(t *testing.T) {
	t.Parallel()
	st := newSetup(t)
	stop, logs := st.start(t, "--create-topics", "3")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("producer logs:\n%s", logs)
		}
	})
	const territory = "0MI000000000001AAA"
	id, err := st.s.Create("Account", map[string]any{"Name": "Acme", "Territory_Key__c": territory})
	if err != nil {
		t.Fatal(err)
	}
	st.countAccounts(t, 1)
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if err := st.s.Update(id, map[string]any{"Name": "Acme Corp"}); err != nil {
		t.Fatal(err)
	}
	if err := st.s.Delete(id); err != nil {
		t.Fatal(err)
	}
	stop, logs = st.start(t)
	got := st.countAccounts(t, 3)
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	want := []envelope.ChangeType{envelope.ChangeCreate, envelope.ChangeUpdate, envelope.ChangeDelete}
	for i, e := range got {
		if e.RecordID != id || e.ChangeType != want[i] || e.PartitionKey != territory {
			t.Errorf("record %d: %s %s keyed %q, want %s keyed %q", i, e.ChangeType, e.RecordID, e.PartitionKey, want[i], territory)
		}
	}
}
