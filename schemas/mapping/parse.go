package mapping

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// FormatVersion is the version of the mapping file format this package
// reads.
const FormatVersion = 1

// The keys each level of a mapping file accepts.
var (
	topKeys    = []string{"version", "objects"}
	objectKeys = []string{"table", "key", "partition_key", "sync", "topic", "event", "kafka_topic", "fields"}
	fieldKeys  = []string{"type", "column", "source", "sensitive"}
	eventKeys  = []string{"object_field", "record_id", "change_type", "changed_fields", "values"}
)

// Load reads and parses the mapping file at path; see [Parse].
func Load(path string) (*Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load mapping: %w", err)
	}
	return Parse(path, data)
}

// Parse parses and validates a mapping file; name is used in messages. It
// reports every problem it finds, not only the first, as a
// [*ValidationError] whose lines read file:line:column: message.
func Parse(name string, data []byte) (*Mapping, error) {
	p := &parser{file: name}
	m := p.parse(data)
	if len(p.problems) > 0 {
		slices.SortStableFunc(p.problems, func(a, b Problem) int {
			if a.Pos.Line != b.Pos.Line {
				return a.Pos.Line - b.Pos.Line
			}
			return a.Pos.Column - b.Pos.Column
		})
		return nil, &ValidationError{Problems: p.problems}
	}
	return m, nil
}

type parser struct {
	file     string
	problems []Problem
}

func (p *parser) pos(n *node) Position {
	return Position{File: p.file, Line: n.line, Column: n.column}
}

func (p *parser) problemf(n *node, format string, args ...any) {
	pos := Position{File: p.file}
	if n != nil {
		pos = p.pos(n)
	}
	p.problemAt(pos, format, args...)
}

func (p *parser) problemAt(pos Position, format string, args ...any) {
	p.problems = append(p.problems, Problem{Pos: pos, Message: fmt.Sprintf(format, args...)})
}

func (p *parser) parse(data []byte) *Mapping {
	docs, syntax := parseYAML(p.file, data)
	switch {
	case syntax != nil:
		p.problems = append(p.problems, *syntax)
		return nil
	case len(docs) > 1:
		p.problemf(docs[1], "more than one YAML document; a mapping file holds one")
		return nil
	case len(docs) == 0 || docs[0] == nil:
		p.problemf(nil, "empty mapping file")
		return nil
	}
	return p.mapping(docs[0])
}

// pairs returns the entries of a mapping node whose keys are in allowed,
// reporting unknown and repeated keys. where names the mapping in
// messages ("" for the top level).
func (p *parser) pairs(n *node, where string, allowed []string) map[string]entry {
	out := map[string]entry{}
	for _, e := range n.entries {
		key, value := e.key, e.value
		if !p.plainKey(key) {
			continue
		}
		if !slices.Contains(allowed, key.text) {
			msg := fmt.Sprintf("unknown top-level key %q", key.text)
			if where != "" {
				msg = fmt.Sprintf("%s: unknown key %q", where, key.text)
			}
			if s := suggest(key.text, allowed); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			} else {
				msg += " (want " + strings.Join(allowed, ", ") + ")"
			}
			p.problemf(key, "%s", msg)
			continue
		}
		if first, ok := out[key.text]; ok {
			p.problemf(key, "%s", prefix(where, fmt.Sprintf("duplicate key %q (first at line %d)", key.text, first.key.line)))
			continue
		}
		out[key.text] = entry{key: key, value: value}
	}
	return out
}

// plainKey reports whether a mapping key is a plain scalar, reporting the
// problem when it is not.
func (p *parser) plainKey(key *node) bool {
	switch key.kind {
	case nodeScalar:
		return true
	case nodeAlias, nodeMergeKey:
		p.problemf(key, "aliases and merge keys are not supported")
	default:
		p.problemf(key, "keys must be plain names")
	}
	return false
}

// prefix puts the context of a message, such as Account or Account.Name,
// before it.
func prefix(where, msg string) string {
	if where == "" {
		return msg
	}
	return where + ": " + msg
}

