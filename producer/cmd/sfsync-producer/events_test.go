package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/integration/harness/sfrig"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// TestPlatformEventEndToEnd feeds two territory objects from the emulator's
// platform event Territory_Change__e, as a real org without territory
// change events would, and finds each change of a UserTerritory2Association
// in Kafka in order, with the GAP_ envelopes that send the reconciler for
// the values the event does not carry.
func TestPlatformEventEndToEnd(t *testing.T) {
	t.Parallel()
	k := harness.NewKafka(t)
	s := sfrig.StartSalesforce(t, sffake.WithTerritoryChangeEvent())
	assocTopic, territoryTopic := k.TopicName("uta"), k.TopicName("territory2")
	dir := t.TempDir()
	config := filepath.Join(dir, "producer.yaml")
	writeFile(t, filepath.Join(dir, "mapping.yaml"), fmt.Sprintf(`
objects:
  Territory2:
    topic: /event/Territory_Change__e
    kafka_topic: %s
    event:
      object_field: ObjectName__c
      record_id: RecordId__c
      change_type: ChangeType__c
      changed_fields: ChangedFields__c
    fields:
      Id: varchar(18)
      Name: text
  UserTerritory2Association:
    topic: /event/Territory_Change__e
    kafka_topic: %s
    partition_key: Territory2Id
    event:
      object_field: ObjectName__c
      record_id: RecordId__c
      change_type: ChangeType__c
      changed_fields: ChangedFields__c
      values:
        Territory2Id__c: Territory2Id
        UserId__c: UserId
    fields:
      Id: varchar(18)
      UserId: varchar(18)
      Territory2Id: varchar(18)
      RoleInTerritory2: text
`, territoryTopic, assocTopic))
	writeConfig(t, config, s, k, assocTopic, territoryTopic)

	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"--config", config, "--create-topics", "3"}, logs, logs, noEnv)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("producer logs:\n%s", logs)
		}
	})
	waitCtx, waitCancel := context.WithTimeout(context.Background(), time.Minute)
	defer waitCancel()
	for _, topic := range []string{assocTopic, territoryTopic} {
		if err := k.WaitForTopic(waitCtx, topic, 3); err != nil {
			t.Fatalf("topic %s: %v", topic, err)
		}
	}

	territory, err := s.Create("Territory2", map[string]any{"Name": "EMEA", "DeveloperName": "EMEA"})
	if err != nil {
		t.Fatal(err)
	}
	assoc, err := s.Create("UserTerritory2Association", map[string]any{"UserId": s.UserID(), "Territory2Id": territory, "RoleInTerritory2": "Owner"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(assoc, map[string]any{"RoleInTerritory2": "Sales Rep"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(assoc); err != nil {
		t.Fatal(err)
	}

	got := readEnvelopes(waitCtx, t, k, assocTopic, 5)
	want := []envelope.ChangeType{envelope.ChangeCreate, envelope.ChangeGapCreate, envelope.ChangeUpdate, envelope.ChangeGapUpdate, envelope.ChangeDelete}
	var types []envelope.ChangeType
	for _, e := range got {
		types = append(types, e.ChangeType)
		if e.Entity != "UserTerritory2Association" || e.RecordID != assoc || e.PartitionKey != territory || e.SourceChannel != "/event/Territory_Change__e" {
			t.Errorf("envelope %+v", e)
		}
	}
	if !slices.Equal(types, want) {
		t.Fatalf("change types %v, want %v", types, want)
	}
	if c := got[0]; !c.Values["Territory2Id"].Equal(envelope.StringValue(territory)) || !c.Values["UserId"].Equal(envelope.StringValue(s.UserID())) ||
		!c.Values["Id"].Equal(envelope.StringValue(assoc)) {
		t.Errorf("CREATE values %v", c.Values)
	}
	if got[1].EventID != got[0].EventID || got[3].EventID != got[2].EventID || got[0].EventID == got[2].EventID {
		t.Errorf("GAP event ids %s, %s for events %s, %s", got[1].EventID, got[3].EventID, got[0].EventID, got[2].EventID)
	}
	if !(got[0].CommitNumber < got[2].CommitNumber && got[2].CommitNumber < got[4].CommitNumber) {
		t.Errorf("commit numbers %d, %d, %d are not in change order", got[0].CommitNumber, got[2].CommitNumber, got[4].CommitNumber)
	}

	// The Territory2 event of the same topic went to Territory2's topic.
	terr := readEnvelopes(waitCtx, t, k, territoryTopic, 2)
	if terr[0].Entity != "Territory2" || terr[0].RecordID != territory || terr[0].ChangeType != envelope.ChangeCreate || terr[1].ChangeType != envelope.ChangeGapCreate {
		t.Errorf("Territory2 envelopes %+v", terr)
	}

	cancel()
	if c := <-code; c != 0 {
		t.Fatalf("exit %d", c)
	}
	if strings.Contains(logs.String(), "dead-letter") {
		t.Errorf("an event was dead-lettered:\n%s", logs)
	}
}

// readEnvelopes reads topic from the start until it holds want envelopes.
// The producer keys a record's envelopes alike, so they share a partition
// and come back in order.
func readEnvelopes(ctx context.Context, t *testing.T, k *harness.Kafka, topic string, want int) []envelope.Envelope {
	t.Helper()
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: k.Brokers, GroupTopics: []string{topic}, GroupID: k.Group(topic), StartOffset: kafka.FirstOffset, MaxWait: 50 * time.Millisecond})
	defer r.Close()
	var out []envelope.Envelope
	for len(out) < want {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read %s with %d of %d envelopes: %v", topic, len(out), want, err)
		}
		e, err := codec.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, *e)
	}
	return out
}
