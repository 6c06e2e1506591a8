package mapping

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to Parse. It must never panic; a failure
// must be a ValidationError whose every line names the file; a success
// must satisfy the guarantees later code relies on.
func FuzzParse(f *testing.F) {
	for _, name := range []string{territoryFile, territoryEventsFile, "testdata/broken.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		valid,
		eventMapping,
		"",
		"objects:\n  Account:\n    fields: &f {Id: text}\n  Contact:\n    fields: *f\n",
		"objects: {Employee__c: {sync: poll, key: Name, fields: {Name: 'varchar(80)', Id: uuid}}}\n",
		"objects:\n  Account:\n    topic: /data/ChangeEvents\n    fields:\n      Id: text\n      Name: {source: Name, column: name, type: text}\n---\n",
		"version: 1\nobjects:\n  A:\n    fields:\n      Id: numeric(18, 2)\n      B: {type: varchar(1)}\n  a:\n    table: a\n",
		"objects:\n\tAccount: {}\n",
		"- [a, {b: c}]\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("f.yaml", data)
		if err != nil {
			var verr *ValidationError
			if !errors.As(err, &verr) || !errors.Is(err, ErrInvalid) || len(verr.Problems) == 0 {
				t.Fatalf("Parse error %T %v is not a ValidationError with problems", err, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "f.yaml") {
					t.Fatalf("problem line %q does not name the file", line)
				}
			}
			if m != nil {
				t.Fatal("Parse returned a mapping with an error")
			}
			return
		}
		if len(m.Objects) == 0 {
			t.Fatal("a valid mapping has no objects")
		}
		tables := map[string]bool{}
		for _, o := range m.Objects {
			if o.KeyField() == nil || o.PartitionField() == nil {
				t.Fatalf("%s: key %q or partition key %q is not a field", o.Name, o.Key, o.PartitionKey)
			}
			if tables[o.Table] || checkTable(o.Table) != nil || checkKafkaTopic(o.KafkaTopic) != nil || checkAPIName("", o.Name) != nil {
				t.Fatalf("%s: bad or repeated table %q or topic %q", o.Name, o.Table, o.KafkaTopic)
			}
			tables[o.Table] = true
			if (o.Sync == SyncPoll) != (o.Topic == "") {
				t.Fatalf("%s: sync %v with topic %q", o.Name, o.Sync, o.Topic)
			}
			if o.Topic != "" && checkTopic(o.Topic, o.Name) != nil {
				t.Fatalf("%s: bad topic %q", o.Name, o.Topic)
			}
			isEvent := strings.HasPrefix(o.Topic, "/event/")
			if isEvent != (o.Event != nil) {
				t.Fatalf("%s: topic %q with event %+v", o.Name, o.Topic, o.Event)
			}
			if e := o.Event; e != nil {
				if e.RecordID == "" || e.ChangeType == "" {
					t.Fatalf("%s: event without record id or change type field: %+v", o.Name, e)
				}
				if e.ObjectField == "" && len(m.TopicObjects(o.Topic)) > 1 {
					t.Fatalf("%s: shares topic %s without object_field", o.Name, o.Topic)
				}
				carried := map[string]bool{}
				for ev, name := range e.Values {
					if f := o.Field(name); f == nil || f.Name != name || name == o.Key || carried[name] || checkAPIName("", ev) != nil {
						t.Fatalf("%s: event field %q carries bad, key or repeated field %q", o.Name, ev, name)
					}
					carried[name] = true
				}
			}
			columns := map[string]bool{}
			for _, fl := range o.Fields {
				if columns[fl.Column] || checkColumn(fl.Column) != nil || checkSource(fl.Source) != nil || fl.Type.Kind == 0 {
					t.Fatalf("%s.%s: bad or repeated column %q, source %q or type %v", o.Name, fl.Name, fl.Column, fl.Source, fl.Type)
				}
				columns[fl.Column] = true
				if _, err := ParseType(fl.Type.String()); err != nil {
					t.Fatalf("%s.%s: type %v does not parse back: %v", o.Name, fl.Name, fl.Type, err)
				}
			}
		}
	})
}