// scalar returns the text of a single-value node, reporting aliases,
// lists, mappings and empty values at at, the key. A nil node (an absent
// key) returns false silently.
func (p *parser) scalar(e entry, where, what string) (string, bool) {
	switch e.value.kind {
	case nodeScalar:
		if e.value.text != "" {
			return e.value.text, true
		}
		p.problemf(e.key, "%s", prefix(where, what+" is empty"))
	case nodeNull:
		p.problemf(e.key, "%s", prefix(where, what+" is empty"))
	case nodeAlias:
		p.problemf(e.value, "aliases and merge keys are not supported")
	default:
		p.problemf(e.value, "%s", prefix(where, what+" must be a single value"))
	}
	return "", false
}

func (p *parser) mapping(root *node) *Mapping {
	switch root.kind {
	case nodeMapping:
	case nodeAlias:
		p.problemf(root, "aliases and merge keys are not supported")
		return nil
	default:
		p.problemf(root, "the top level must be a mapping with the keys version and objects")
		return nil
	}
	m := &Mapping{File: p.file, Version: FormatVersion}
	top := p.pairs(root, "", topKeys)
	if v, ok := top["version"]; ok {
		if text, ok := p.scalar(v, "", "version"); ok {
			n, err := strconv.Atoi(text)
			switch {
			case err != nil:
				p.problemf(v.value, "version must be an integer, not %q", text)
			case n != FormatVersion:
				p.problemf(v.value, "unsupported version %d; this sfsync reads version %d", n, FormatVersion)
			}
		}
	}
	objects, ok := top["objects"]
	if !ok {
		p.problemf(root, "missing objects")
		return nil
	}
	n := objects.value
	switch {
	case n.kind == nodeAlias:
		p.problemf(n, "aliases and merge keys are not supported")
		return nil
	case n.kind == nodeNull || (n.kind == nodeMapping && len(n.entries) == 0):
		p.problemf(objects.key, "objects is empty")
		return nil
	case n.kind != nodeMapping:
		p.problemf(n, "objects must be a mapping from Salesforce object names to objects")
		return nil
	}
	byName := map[string]*Object{}
	byTable := map[string]*Object{}
	for _, e := range n.entries {
		if !p.plainKey(e.key) {
			continue
		}
		o := p.object(e.key, e.value)
		if o == nil {
			continue
		}
		if first, ok := byName[strings.ToLower(o.Name)]; ok {
			p.problemf(e.key, "duplicate object %s (first at line %d)", o.Name, first.Pos.Line)
			continue
		}
		byName[strings.ToLower(o.Name)] = o
		if first, ok := byTable[o.Table]; ok {
			p.problemf(e.key, "%s: table %s is already used by object %s at line %d", o.Name, o.Table, first.Name, first.Pos.Line)
		} else {
			byTable[o.Table] = o
		}
		m.Objects = append(m.Objects, o)
	}
	p.sharedEventTopics(m.Objects)
	return m
}

// sharedEventTopics checks the objects that share a platform event topic:
// each must say, through the same object_field, which events are its own.
func (p *parser) sharedEventTopics(objects []*Object) {
	byTopic := map[string][]*Object{}
	var topics []string
	for _, o := range objects {
		if o.Event == nil {
			continue
		}
		if _, ok := byTopic[o.Topic]; !ok {
			topics = append(topics, o.Topic)
		}
		byTopic[o.Topic] = append(byTopic[o.Topic], o)
	}
	for _, topic := range topics {
		objs := byTopic[topic]
		if len(objs) < 2 {
			continue
		}
		var first *Object // the first to name an object_field
		for _, o := range objs {
			switch {
			case o.Event.ObjectField == "":
				var others []string
				for _, other := range objs {
					if other != o {
						others = append(others, other.Name)
					}
				}
				p.problemAt(o.Event.Pos, "%s: event: missing object_field: topic %s also feeds %s, so the event must name its object", o.Name, topic, strings.Join(others, ", "))
			case first == nil:
				first = o
			case !strings.EqualFold(o.Event.ObjectField, first.Event.ObjectField):
				p.problemAt(o.Event.Pos, "%s: event: object_field %s differs from %s of %s at line %d; objects sharing topic %s name their object in the same field",
					o.Name, o.Event.ObjectField, first.Event.ObjectField, first.Name, first.Pos.Line, topic)
			}
		}
	}
}

