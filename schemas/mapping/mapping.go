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
	// Pos is where the field is declared.
	Pos Position
}
