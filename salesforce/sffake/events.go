package sffake

import (
	"fmt"
	"strings"
	"time"

	"github.com/sfsync/sfsync/salesforce/sffake/internal/bus"
)

// Trigger is an automation rule: after every committed CREATE, UPDATE,
// DELETE or UNDELETE of Object, it publishes the platform event Event with
// the field values Map returns for the change, as an Apex trigger
// publishing an event after commit would. Map returning nil publishes
// nothing. CreatedDate defaults to the commit time and CreatedById to the
// committing user. Map runs outside the emulator's locks, so it may read
// the org (e.g. [Server.Record]) but should not block.
type Trigger struct {
	// Object is the sObject whose changes fire the trigger.
	Object string
	// Event is the name of the platform event published, e.g.
	// "Territory_Change__e".
	Event string
	// Map maps a change to the event's field values.
	Map func(Change) map[string]any
}

// AddTrigger installs t. The object and the event must be defined.
func (s *Server) AddTrigger(t Trigger) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objects[t.Object]; !ok {
		return fmt.Errorf("trigger on %s: %w", t.Object, ErrUnknownObject)
	}
	if _, ok := s.events[t.Event]; !ok {
		return fmt.Errorf("trigger publishing %s: %w", t.Event, ErrUnknownObject)
	}
	if t.Map == nil {
		return fmt.Errorf("trigger on %s: %w: no Map function", t.Object, ErrInvalidDefinition)
	}
	s.triggers = append(s.triggers, t)
	return nil
}

// fire runs the triggers of a committed transaction.
func (s *Server) fire(firings []firing) {
	for _, f := range firings {
		vals := f.trigger.Map(f.change)
		if vals == nil {
			continue
		}
		if _, ok := vals[fieldCreatedDate]; !ok {
			vals[fieldCreatedDate] = f.change.CommitTimestamp
		}
		if _, ok := vals[fieldCreatedByID]; !ok {
			vals[fieldCreatedByID] = f.change.CommitUser
		}
		if _, err := s.PublishEvent(f.trigger.Event, vals); err != nil {
			s.log.Error("trigger failed", "object", f.trigger.Object, "event", f.trigger.Event, "err", err)
		}
	}
}

// Published identifies a published platform event.
type Published struct {
	// ID is the event id (EventUuid).
	ID string
	// ReplayID is the event's replay id.
	ReplayID []byte
}

// PublishEvent publishes the platform event name with the given field
// values, encoded with the event's current schema. CreatedDate (a
// time.Time or int64 epoch milliseconds) defaults to now and CreatedById
// to [Server.UserID]; missing custom fields are null.
func (s *Server) PublishEvent(name string, fields map[string]any) (Published, error) {
	s.mu.Lock()
	d, ok := s.events[name]
	var sch *schema
	var types map[string]FieldType
	if ok {
		sch, types = d.schema, d.types
	}
	s.mu.Unlock()
	if !ok {
		return Published{}, fmt.Errorf("publish %s: %w", name, ErrUnknownObject)
	}
	native := map[string]any{
		fieldCreatedDate: s.clock.Now().UnixMilli(),
		fieldCreatedByID: s.cfg.userID,
	}
	for k, v := range fields {
		switch k {
		case fieldCreatedDate:
			switch x := v.(type) {
			case time.Time:
				native[k] = x.UnixMilli()
			case int64:
				native[k] = x
			default:
				return Published{}, fmt.Errorf("publish %s: CreatedDate: %w: %T", name, ErrInvalidValue, v)
			}
			continue
		case fieldCreatedByID:
			id, ok := v.(string)
			if !ok {
				return Published{}, fmt.Errorf("publish %s: CreatedById: %w: %T", name, ErrInvalidValue, v)
			}
			native[k] = id
			continue
		}
		t, ok := types[k]
		if !ok {
			return Published{}, fmt.Errorf("publish %s.%s: %w", name, k, ErrUnknownField)
		}
		nv, err := normalize(t, v)
		if err != nil {
			return Published{}, fmt.Errorf("publish %s.%s: %w", name, k, err)
		}
		if nv != nil {
			native[k] = avroUnion(t, nv)
		}
	}
	payload, err := sch.codec.BinaryFromNative(nil, native)
	if err != nil {
		return Published{}, fmt.Errorf("publish %s: encode: %w", name, err)
	}
	evs, err := s.appendEvents("/event/"+name, bus.Event{ID: s.rand.uuid(), SchemaID: sch.id, Payload: payload})
	if err != nil {
		return Published{}, err
	}
	return Published{ID: evs[0].ID, ReplayID: bus.EncodeReplayID(evs[0].ReplayID)}, nil
}