// object parses one object. It returns nil when the object is too broken to
// check further; other problems are reported and the object returned.
func (p *parser) object(key, value *node) *Object {
	name := key.text
	o := &Object{Name: name, Pos: p.pos(key)}
	// Defaults derived from a bad name would only repeat its problem.
	nameOK := true
	if err := checkAPIName("object name", name); err != nil {
		p.problemf(key, "%v", err)
		nameOK = false
	}
	switch value.kind {
	case nodeMapping:
	case nodeAlias:
		p.problemf(value, "aliases and merge keys are not supported")
		return nil
	default:
		p.problemf(value, "%s: an object must be a mapping with fields and optional table, key, partition_key, sync, topic, event and kafka_topic", name)
		return nil
	}
	entries := p.pairs(value, name, objectKeys)
	// get returns the value of an object key and the node to report its
	// problems at: the value, or the object's name when the key is absent.
	get := func(k string) (string, *node, bool) {
		e, ok := entries[k]
		if !ok {
			return "", key, false
		}
		text, ok := p.scalar(e, name, k)
		return text, e.value, ok
	}

	table, at, ok := get("table")
	if !ok {
		table = strings.ToLower(name)
	}
	if err := checkTable(table); err != nil && (ok || nameOK) {
		p.problemf(at, "%s: %v", name, err)
	}
	o.Table = table

	o.Sync = SyncStream
	if text, at, ok := get("sync"); ok {
		switch text {
		case "stream":
		case "poll":
			o.Sync = SyncPoll
		default:
			p.problemf(at, "%s: bad sync %q: want stream or poll", name, text)
		}
	}

	topic, topicAt, hasTopic := get("topic")
	topicOK := false
	switch {
	case o.Sync == SyncPoll && hasTopic:
		p.problemf(topicAt, "%s: topic is set but sync is poll; a polled object has no Pub/Sub topic", name)
	case o.Sync == SyncStream:
		if !hasTopic {
			topic = defaultTopic(name)
		}
		err := checkTopic(topic, name)
		if err != nil && (hasTopic || nameOK) {
			p.problemf(topicAt, "%s: %v", name, err)
		}
		topicOK = err == nil
		o.Topic = topic
	}

	kafka, at, ok := get("kafka_topic")
	if !ok {
		kafka = defaultKafkaTopic(name)
	}
	if err := checkKafkaTopic(kafka); err != nil && (ok || nameOK) {
		p.problemf(at, "%s: %v", name, err)
	}
	o.KafkaTopic = kafka

	if fields, ok := entries["fields"]; ok {
		o.Fields = p.fields(o, fields)
	} else {
		p.problemf(key, "%s: missing fields", name)
	}

	keyName, keyAt, hasKey := get("key")
	if !hasKey {
		keyName = "Id"
	}
	partName, partAt, hasPart := get("partition_key")
	if !hasPart {
		partName = keyName
	}
	// No fields: key checks would only repeat the problem.
	if len(o.Fields) > 0 {
		if f := o.Field(keyName); f != nil {
			o.Key = f.Name
		} else if _, given := entries["key"]; !given || hasKey { // else: already reported as empty
			p.problemf(keyAt, "%s: key field %s is not among its fields", name, keyName)
		}
		if f := o.Field(partName); f != nil {
			o.PartitionKey = f.Name
		} else if hasPart {
			p.problemf(partAt, "%s: partition key %s is not among its fields", name, partName)
		}
	}

	isEvent := o.Sync == SyncStream && strings.HasPrefix(o.Topic, "/event/")
	ev, hasEvent := entries["event"]
	switch {
	case hasEvent && o.Sync == SyncPoll:
		p.problemf(ev.key, "%s: event is set but sync is poll; a polled object has no Pub/Sub topic", name)
	case hasEvent && !isEvent:
		p.problemf(ev.key, "%s: event is set but topic %s carries change events; an event block goes with a platform event topic such as /event/Territory_Change__e", name, o.Topic)
	case hasEvent:
		o.Event = p.event(o, ev)
	case isEvent && topicOK:
		p.problemf(topicAt, "%s: topic %s is a platform event: add an event block naming the event fields that carry the record id, the change type and the values", name, o.Topic)
	}
	if isEvent {
		for _, f := range o.Fields {
			if f.Source != f.Name {
				p.problemAt(f.Pos, "%s.%s: source is a change event path; an object fed by a platform event takes its values from event.values", name, f.Name)
			}
		}
	}
	return o
}

