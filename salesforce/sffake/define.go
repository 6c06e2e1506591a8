package sffake

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Errors of the Go API; test for them with [errors.Is].
var (
	// ErrUnknownObject reports an sObject or platform event that is not
	// defined.
	ErrUnknownObject = errors.New("unknown object")
	// ErrUnknownField reports a field the object or event does not have.
	ErrUnknownField = errors.New("unknown field")
	// ErrReadOnly reports a write to a field the emulator maintains, such
	// as Id, CreatedDate or LastModifiedDate.
	ErrReadOnly = errors.New("read-only field")
	// ErrInvalidValue reports a value of the wrong Go type for its field.
	ErrInvalidValue = errors.New("invalid value")
	// ErrInvalidDefinition reports an object or event definition that
	// cannot be used.
	ErrInvalidDefinition = errors.New("invalid definition")
	// ErrNotFound reports a record id that the org does not have.
	ErrNotFound = errors.New("record not found")
	// ErrDeleted reports an update or delete of a deleted record
	// (Salesforce's ENTITY_IS_DELETED).
	ErrDeleted = errors.New("record is deleted")
	// ErrNotDeleted reports an undelete of a record that is not deleted.
	ErrNotDeleted = errors.New("record is not deleted")
	// ErrNoChangeEvents reports a gap or overflow event requested for an
	// object without change events.
	ErrNoChangeEvents = errors.New("change events not enabled")
)

// objectDef is a defined sObject with its current change event schema.
type objectDef struct {
	obj    Object
	schema *schema
	// flat maps the names a record can hold to their place in the schema.
	flat map[string]flatField
}

// flatField places a record field in the change event schema.
type flatField struct {
	typ FieldType
	// index is the top-level field index in the schema (0 is the header).
	index int
	// top is the top-level field name and comp the component name of a
	// compound field's component, "" otherwise.
	top, comp string
	// external marks an External ID field.
	external bool
}

// bitmapName is the name of the field in bitmaps: "Fax" or
// "BillingAddress.City".
func (f flatField) bitmapName() string {
	if f.comp != "" {
		return f.top + "." + f.comp
	}
	return f.top
}

// compileObject validates o, completes its audit fields and builds its
// change event schema.
func compileObject(o Object) (*objectDef, error) {
	if !ValidAPIName(o.Name) {
		return nil, fmt.Errorf("object %q: %w: bad name", o.Name, ErrInvalidDefinition)
	}
	if len(o.KeyPrefix) != 3 || !ValidAPIName("x"+o.KeyPrefix) {
		return nil, fmt.Errorf("object %s: %w: key prefix %q is not 3 letters or digits", o.Name, ErrInvalidDefinition, o.KeyPrefix)
	}
	o.Fields = slices.Clone(o.Fields)
	for _, af := range auditFields {
		if !slices.ContainsFunc(o.Fields, func(f Field) bool { return f.Name == af.Name }) {
			o.Fields = append(o.Fields, af)
		}
	}
	d := &objectDef{obj: o, flat: make(map[string]flatField)}
	add := func(name string, ff flatField) error {
		if _, dup := d.flat[name]; dup || name == fieldID || name == fieldIsDeleted || name == fieldSystemModstamp {
			return fmt.Errorf("object %s: %w: field %s defined twice", o.Name, ErrInvalidDefinition, name)
		}
		d.flat[name] = ff
		return nil
	}
	for i, f := range o.Fields {
		if !ValidAPIName(f.Name) {
			return nil, fmt.Errorf("object %s: %w: bad field name %q", o.Name, ErrInvalidDefinition, f.Name)
		}
		if _, ok := fieldTypeNames[f.Type]; !ok {
			return nil, fmt.Errorf("object %s field %s: %w: unknown type %d", o.Name, f.Name, ErrInvalidDefinition, f.Type)
		}
		if f.ExternalID && f.Type != TypeString && f.Type != TypeInt && f.Type != TypeDouble {
			return nil, fmt.Errorf("object %s field %s: %w: an external id must be Text, Int or Double, not %v", o.Name, f.Name, ErrInvalidDefinition, f.Type)
		}
		if f.Type != TypeAddress {
			if err := add(f.Name, flatField{typ: f.Type, index: i + 1, top: f.Name, external: f.ExternalID}); err != nil {
				return nil, err
			}
			continue
		}
		if !strings.HasSuffix(f.Name, "Address") {
			return nil, fmt.Errorf("object %s field %s: %w: address field names end in Address", o.Name, f.Name, ErrInvalidDefinition)
		}
		for _, c := range addressComponents {
			flat := addressFlatName(f.Name, c.name)
			if flat == "" {
				continue
			}
			typ := TypeString
			if c.double {
				typ = TypeDouble
			}
			if err := add(flat, flatField{typ: typ, index: i + 1, top: f.Name, comp: c.name}); err != nil {
				return nil, err
			}
		}
	}
	sch, err := changeEventSchema(o)
	if err != nil {
		return nil, err
	}
	d.schema = sch
	return d, nil
}

// eventDef is a defined platform event with its current schema.
type eventDef struct {
	def    EventDefinition
	schema *schema
	types  map[string]FieldType
}

