package mapping

import (
	"fmt"
	"strings"
)

// Mapping is a loaded and validated mapping file: which Salesforce objects
// sfsync keeps in PostgreSQL, and how. A Mapping is not changed after
// [Parse] returns it, so it is safe for concurrent reads.
type Mapping struct {
	// File is the name the mapping was parsed under, as used in messages.
	File string
	// Version is the format version of the file; always 1.
	Version int
	// Objects lists the objects in file order.
	Objects []*Object
}

// Object returns the object with the Salesforce API name name, compared
// case-insensitively as Salesforce does, or nil.
func (m *Mapping) Object(name string) *Object {
	for _, o := range m.Objects {
		if strings.EqualFold(o.Name, name) {
			return o
		}
	}
	return nil
}

// Topics returns the distinct Pub/Sub topics of the streamed objects, in
// file order: what the producer subscribes to.
func (m *Mapping) Topics() []string {
	var topics []string
	seen := map[string]bool{}
	for _, o := range m.Objects {
		if o.Sync == SyncStream && !seen[o.Topic] {
			seen[o.Topic] = true
			topics = append(topics, o.Topic)
		}
	}
	return topics
}

// TopicObjects returns the streamed objects whose Pub/Sub topic is topic,
// in file order.
func (m *Mapping) TopicObjects(topic string) []*Object {
	var objs []*Object
	for _, o := range m.Objects {
		if o.Sync == SyncStream && o.Topic == topic {
			objs = append(objs, o)
		}
	}
	return objs
}

// Sync says how sfsync learns about changes to an object.
type Sync uint8

// The ways to synchronise an object.
const (
	// SyncStream subscribes to the object's Pub/Sub topic; the reconciler
	// still checks it for drift. The default.
	SyncStream Sync = iota + 1
	// SyncPoll leaves the object to the reconciler, which polls it through
	// the REST and Bulk APIs; for objects without change events.
	SyncPoll
)

// String returns "stream" or "poll".
func (s Sync) String() string {
	switch s {
	case SyncStream:
		return "stream"
	case SyncPoll:
		return "poll"
	}
	return fmt.Sprintf("Sync(%d)", uint8(s))
}

// Object is one Salesforce object and its PostgreSQL table.
type Object struct {
	// Name is the Salesforce API name, such as Account.
	Name string
	// Table is the PostgreSQL table. Default: Name in lower case.
	Table string
	// Key is the name of the field that identifies a record. Default: Id.
	Key string
	// PartitionKey is the name of the field whose value keys the object's
	// Kafka records, so that related records share a partition. Default:
	// Key, so records are keyed by their id.
	PartitionKey string
	// Sync says whether the object is streamed or polled. Default: stream.
	Sync Sync
	// Topic is the Pub/Sub topic that carries the object's changes; empty
	// when Sync is SyncPoll. Default for streamed objects:
	// /data/<Name>ChangeEvent, or /data/<Base>__ChangeEvent for a custom
	// object <Base>__c.
	Topic string
	// Event says how the platform event of Topic describes the object's
	// changes; set exactly when Topic is a platform event topic
	// (/event/...), nil for change event topics and polled objects.
	Event *Event
	// KafkaTopic is the Kafka topic of the object's envelopes. Several
	// objects may share one. Default: sfsync.<Name in lower case>.
	KafkaTopic string
	// Fields lists the mapped fields in file order, which is the column
	// order of the table.
	Fields []*Field
	// Pos is where the object is declared.
	Pos Position
}

// Field returns the field with the API name name, compared
// case-insensitively, or nil.
func (o *Object) Field(name string) *Field {
	for _, f := range o.Fields {
		if strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}

// FieldBySource returns the field fed by the change-event path path (such
// as BillingAddress.Street), compared case-insensitively, or nil.
func (o *Object) FieldBySource(path string) *Field {
	for _, f := range o.Fields {
		if strings.EqualFold(f.Source, path) {
			return f
		}
	}
	return nil
}

// KeyField returns the field named by Key; never nil in a parsed mapping.
func (o *Object) KeyField() *Field { return o.Field(o.Key) }

// PartitionField returns the field named by PartitionKey; never nil in a
// parsed mapping.
func (o *Object) PartitionField() *Field { return o.Field(o.PartitionKey) }

// Field maps one Salesforce field to one column.
type Field struct {
	// Name is the flat API name of the field, as the REST and Bulk APIs
	// return it and as envelopes carry it, such as BillingStreet.
	Name string
	// Source is the path of the value in change events: Name for plain
	// fields, Compound.Component for parts of compound fields, such as
	// BillingAddress.Street. Default: Name.
	Source string
	// Column is the PostgreSQL column. Default: Name in lower case.
	Column string
	// Type is the PostgreSQL type of the column. Required.
	Type Type
	// Sensitive marks a field whose values must not be shown: drift
	// reports name the field but hide its values. Default: false.
	Sensitive bool
	// Pos is where the field is declared.
	Pos Position
}

// Event says which fields of a custom platform event describe a change to
// an object, for objects fed by a platform event (topic /event/<Name>__e)
// instead of Change Data Capture. Field names here are the event's API
// names, such as RecordId__c. Platform events have no commit number: the
// producer orders them by the event's CreatedDate (see the module's
// README.md), so a record must not be fed by both change events and a
// platform event.
type Event struct {
	// ObjectField is the event field holding the API name of the object a
	// change is about; an event is this object's when the field equals the
	// object's name, ignoring case. Empty when the topic feeds only this
	// object; required on every object when several share the topic,
	// which then all name the same field.
	ObjectField string
	// RecordID is the event field holding the ids of the changed records,
	// comma-separated. Required.
	RecordID string
	// ChangeType is the event field holding the change: CREATE, UPDATE,
	// DELETE or UNDELETE, ignoring case. Required.
	ChangeType string
	// ChangedFields is the event field listing the fields an UPDATE
	// changed, comma-separated; empty when the event has none, and then
	// every UPDATE is taken to possibly change every mapped field.
	ChangedFields string
	// Values maps event fields to the names of the mapped fields whose
	// values they carry, as Object.Fields names them. The key field is
	// never among them: its value is the record id. May be empty.
	Values map[string]string
	// Pos is where the event block is declared.
	Pos Position
}

// Carrier returns the event field that carries the mapped field named
// field, compared case-insensitively, or "" when the event does not carry
// it.
func (e *Event) Carrier(field string) string {
	for ev, f := range e.Values {
		if strings.EqualFold(f, field) {
			return ev
		}
	}
	return ""
}