// event parses the event block of o, an object fed by a platform event.
// It returns the block even when it has problems, so that the checks of
// objects sharing its topic can run.
func (p *parser) event(o *Object, e entry) *Event {
	where := o.Name + ": event"
	ev := &Event{Pos: p.pos(e.key), Values: map[string]string{}}
	n := e.value
	switch {
	case n.kind == nodeAlias:
		p.problemf(n, "aliases and merge keys are not supported")
		return ev
	case n.kind == nodeNull || (n.kind == nodeMapping && len(n.entries) == 0):
		p.problemf(e.key, "%s is empty; want record_id, change_type and optional object_field, changed_fields and values", where)
		return ev
	case n.kind != nodeMapping:
		p.problemf(n, "%s must be a mapping with record_id, change_type and optional object_field, changed_fields and values", where)
		return ev
	}
	entries := p.pairs(n, where, eventKeys)
	// used maps each event field named so far, in lower case, to its use.
	used := map[string]string{}
	claim := func(at *node, field, use string) bool {
		if err := checkAPIName("event field name", field); err != nil {
			p.problemf(at, "%s: %v", where, err)
			return false
		}
		if first, ok := used[strings.ToLower(field)]; ok {
			p.problemf(at, "%s: event field %s is already %s", where, field, first)
			return false
		}
		used[strings.ToLower(field)] = use
		return true
	}
	role := func(k string, required bool) string {
		re, ok := entries[k]
		if !ok {
			if required {
				p.problemf(e.key, "%s: missing %s", where, k)
			}
			return ""
		}
		text, ok := p.scalar(re, where, k)
		if !ok {
			return ""
		}
		claim(re.value, text, "the "+k) // a bad name is reported, not reported again as missing
		return text
	}
	ev.ObjectField = role("object_field", false)
	ev.RecordID = role("record_id", true)
	ev.ChangeType = role("change_type", true)
	ev.ChangedFields = role("changed_fields", false)

	ve, ok := entries["values"]
	if !ok {
		return ev
	}
	vn := ve.value
	switch {
	case vn.kind == nodeAlias:
		p.problemf(vn, "aliases and merge keys are not supported")
		return ev
	case vn.kind == nodeNull || (vn.kind == nodeMapping && len(vn.entries) == 0):
		p.problemf(ve.key, "%s: values is empty; leave it out when the event carries no values", where)
		return ev
	case vn.kind != nodeMapping:
		p.problemf(vn, "%s: values must be a mapping from event fields to mapped field names", where)
		return ev
	}
	names := make([]string, len(o.Fields))
	for i, f := range o.Fields {
		names[i] = f.Name
	}
	carriedBy := map[string]*node{} // mapped field name -> the event field carrying it
	for _, fe := range vn.entries {
		if !p.plainKey(fe.key) {
			continue
		}
		evField := fe.key.text
		target, ok := p.scalar(fe, where, "values."+evField)
		if !ok || !claim(fe.key, evField, "mapped to "+target) || len(o.Fields) == 0 {
			continue // no fields: already reported
		}
		f := o.Field(target)
		switch {
		case f == nil:
			msg := fmt.Sprintf("%s: values: %s is not among the fields of %s", where, target, o.Name)
			if s := suggest(target, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			p.problemf(fe.value, "%s", msg)
		case f.Name == o.Key:
			p.problemf(fe.value, "%s: values: %s is the key field; its value is the record id, from record_id", where, f.Name)
		case carriedBy[f.Name] != nil:
			first := carriedBy[f.Name]
			p.problemf(fe.value, "%s: values: field %s is already carried by %s at line %d", where, f.Name, first.text, first.line)
		default:
			carriedBy[f.Name] = fe.key
			ev.Values[evField] = f.Name
		}
	}
	return ev
}

// fields parses the fields of o, reporting repeated names, columns and
// sources.
func (p *parser) fields(o *Object, e entry) []*Field {
	n := e.value
	switch {
	case n.kind == nodeAlias:
		p.problemf(n, "aliases and merge keys are not supported")
		return nil
	case n.kind == nodeNull || (n.kind == nodeMapping && len(n.entries) == 0):
		p.problemf(e.key, "%s: fields is empty", o.Name)
		return nil
	case n.kind != nodeMapping:
		p.problemf(n, "%s: fields must be a mapping from field names to types", o.Name)
		return nil
	}
	var out []*Field
	byName := map[string]*Field{}
	byColumn := map[string]*Field{}
	bySource := map[string]*Field{}
	for _, fe := range n.entries {
		if !p.plainKey(fe.key) {
			continue
		}
		f := p.field(o.Name, fe.key, fe.value)
		if f == nil {
			continue
		}
		if first, ok := byName[strings.ToLower(f.Name)]; ok {
			p.problemf(fe.key, "%s: duplicate field %s (first at line %d)", o.Name, f.Name, first.Pos.Line)
			continue
		}
		byName[strings.ToLower(f.Name)] = f
		if first, ok := byColumn[f.Column]; ok {
			p.problemf(fe.key, "%s.%s: column %s is already used by field %s at line %d", o.Name, f.Name, f.Column, first.Name, first.Pos.Line)
		} else {
			byColumn[f.Column] = f
		}
		if first, ok := bySource[strings.ToLower(f.Source)]; ok {
			p.problemf(fe.key, "%s.%s: source %s is already read by field %s at line %d", o.Name, f.Name, f.Source, first.Name, first.Pos.Line)
		} else {
			bySource[strings.ToLower(f.Source)] = f
		}
		out = append(out, f)
	}
	return out
}

// field parses one field: either `Name: type` or a mapping with type and
// optional column, source and sensitive.
func (p *parser) field(object string, key, value *node) *Field {
	name := key.text
	where := object + "." + name
	f := &Field{Name: name, Source: name, Column: strings.ToLower(name), Pos: p.pos(key)}
	// Defaults derived from a bad name would only repeat its problem.
	nameOK := true
	if err := checkAPIName("field name", name); err != nil {
		p.problemf(key, "%s: %v", object, err)
		nameOK = false
	}
	var typeEntry entry
	switch value.kind {
	case nodeAlias:
		p.problemf(value, "aliases and merge keys are not supported")
		return nil
	case nodeNull:
		p.problemf(key, "%s: missing type", where)
		return f
	case nodeScalar:
		typeEntry = entry{key: key, value: value}
		if err := checkColumn(f.Column); err != nil && nameOK {
			p.problemf(key, "%s: %v (set column)", where, err)
		}
	case nodeMapping:
		entries := p.pairs(value, where, fieldKeys)
		if e, ok := entries["column"]; ok {
			if text, ok := p.scalar(e, where, "column"); ok {
				f.Column = text
				if err := checkColumn(text); err != nil {
					p.problemf(e.value, "%s: %v", where, err)
				}
			}
		} else if err := checkColumn(f.Column); err != nil && nameOK {
			p.problemf(key, "%s: %v (set column)", where, err)
		}
		if e, ok := entries["source"]; ok {
			if text, ok := p.scalar(e, where, "source"); ok {
				f.Source = text
				if err := checkSource(text); err != nil {
					p.problemf(e.value, "%s: %v", where, err)
				}
			}
		}
		if e, ok := entries["sensitive"]; ok {
			if text, ok := p.scalar(e, where, "sensitive"); ok {
				switch text {
				case "true":
					f.Sensitive = true
				case "false":
				default:
					p.problemf(e.value, "%s: sensitive must be true or false, not %q", where, text)
				}
			}
		}
		e, ok := entries["type"]
		if !ok {
			p.problemf(key, "%s: missing type", where)
			return f
		}
		typeEntry = e
	default:
		p.problemf(value, "%s: a field must be a type, or a mapping with type and optional column, source and sensitive", where)
		return nil
	}
	text, ok := p.scalar(typeEntry, where, "type")
	if !ok {
		return f
	}
	t, err := ParseType(text)
	if err != nil {
		p.problemf(typeEntry.value, "%s: %v", where, err)
	} else {
		f.Type = t
	}
	return f
}
