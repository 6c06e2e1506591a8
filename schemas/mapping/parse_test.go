package mapping

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// valid is a small mapping that parses cleanly; the scenarios edit it.
const valid = `version: 1
objects:
  Account:
    partition_key: Territory_Key__c
    fields:
      Id: varchar(18)
      Name: text
      BillingCity: {source: BillingAddress.City, type: text}
      Territory_Key__c: {column: territory_key, type: varchar(18)}
`

// eventMapping feeds two objects from one platform event.
const eventMapping = `objects:
  UserTerritory2Association:
    topic: /event/Territory_Change__e
    partition_key: Territory2Id
    event:
      object_field: ObjectName__c
      record_id: RecordId__c
      change_type: ChangeType__c
      changed_fields: ChangedFields__c
      values:
        Territory2Id__c: territory2id
        UserId__c: UserId
    fields:
      Id: varchar(18)
      UserId: varchar(18)
      Territory2Id: varchar(18)
  Territory2:
    topic: /event/Territory_Change__e
    event: {object_field: ObjectName__c, record_id: RecordId__c, change_type: ChangeType__c}
    fields: {Id: varchar(18)}
  Account:
    fields: {Id: varchar(18)}
`

func TestParseValid(t *testing.T) {
	t.Parallel()
	m, err := Parse("valid.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	o := m.Object("account")
	if o == nil || o != m.Object("Account") {
		t.Fatal("Object lookup failed")
	}
	want := Object{
		Name: "Account", Table: "account", Key: "Id", PartitionKey: "Territory_Key__c",
		Sync: SyncStream, Topic: "/data/AccountChangeEvent", KafkaTopic: "sfsync.account",
	}
	if o.Name != want.Name || o.Table != want.Table || o.Key != want.Key || o.PartitionKey != want.PartitionKey ||
		o.Sync != want.Sync || o.Topic != want.Topic || o.KafkaTopic != want.KafkaTopic {
		t.Errorf("object = %+v, want %+v", *o, want)
	}
	if o.Pos != (Position{File: "valid.yaml", Line: 3, Column: 3}) {
		t.Errorf("object position %v", o.Pos)
	}
	wantFields := []Field{
		{Name: "Id", Source: "Id", Column: "id", Type: Type{Kind: KindVarchar, Length: 18}, Pos: Position{"valid.yaml", 6, 7}},
		{Name: "Name", Source: "Name", Column: "name", Type: Type{Kind: KindText}, Pos: Position{"valid.yaml", 7, 7}},
		{Name: "BillingCity", Source: "BillingAddress.City", Column: "billingcity", Type: Type{Kind: KindText}, Pos: Position{"valid.yaml", 8, 7}},
		{Name: "Territory_Key__c", Source: "Territory_Key__c", Column: "territory_key", Type: Type{Kind: KindVarchar, Length: 18}, Pos: Position{"valid.yaml", 9, 7}},
	}
	if len(o.Fields) != len(wantFields) {
		t.Fatalf("%d fields, want %d", len(o.Fields), len(wantFields))
	}
	for i, f := range o.Fields {
		if *f != wantFields[i] {
			t.Errorf("field %d = %+v, want %+v", i, *f, wantFields[i])
		}
	}
	if o.KeyField() != o.Fields[0] || o.PartitionField() != o.Fields[3] {
		t.Error("KeyField or PartitionField is wrong")
	}
	if o.FieldBySource("billingaddress.city") != o.Fields[2] || o.FieldBySource("BillingCity") != nil {
		t.Error("FieldBySource is wrong")
	}
	if o.Field("NAME") != o.Fields[1] || o.Field("Missing") != nil {
		t.Error("Field is wrong")
	}
	if got := m.Topics(); len(got) != 1 || got[0] != "/data/AccountChangeEvent" {
		t.Errorf("Topics() = %v", got)
	}
}

func TestParseDefaultsAndOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		yaml     string
		check    func(t *testing.T, m *Mapping)
	}{
		{"version is optional", "objects:\n  Lead:\n    fields:\n      Id: text\n", func(t *testing.T, m *Mapping) {
			if m.Version != 1 {
				t.Errorf("Version = %d", m.Version)
			}
		}},
		{"custom object topic", "objects:\n  Employee__c:\n    fields:\n      Id: text\n", func(t *testing.T, m *Mapping) {
			o := m.Objects[0]
			if o.Topic != "/data/Employee__ChangeEvent" || o.KafkaTopic != "sfsync.employee__c" || o.Table != "employee__c" {
				t.Errorf("got topic %s, kafka %s, table %s", o.Topic, o.KafkaTopic, o.Table)
			}
		}},
		{"namespaced custom object", "objects:\n  acme__Region__c:\n    fields:\n      Id: text\n", func(t *testing.T, m *Mapping) {
			if o := m.Objects[0]; o.Topic != "/data/acme__Region__ChangeEvent" {
				t.Errorf("topic %s", o.Topic)
			}
		}},
		{"poll has no topic", "objects:\n  Territory2:\n    sync: poll\n    fields:\n      Id: text\n", func(t *testing.T, m *Mapping) {
			if o := m.Objects[0]; o.Sync != SyncPoll || o.Topic != "" || len(m.Topics()) != 0 {
				t.Errorf("sync %v, topic %q, topics %v", o.Sync, o.Topic, m.Topics())
			}
		}},
		{"sensitive field", "objects:\n  Contact:\n    fields:\n      Id: text\n      Email: {type: text, sensitive: true}\n      Phone: {type: text, sensitive: false}\n", func(t *testing.T, m *Mapping) {
			o := m.Objects[0]
			if o.Field("Id").Sensitive || !o.Field("Email").Sensitive || o.Field("Phone").Sensitive {
				t.Errorf("sensitive: Id %v, Email %v, Phone %v", o.Field("Id").Sensitive, o.Field("Email").Sensitive, o.Field("Phone").Sensitive)
			}
		}},
		{"key other than Id, matched case-insensitively", "objects:\n  Thing__c:\n    key: external_id__c\n    fields:\n      External_Id__c: text\n", func(t *testing.T, m *Mapping) {
			if o := m.Objects[0]; o.Key != "External_Id__c" || o.PartitionKey != "External_Id__c" {
				t.Errorf("key %s, partition key %s", o.Key, o.PartitionKey)
			}
		}},
		{"shared topics", "objects:\n  Account:\n    topic: /data/ChangeEvents\n    kafka_topic: sfsync.all\n    fields:\n      Id: text\n  Contact:\n    topic: /data/ChangeEvents\n    kafka_topic: sfsync.all\n    fields:\n      Id: text\n  Order__c:\n    topic: /event/Order_Event__e\n    event: {record_id: OrderId__c, change_type: Change__c}\n    fields:\n      Id: text\n  Lead:\n    topic: /data/Sales__chn\n    fields:\n      Id: text\n", func(t *testing.T, m *Mapping) {
			want := []string{"/data/ChangeEvents", "/event/Order_Event__e", "/data/Sales__chn"}
			if got := m.Topics(); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("Topics() = %v, want %v", got, want)
			}
		}},
		{"platform event", eventMapping, func(t *testing.T, m *Mapping) {
			uta, t2 := m.Object("UserTerritory2Association"), m.Object("Territory2")
			e := uta.Event
			if e == nil || e.ObjectField != "ObjectName__c" || e.RecordID != "RecordId__c" || e.ChangeType != "ChangeType__c" || e.ChangedFields != "ChangedFields__c" {
				t.Fatalf("event %+v", e)
			}
			if len(e.Values) != 2 || e.Values["Territory2Id__c"] != "Territory2Id" || e.Values["UserId__c"] != "UserId" {
				t.Errorf("values %v, want mapped field names as declared", e.Values)
			}
			if e.Carrier("userid") != "UserId__c" || e.Carrier("Id") != "" || e.Pos.Line != 5 {
				t.Errorf("Carrier or position wrong: %q %q %v", e.Carrier("userid"), e.Carrier("Id"), e.Pos)
			}
			if t2.Event == nil || t2.Event.ChangedFields != "" || len(t2.Event.Values) != 0 || m.Object("Account").Event != nil {
				t.Errorf("Territory2 event %+v, Account event %+v", t2.Event, m.Object("Account").Event)
			}
			if got := m.Topics(); strings.Join(got, " ") != "/event/Territory_Change__e /data/AccountChangeEvent" {
				t.Errorf("Topics() = %v: a shared event topic must be listed once", got)
			}
			if got := m.TopicObjects("/event/Territory_Change__e"); len(got) != 2 || got[0] != uta || got[1] != t2 {
				t.Errorf("TopicObjects = %v", got)
			}
		}},
		{"anchor without alias", "objects:\n  Account: &acct\n    fields: {Id: text}\n", func(t *testing.T, m *Mapping) {
			if len(m.Objects) != 1 || m.Objects[0].Name != "Account" {
				t.Errorf("objects %v", m.Objects)
			}
		}},
		{"flow style and quoting", `{objects: {Account: {fields: {Id: "varchar(18)", Amount: 'numeric( 18 , 2 )', Flag: BOOLEAN}}}}`, func(t *testing.T, m *Mapping) {
			o := m.Objects[0]
			if o.Field("Amount").Type.String() != "numeric(18,2)" || o.Field("Flag").Type.Kind != KindBoolean {
				t.Errorf("types %v, %v", o.Field("Amount").Type, o.Field("Flag").Type)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			m, err := Parse("m.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, m)
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	const nameRule = "want a Salesforce API name: a letter, then letters, digits and underscores (at most two in a row, none at the end), such as Account or Territory_Key__c"
	const sqlRule = "want a PostgreSQL name of lower-case letters, digits and underscores, starting with a letter or underscore, at most 63 characters"
	tests := []struct {
		scenario string
		yaml     string
		want     []string
	}{
		// The file as a whole.
		{"empty file", "", []string{"m.yaml: empty mapping file"}},
		{"only comments", "# nothing here\n", []string{"m.yaml: empty mapping file"}},
		{"syntax error", "objects:\n  Account:\n    fields:\n   Id: text\n  - x\n", []string{"m.yaml:4:4: invalid YAML: value is not allowed in this context"}},
		{"syntax error on line 1", "objects: a: b\n", []string{"m.yaml:1:10: invalid YAML: mapping value is not allowed in this context"}},
		{"tab indentation", "objects:\n\tAccount: {}\n", []string{"m.yaml:2:1: invalid YAML: found character '\t' that cannot start any token"}},
		{"two documents", "objects:\n  A:\n    fields: {Id: text}\n---\nobjects: {}\n", []string{"m.yaml:4:1: more than one YAML document; a mapping file holds one"}},
		{"top level is a list", "- Account\n", []string{"m.yaml:1:1: the top level must be a mapping with the keys version and objects"}},
		{"top level is a scalar", "hello\n", []string{"m.yaml:1:1: the top level must be a mapping with the keys version and objects"}},
		{"unknown top-level key", "objects:\n  A:\n    fields: {Id: text}\nobject: {}\n", []string{`m.yaml:4:1: unknown top-level key "object" (did you mean objects?)`}},
		{"unknown top-level key, no hint", "objects:\n  A:\n    fields: {Id: text}\nmappings: {}\n", []string{`m.yaml:4:1: unknown top-level key "mappings" (want version, objects)`}},
		{"duplicate top-level key", "objects:\n  A:\n    fields: {Id: text}\nobjects:\n  B:\n    fields: {Id: text}\n", []string{`m.yaml:4:1: duplicate key "objects" (first at line 1)`}},
		{"unsupported version", "version: 2\nobjects:\n  A:\n    fields: {Id: text}\n", []string{"m.yaml:1:10: unsupported version 2; this sfsync reads version 1"}},
		{"version not a number", "version: one\nobjects:\n  A:\n    fields: {Id: text}\n", []string{`m.yaml:1:10: version must be an integer, not "one"`}},
		{"missing objects", "version: 1\n", []string{"m.yaml:1:1: missing objects"}},
		{"empty objects", "objects:\n", []string{"m.yaml:1:1: objects is empty"}},
		{"empty objects mapping", "objects: {}\n", []string{"m.yaml:1:1: objects is empty"}},
		{"objects is a list", "objects:\n  - Account\n", []string{"m.yaml:2:3: objects must be a mapping from Salesforce object names to objects"}},
		{"alias", "objects:\n  A:\n    fields: &f {Id: text}\n  B:\n    fields: *f\n", []string{"m.yaml:5:13: aliases and merge keys are not supported"}},
		{"complex key", "objects:\n  ? [A, B]\n  : {fields: {Id: text}}\n", []string{"m.yaml:3:3: invalid YAML: found an invalid key for this map"}},
		{"numeric key", "objects:\n  Account:\n    fields:\n      Id: text\n      1: text\n", []string{`m.yaml:5:7: Account: bad field name "1": ` + nameRule}},
		{"merge key", "objects:\n  Account:\n    fields:\n      Id: text\n      <<: {Name: text}\n", []string{"m.yaml:5:7: aliases and merge keys are not supported"}},

		// Objects.
		{"duplicate object", "objects:\n  Account:\n    fields: {Id: text}\n  ACCOUNT:\n    fields: {Id: text}\n", []string{"m.yaml:4:3: duplicate object ACCOUNT (first at line 2)"}},
		{"bad object name", "objects:\n  Account-2:\n    table: account2\n    fields: {Id: text}\n", []string{`m.yaml:2:3: bad object name "Account-2": ` + nameRule}},
		{"object name with triple underscore", "objects:\n  My___Thing__c:\n    table: thing\n    fields: {Id: text}\n", []string{`m.yaml:2:3: bad object name "My___Thing__c": ` + nameRule}},
		{"object is a scalar", "objects:\n  Account: yes\n", []string{"m.yaml:2:12: Account: an object must be a mapping with fields and optional table, key, partition_key, sync, topic, event and kafka_topic"}},
		{"unknown object key", "objects:\n  Account:\n    tabel: acct\n    fields: {Id: text}\n", []string{`m.yaml:3:5: Account: unknown key "tabel" (did you mean table?)`}},
		{"unknown object key, no hint", "objects:\n  Account:\n    comment: x\n    fields: {Id: text}\n", []string{`m.yaml:3:5: Account: unknown key "comment" (want table, key, partition_key, sync, topic, event, kafka_topic, fields)`}},
		{"duplicate object key", "objects:\n  Account:\n    table: a\n    table: b\n    fields: {Id: text}\n", []string{`m.yaml:4:5: Account: duplicate key "table" (first at line 3)`}},
		{"bad table", "objects:\n  Account:\n    table: Accounts\n    fields: {Id: text}\n", []string{`m.yaml:3:12: Account: bad table name "Accounts": ` + sqlRule}},
		{"table too long", "objects:\n  Account:\n    table: " + strings.Repeat("t", 64) + "\n    fields: {Id: text}\n", []string{`m.yaml:3:12: Account: bad table name "` + strings.Repeat("t", 64) + `": ` + sqlRule}},
		{"derived table too long", "objects:\n  " + strings.Repeat("A", 64) + ":\n    fields: {Id: text}\n", []string{`m.yaml:2:3: ` + strings.Repeat("A", 64) + `: bad table name "` + strings.Repeat("a", 64) + `": ` + sqlRule}},
		{"table as a list", "objects:\n  Account:\n    table: [a]\n    fields: {Id: text}\n", []string{"m.yaml:3:12: Account: table must be a single value"}},
		{"empty table", "objects:\n  Account:\n    table:\n    fields: {Id: text}\n", []string{"m.yaml:3:5: Account: table is empty"}},
		{"duplicate table", "objects:\n  Account:\n    fields: {Id: text}\n  Contact:\n    table: account\n    fields: {Id: text}\n", []string{"m.yaml:4:3: Contact: table account is already used by object Account at line 2"}},
		{"bad sync", "objects:\n  Account:\n    sync: push\n    fields: {Id: text}\n", []string{`m.yaml:3:11: Account: bad sync "push": want stream or poll`}},
		{"topic with poll", "objects:\n  Account:\n    sync: poll\n    topic: /data/AccountChangeEvent\n    fields: {Id: text}\n", []string{"m.yaml:4:12: Account: topic is set but sync is poll; a polled object has no Pub/Sub topic"}},
		{"topic without prefix", "objects:\n  Account:\n    topic: AccountChangeEvent\n    fields: {Id: text}\n", []string{`m.yaml:3:12: Account: bad topic "AccountChangeEvent": want a Pub/Sub topic such as /data/AccountChangeEvent, /data/Employee__ChangeEvent, /data/ChangeEvents, /data/Sales__chn or /event/Territory_Change__e`}},
		{"topic of another object", "objects:\n  Account:\n    topic: /data/ContactChangeEvent\n    fields: {Id: text}\n", []string{"m.yaml:3:12: Account: topic /data/ContactChangeEvent carries Contact change events, not Account"}},
		{"custom topic of another object", "objects:\n  Employee__c:\n    topic: /data/Manager__ChangeEvent\n    fields: {Id: text}\n", []string{"m.yaml:3:12: Employee__c: topic /data/Manager__ChangeEvent carries Manager__c change events, not Employee__c"}},
		{"data topic of another kind", "objects:\n  Account:\n    topic: /data/Account\n    fields: {Id: text}\n", []string{`m.yaml:3:12: Account: bad topic "/data/Account": want a Pub/Sub topic such as /data/AccountChangeEvent, /data/Employee__ChangeEvent, /data/ChangeEvents, /data/Sales__chn or /event/Territory_Change__e`}},
		{"event topic with a slash", "objects:\n  Account:\n    topic: /event/a/b\n    fields: {Id: text}\n", []string{`m.yaml:3:12: Account: bad topic "/event/a/b": want a Pub/Sub topic such as /data/AccountChangeEvent, /data/Employee__ChangeEvent, /data/ChangeEvents, /data/Sales__chn or /event/Territory_Change__e`}},
		{"bad kafka topic", "objects:\n  Account:\n    kafka_topic: sfsync/account\n    fields: {Id: text}\n", []string{`m.yaml:3:18: Account: bad kafka_topic "sfsync/account": want 1 to 249 letters, digits, '.', '_' or '-'`}},
		{"kafka topic dot", "objects:\n  Account:\n    kafka_topic: '.'\n    fields: {Id: text}\n", []string{`m.yaml:3:18: Account: bad kafka_topic ".": want 1 to 249 letters, digits, '.', '_' or '-'`}},
		{"missing fields", "objects:\n  Account:\n    table: account\n", []string{"m.yaml:2:3: Account: missing fields"}},
		{"empty fields", "objects:\n  Account:\n    fields:\n", []string{"m.yaml:3:5: Account: fields is empty"}},
		{"fields as a list", "objects:\n  Account:\n    fields: [Id, Name]\n", []string{"m.yaml:3:13: Account: fields must be a mapping from field names to types"}},
		{"key not mapped", "objects:\n  Account:\n    fields:\n      Name: text\n", []string{"m.yaml:2:3: Account: key field Id is not among its fields"}},
		{"explicit key not mapped", "objects:\n  Account:\n    key: External__c\n    fields:\n      Id: text\n", []string{"m.yaml:3:10: Account: key field External__c is not among its fields"}},
		{"partition key not mapped", "objects:\n  Account:\n    partition_key: Territory_Key__c\n    fields:\n      Id: text\n", []string{"m.yaml:3:20: Account: partition key Territory_Key__c is not among its fields"}},

		// Fields.
		{"unknown type", "objects:\n  Account:\n    fields:\n      Id: varchar(18)\n      Size: int\n", []string{`m.yaml:5:13: Account.Size: unknown type "int" (use integer)`}},
		{"unknown type, no hint", "objects:\n  Account:\n    fields:\n      Id: money\n", []string{`m.yaml:4:11: Account.Id: unknown type "money"; supported: text, varchar(n), boolean, smallint, integer, bigint, real, double precision, numeric, numeric(p), numeric(p,s), date, timestamptz, time, bytea, jsonb, uuid`}},
		{"timestamp without zone", "objects:\n  Account:\n    fields:\n      Id: text\n      CreatedDate: {type: timestamp}\n", []string{`m.yaml:5:27: Account.CreatedDate: unknown type "timestamp" (use timestamptz; a timestamp without time zone loses the instant)`}},
		{"bad type parameter", "objects:\n  Account:\n    fields:\n      Id: varchar(0)\n", []string{`m.yaml:4:11: Account.Id: bad type "varchar(0)": length must be 1 to 10485760`}},
		{"missing type", "objects:\n  Account:\n    fields:\n      Id:\n", []string{"m.yaml:4:7: Account.Id: missing type"}},
		{"missing type in mapping", "objects:\n  Account:\n    fields:\n      Id: {column: id}\n", []string{"m.yaml:4:7: Account.Id: missing type"}},
		{"field is a list", "objects:\n  Account:\n    fields:\n      Id: [text]\n", []string{"m.yaml:4:11: Account.Id: a field must be a type, or a mapping with type and optional column, source and sensitive"}},
		{"unknown field key", "objects:\n  Account:\n    fields:\n      Id: {type: text, colum: id}\n", []string{`m.yaml:4:24: Account.Id: unknown key "colum" (did you mean column?)`}},
		{"duplicate field key", "objects:\n  Account:\n    fields:\n      Id: {type: text, type: uuid}\n", []string{`m.yaml:4:24: Account.Id: duplicate key "type" (first at line 4)`}},
		{"bad field name", "objects:\n  Account:\n    fields:\n      Id: text\n      Billing City: text\n", []string{`m.yaml:5:7: Account: bad field name "Billing City": ` + nameRule}},
		{"field name ending in underscore", "objects:\n  Account:\n    fields:\n      Id: text\n      Name_: text\n", []string{`m.yaml:5:7: Account: bad field name "Name_": ` + nameRule}},
		{"duplicate field", "objects:\n  Account:\n    fields:\n      Id: text\n      Name: text\n      name: text\n", []string{"m.yaml:6:7: Account: duplicate field name (first at line 5)"}},
		{"bad sensitive", "objects:\n  Account:\n    fields:\n      Id: {type: text, sensitive: yes}\n", []string{`m.yaml:4:35: Account.Id: sensitive must be true or false, not "yes"`}},
		{"bad column", "objects:\n  Account:\n    fields:\n      Id: {column: Id, type: text}\n", []string{`m.yaml:4:20: Account.Id: bad column name "Id": ` + sqlRule}},
		{"reserved column", "objects:\n  Account:\n    fields:\n      Id: text\n      V: {column: _sfsync_version, type: bigint}\n", []string{`m.yaml:5:19: Account.V: bad column name "_sfsync_version": the prefix _sfsync is reserved for sfsync's own columns`}},
		{"reserved bookkeeping column", "objects:\n  Account:\n    fields:\n      Id: text\n      V: {column: _sf_synced_at, type: timestamptz}\n", []string{`m.yaml:5:19: Account.V: bad column name "_sf_synced_at": the prefix _sf_ is reserved for sfsync's own columns`}},
		{"reserved table", "objects:\n  Account:\n    table: sfsync_consumer_offsets\n    fields:\n      Id: text\n", []string{`m.yaml:3:12: Account: bad table name "sfsync_consumer_offsets": the prefix sfsync_ is reserved for sfsync's own tables`}},
		{"derived column too long", "objects:\n  Account:\n    fields:\n      Id: text\n      " + strings.Repeat("F", 64) + ": text\n", []string{`m.yaml:5:7: Account.` + strings.Repeat("F", 64) + `: bad column name "` + strings.Repeat("f", 64) + `": ` + sqlRule + " (set column)"}},
		{"duplicate column", "objects:\n  Account:\n    fields:\n      Id: text\n      Other: {column: id, type: text}\n", []string{"m.yaml:5:7: Account.Other: column id is already used by field Id at line 4"}},
		{"bad source", "objects:\n  Account:\n    fields:\n      Id: text\n      BillingStreet: {source: BillingAddress..Street, type: text}\n", []string{`m.yaml:5:31: Account.BillingStreet: bad source "BillingAddress..Street": want a field name or Compound.Component, such as BillingAddress.Street`}},
		{"source too deep", "objects:\n  Account:\n    fields:\n      Id: text\n      X: {source: A.B.C, type: text}\n", []string{`m.yaml:5:19: Account.X: bad source "A.B.C": want a field name or Compound.Component, such as BillingAddress.Street`}},
		{"duplicate source", "objects:\n  Account:\n    fields:\n      Id: text\n      City: {source: BillingAddress.City, type: text}\n      Town: {source: billingaddress.city, type: text}\n", []string{"m.yaml:6:7: Account.Town: source billingaddress.city is already read by field City at line 5"}},

		// Platform events.
		{"event on a change event topic", "objects:\n  Account:\n    event: {record_id: R__c, change_type: C__c}\n    fields: {Id: text}\n", []string{`m.yaml:3:5: Account: event is set but topic /data/AccountChangeEvent carries change events; an event block goes with a platform event topic such as /event/Territory_Change__e`}},
		{"event with poll", "objects:\n  Account:\n    sync: poll\n    event: {record_id: R__c, change_type: C__c}\n    fields: {Id: text}\n", []string{`m.yaml:4:5: Account: event is set but sync is poll; a polled object has no Pub/Sub topic`}},
		{"event topic without event", "objects:\n  Account:\n    topic: /event/Acct__e\n    fields: {Id: text}\n", []string{`m.yaml:3:12: Account: topic /event/Acct__e is a platform event: add an event block naming the event fields that carry the record id, the change type and the values`}},
		{"event channel without event", "objects:\n  Account:\n    topic: /event/Sales__chn\n    fields: {Id: text}\n", []string{`m.yaml:3:12: Account: topic /event/Sales__chn is a platform event: add an event block naming the event fields that carry the record id, the change type and the values`}},
		{"empty event", "objects:\n  Account:\n    topic: /event/Acct__e\n    event:\n    fields: {Id: text}\n", []string{`m.yaml:4:5: Account: event is empty; want record_id, change_type and optional object_field, changed_fields and values`}},
		{"event as a list", "objects:\n  Account:\n    topic: /event/Acct__e\n    event: [RecordId__c]\n    fields: {Id: text}\n", []string{`m.yaml:4:12: Account: event must be a mapping with record_id, change_type and optional object_field, changed_fields and values`}},
		{"event without record id and change type", "objects:\n  Account:\n    topic: /event/Acct__e\n    event:\n      values: {Name__c: Name}\n    fields: {Id: text, Name: text}\n", []string{`m.yaml:4:5: Account: event: missing record_id`, `m.yaml:4:5: Account: event: missing change_type`}},
		{"unknown event key", "objects:\n  Account:\n    topic: /event/Acct__e\n    event:\n      record_ids: R__c\n      change_type: C__c\n    fields: {Id: text}\n", []string{`m.yaml:4:5: Account: event: missing record_id`, `m.yaml:5:7: Account: event: unknown key "record_ids" (did you mean record_id?)`}},
		{"bad event field name", "objects:\n  Account:\n    topic: /event/Acct__e\n    event:\n      record_id: Record Id\n      change_type: C__c\n    fields: {Id: text}\n", []string{`m.yaml:5:18: Account: event: bad event field name "Record Id": ` + nameRule}},
		{"event field used twice", "objects:\n  Account:\n    topic: /event/Acct__e\n    event:\n      record_id: R__c\n      change_type: r__c\n      values: {R__c: Name}\n    fields: {Id: text, Name: text}\n", []string{`m.yaml:6:20: Account: event: event field r__c is already the record_id`, `m.yaml:7:16: Account: event: event field R__c is already the record_id`}},
		{"unknown mapped field", "objects:\n  Account:\n    topic: /event/Acct__e\n    event:\n      record_id: R__c\n      change_type: C__c\n      values:\n        Name__c: Nmae\n        Phone__c: Fax\n    fields: {Id: text, Name: text, Phone: text}\n", []string{`m.yaml:8:18: Account: event: values: Nmae is not among the fields of Account (did you mean Name?)`, `m.yaml:9:19: Account: event: values: Fax is not among the fields of Account`}}, //nolint:misspell // a deliberate typo, for "did you mean"
		{"key field in values", "objects:\n  Account:\n    topic: /event/Acct__e\n    event:\n      record_id: R__c\n      change_type: C__c\n      values: {Id__c: id}\n    fields: {Id: text}\n", []string{`m.yaml:7:23: Account: event: values: Id is the key field; its value is the record id, from record_id`}},
		{"field carried twice", "objects:\n  Account:\n    topic: /event/Acct__e\n    event:\n      record_id: R__c\n      change_type: C__c\n      values:\n        Name__c: Name\n        Name2__c: name\n    fields: {Id: text, Name: text}\n", []string{`m.yaml:9:19: Account: event: values: field Name is already carried by Name__c at line 8`}},
		{"empty values", "objects:\n  Account:\n    topic: /event/Acct__e\n    event:\n      record_id: R__c\n      change_type: C__c\n      values:\n    fields: {Id: text}\n", []string{`m.yaml:7:7: Account: event: values is empty; leave it out when the event carries no values`}},
		{"source with a platform event", "objects:\n  Account:\n    topic: /event/Acct__e\n    event: {record_id: R__c, change_type: C__c}\n    fields:\n      Id: text\n      BillingCity: {source: BillingAddress.City, type: text}\n", []string{`m.yaml:7:7: Account.BillingCity: source is a change event path; an object fed by a platform event takes its values from event.values`}},
		{"shared event topic without object_field", "objects:\n  Territory2:\n    topic: /event/Territory_Change__e\n    event: {record_id: R__c, change_type: C__c}\n    fields: {Id: text}\n  UserTerritory2Association:\n    topic: /event/Territory_Change__e\n    event: {object_field: O__c, record_id: R__c, change_type: C__c}\n    fields: {Id: text}\n", []string{`m.yaml:4:5: Territory2: event: missing object_field: topic /event/Territory_Change__e also feeds UserTerritory2Association, so the event must name its object`}},
		{"shared event topic with two object fields", "objects:\n  Territory2:\n    topic: /event/Territory_Change__e\n    event: {object_field: O__c, record_id: R__c, change_type: C__c}\n    fields: {Id: text}\n  UserTerritory2Association:\n    topic: /event/Territory_Change__e\n    event: {object_field: Object__c, record_id: R__c, change_type: C__c}\n    fields: {Id: text}\n", []string{`m.yaml:8:5: UserTerritory2Association: event: object_field Object__c differs from O__c of Territory2 at line 2; objects sharing topic /event/Territory_Change__e name their object in the same field`}},

		// Every problem is reported, in file order.
		{"many problems at once", `version: 3
objects:
  Account:
    tabel: x
    topic: /data/ContactChangeEvent
    partition_key: Territory__c
    fields:
      Name: int
      Size: numeric(5,7)
  Contact:
    table: account
    fields:
      Id: text
`, []string{
			"m.yaml:1:10: unsupported version 3; this sfsync reads version 1",
			"m.yaml:3:3: Account: key field Id is not among its fields",
			`m.yaml:4:5: Account: unknown key "tabel" (did you mean table?)`,
			"m.yaml:5:12: Account: topic /data/ContactChangeEvent carries Contact change events, not Account",
			"m.yaml:6:20: Account: partition key Territory__c is not among its fields",
			`m.yaml:8:13: Account.Name: unknown type "int" (use integer)`,
			`m.yaml:9:13: Account.Size: bad type "numeric(5,7)": scale must be 0 to the precision 5`,
			"m.yaml:10:3: Contact: table account is already used by object Account at line 3",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			m, err := Parse("m.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", m)
			}
			if m != nil {
				t.Error("Parse returned a mapping with its error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("error is %T, want *ValidationError", err)
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("error:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	if _, err := Load("testdata/does-not-exist.yaml"); !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "load mapping: ") {
		t.Errorf("Load of a missing file: %v", err)
	}
	_, err := Load("testdata/broken.yaml")
	if want := "testdata/broken.yaml:6:11: Account.Id: unknown type \"string\" (use text)"; err == nil || err.Error() != want {
		t.Errorf("Load error = %v, want %s", err, want)
	}
}