func compileEvent(e EventDefinition) (*eventDef, error) {
	if !strings.HasSuffix(e.Name, "__e") || !ValidAPIName(e.Name) {
		return nil, fmt.Errorf("event %q: %w: name must end in __e", e.Name, ErrInvalidDefinition)
	}
	d := &eventDef{def: EventDefinition{Name: e.Name, Fields: slices.Clone(e.Fields)}, types: make(map[string]FieldType)}
	for _, f := range e.Fields {
		switch {
		case !ValidAPIName(f.Name):
			return nil, fmt.Errorf("event %s: %w: bad field name %q", e.Name, ErrInvalidDefinition, f.Name)
		case f.Type == TypeAddress || f.Type == TypeSwitchableName || fieldTypeNames[f.Type] == "":
			return nil, fmt.Errorf("event %s field %s: %w: type %v not allowed", e.Name, f.Name, ErrInvalidDefinition, f.Type)
		case f.Name == fieldCreatedDate || f.Name == fieldCreatedByID || d.types[f.Name] != 0:
			return nil, fmt.Errorf("event %s: %w: field %s defined twice", e.Name, ErrInvalidDefinition, f.Name)
		}
		d.types[f.Name] = f.Type
	}
	sch, err := platformEventSchema(d.def)
	if err != nil {
		return nil, err
	}
	d.schema = sch
	return d, nil
}

// DefineObject defines the sObject o, or redefines an object of the same
// name (its records are kept and must fit the new definition). Missing
// audit fields are appended (see [Object]). When change events are
// enabled, its change event topic exists from now on.
func (s *Server) DefineObject(o Object) error {
	d, err := compileObject(o)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, other := range s.objects {
		if other.obj.KeyPrefix == o.KeyPrefix && other.obj.Name != o.Name {
			return fmt.Errorf("object %s: %w: key prefix %s is %s's", o.Name, ErrInvalidDefinition, o.KeyPrefix, other.obj.Name)
		}
	}
	if old, ok := s.objects[o.Name]; ok {
		*old = *d // records point at the definition
		d = old
	} else {
		s.objects[o.Name] = d
	}
	s.schemas[d.schema.id] = d.schema
	if o.ChangeEvents {
		topic := o.ChangeEventTopic()
		s.topics[topic] = topicInfo{current: func() string {
			s.mu.Lock()
			defer s.mu.Unlock()
			return d.schema.id
		}}
		s.bus.AddTopic(topic)
	}
	return nil
}

// DefineEvent defines the custom platform event e, or redefines one of
// the same name; its topic /event/<Name> exists from now on.
func (s *Server) DefineEvent(e EventDefinition) error {
	d, err := compileEvent(e)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.events[e.Name]; ok {
		*old = *d
		d = old
	} else {
		s.events[e.Name] = d
	}
	s.schemas[d.schema.id] = d.schema
	s.topics[e.Topic()] = topicInfo{publish: true, current: func() string {
		s.mu.Lock()
		defer s.mu.Unlock()
		return d.schema.id
	}}
	s.bus.AddTopic(e.Topic())
	return nil
}

// AddField appends f to the sObject or platform event called name, as an
// admin adding a field would: the schema changes, so events from now on
// carry a new schema id, while the old schema stays resolvable through
// GetSchema for the events that use it. It returns the new schema id.
func (s *Server) AddField(name string, f Field) (string, error) {
	s.mu.Lock()
	od, isObj := s.objects[name]
	ed, isEvent := s.events[name]
	var (
		o Object
		e EventDefinition
	)
	if isObj {
		o = od.obj
	}
	if isEvent {
		e = ed.def
	}
	s.mu.Unlock()
	switch {
	case isObj:
		o.Fields = append(slices.Clone(o.Fields), f)
		if err := s.DefineObject(o); err != nil {
			return "", err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return od.schema.id, nil
	case isEvent:
		e.Fields = append(slices.Clone(e.Fields), f)
		if err := s.DefineEvent(e); err != nil {
			return "", err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return ed.schema.id, nil
	}
	return "", fmt.Errorf("add field to %s: %w", name, ErrUnknownObject)
}

// Object returns the definition of the sObject called name, with its audit
// fields completed.
func (s *Server) Object(name string) (Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.objects[name]
	if !ok {
		return Object{}, false
	}
	o := d.obj
	o.Fields = slices.Clone(o.Fields)
	return o, true
}

// Objects returns the names of the defined sObjects, sorted.
func (s *Server) Objects() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.objects))
	for n := range s.objects {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// SchemaID returns the current schema id of a topic's events, such as
// "/data/AccountChangeEvent" or "/event/Territory_Change__e"; false for an
// unknown topic and for /data/ChangeEvents, whose events carry several.
func (s *Server) SchemaID(topic string) (string, bool) {
	s.mu.Lock()
	ti, ok := s.topics[topic]
	s.mu.Unlock()
	if !ok {
		return "", false
	}
	id := ti.current()
	return id, id != ""
}

// Schema returns the Avro schema JSON of a schema id, as GetSchema does.
func (s *Server) Schema(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sch, ok := s.schemas[id]
	if !ok {
		return "", false
	}
	return sch.json, true
}