// appendEvents stores platform events and counts them.
func (s *Server) appendEvents(topic string, evs ...bus.Event) ([]bus.Event, error) {
	out, err := s.bus.Append(topic, evs...)
	if err != nil {
		return nil, fmt.Errorf("publish to %s: %w", topic, err)
	}
	s.stats.published.Add(int64(len(out)))
	return out, nil
}

// TerritoryChangeEvent returns the definition of Territory_Change__e, the
// platform event that [WithTerritoryChangeEvent] publishes on every change
// of a territory object. Its fields: ObjectName__c (the sObject),
// RecordId__c (the record ids, comma-separated), ChangeType__c (CREATE,
// UPDATE, DELETE, UNDELETE), Territory2Id__c (the territory concerned:
// the record itself for Territory2, its Territory2Id for the
// associations), UserId__c and ObjectId__c (the associations' user and
// account), Territory2ModelId__c, and ChangedFields__c (the changed
// fields of an update, comma-separated).
func TerritoryChangeEvent() EventDefinition {
	s := func(n string) Field { return Field{Name: n, Type: TypeString} }
	r := func(n string) Field { return Field{Name: n, Type: TypeReference} }
	return EventDefinition{
		Name: "Territory_Change__e",
		Fields: []Field{
			s("ObjectName__c"), s("RecordId__c"), s("ChangeType__c"),
			r("Territory2Id__c"), r("UserId__c"), r("ObjectId__c"), r("Territory2ModelId__c"),
			s("ChangedFields__c"),
		},
	}
}

// territoryChange maps a territory object change to Territory_Change__e.
func territoryChange(c Change) map[string]any {
	vals := map[string]any{
		"ObjectName__c": c.Object,
		"RecordId__c":   strings.Join(c.RecordIDs, ","),
		"ChangeType__c": c.Type,
	}
	if len(c.ChangedFields) > 0 {
		vals["ChangedFields__c"] = strings.Join(c.ChangedFields, ",")
	}
	pick := func(field, from string) {
		if v, ok := c.Fields[from].(string); ok {
			vals[field] = v
		}
	}
	switch c.Object {
	case "Territory2":
		vals["Territory2Id__c"] = c.RecordIDs[0]
		pick("Territory2ModelId__c", "Territory2ModelId")
	case "Territory2Model":
		vals["Territory2ModelId__c"] = c.RecordIDs[0]
	default:
		pick("Territory2Id__c", "Territory2Id")
	}
	pick("UserId__c", "UserId")
	pick("ObjectId__c", "ObjectId")
	return vals
}

// installTerritoryChangeEvent defines Territory_Change__e and its triggers.
func (s *Server) installTerritoryChangeEvent() error {
	ev := TerritoryChangeEvent()
	if err := s.DefineEvent(ev); err != nil {
		return err
	}
	for _, o := range TerritoryObjects(false) {
		if err := s.AddTrigger(Trigger{Object: o.Name, Event: ev.Name, Map: territoryChange}); err != nil {
			return err
		}
	}
	return nil
}

// Purge removes every retained event of every topic, as if the retention
// window had passed: replay ids of the purged events become expired and
// subscribing after them fails with replayid.corrupted.
func (s *Server) Purge() { s.bus.Purge() }

// ExpireBefore removes the events stored before t, as the retention
// window would.
func (s *Server) ExpireBefore(t time.Time) { s.bus.ExpireBefore(t) }
