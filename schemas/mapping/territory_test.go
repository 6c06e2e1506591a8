package mapping

import (
	"strings"
	"testing"
)

// territoryFile is the example mapping shipped with the module.
const territoryFile = "../mappings/territory.yaml"

func TestTerritoryMapping(t *testing.T) {
	t.Parallel()
	m, err := Load(territoryFile)
	if err != nil {
		t.Fatalf("the example mapping does not load:\n%v", err)
	}
	tests := []struct {
		object, table, partition, topic, kafka string
		fields                                 int
	}{
		{"Territory2Model", "territory2_model", "Id", "/data/Territory2ModelChangeEvent", "sfsync.territory2model", 11},
		{"Territory2", "territory2", "Id", "/data/Territory2ChangeEvent", "sfsync.territory2", 14},
		{"UserTerritory2Association", "user_territory2_association", "Territory2Id", "/data/UserTerritory2AssociationChangeEvent", "sfsync.userterritory2association", 6},
		{"ObjectTerritory2Association", "object_territory2_association", "Territory2Id", "/data/ObjectTerritory2AssociationChangeEvent", "sfsync.objectterritory2association", 6},
		{"Account", "account", "Territory_Key__c", "/data/AccountChangeEvent", "sfsync.account", 41},
	}
	if len(m.Objects) != len(tests) {
		t.Fatalf("%d objects, want %d", len(m.Objects), len(tests))
	}
	for i, tt := range tests {
		o := m.Objects[i]
		if o.Name != tt.object || o.Table != tt.table || o.Key != "Id" || o.PartitionKey != tt.partition ||
			o.Sync != SyncStream || o.Topic != tt.topic || o.KafkaTopic != tt.kafka || len(o.Fields) != tt.fields {
			t.Errorf("object %d = %s table %s key %s partition %s sync %s topic %s kafka %s fields %d; want %+v",
				i, o.Name, o.Table, o.Key, o.PartitionKey, o.Sync, o.Topic, o.KafkaTopic, len(o.Fields), tt)
		}
		if id := o.KeyField(); id == nil || id.Type.String() != "varchar(18)" {
			t.Errorf("%s: key field %+v", o.Name, id)
		}
	}
	account := m.Object("Account")
	for _, part := range []string{"Street", "City", "State", "PostalCode", "Country", "StateCode", "CountryCode", "Latitude", "Longitude"} {
		for _, kind := range []string{"Billing", "Shipping"} {
			f := account.FieldBySource(kind + "Address." + part)
			if f == nil || f.Name != kind+part || f.Column != strings.ToLower(kind+part) {
				t.Errorf("%sAddress.%s maps to %+v, want field %s%s", kind, part, f, kind, part)
			}
		}
	}
	if f := account.Field("BillingLatitude"); f.Type.Kind != KindDoublePrecision {
		t.Errorf("BillingLatitude type %v", f.Type)
	}
	if f := account.Field("AnnualRevenue"); f.Type.String() != "numeric(18,2)" {
		t.Errorf("AnnualRevenue type %v", f.Type)
	}
	if f := account.PartitionField(); f.Column != "territory_key" || f.Source != "Territory_Key__c" {
		t.Errorf("partition field %+v", f)
	}
	if f := account.Field("SystemModstamp"); f != nil {
		t.Error("SystemModstamp is mapped but change events do not carry it")
	}
	if got := len(m.Topics()); got != 5 {
		t.Errorf("%d topics, want 5", got)
	}
}

// territoryEventsFile is the example mapping that feeds the territory
// objects from the platform event Territory_Change__e.
const territoryEventsFile = "../mappings/territory-events.yaml"

func TestTerritoryEventsMapping(t *testing.T) {
	t.Parallel()
	m, err := Load(territoryEventsFile)
	if err != nil {
		t.Fatalf("the example mapping does not load:\n%v", err)
	}
	const topic = "/event/Territory_Change__e"
	if got := m.Topics(); len(got) != 1 || got[0] != topic {
		t.Errorf("Topics() = %v, want only %s", got, topic)
	}
	tests := []struct {
		object string
		values map[string]string
	}{
		{"Territory2Model", map[string]string{}},
		{"Territory2", map[string]string{"Territory2ModelId__c": "Territory2ModelId"}},
		{"UserTerritory2Association", map[string]string{"Territory2Id__c": "Territory2Id", "UserId__c": "UserId"}},
		{"ObjectTerritory2Association", map[string]string{"Territory2Id__c": "Territory2Id", "ObjectId__c": "ObjectId"}},
	}
	if objs := m.TopicObjects(topic); len(objs) != len(tests) {
		t.Fatalf("%d objects on %s, want %d", len(objs), topic, len(tests))
	}
	for i, tt := range tests {
		o := m.Objects[i]
		e := o.Event
		if o.Name != tt.object || e == nil || e.ObjectField != "ObjectName__c" || e.RecordID != "RecordId__c" ||
			e.ChangeType != "ChangeType__c" || e.ChangedFields != "ChangedFields__c" {
			t.Errorf("object %d: %s event %+v", i, o.Name, e)
			continue
		}
		if len(e.Values) != len(tt.values) {
			t.Errorf("%s: values %v, want %v", o.Name, e.Values, tt.values)
		}
		for ev, f := range tt.values {
			if e.Values[ev] != f {
				t.Errorf("%s: %s carries %q, want %s", o.Name, ev, e.Values[ev], f)
			}
		}
	}
}
