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
	objectKeys = []string{"table", "key", "partition_key", "sync", "topic", "kafka_topic", "fields"}
	fieldKeys  = []string{"type", "column", "source"}
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
	return m
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
		p.problemf(value, "%s: an object must be a mapping with fields and optional table, key, partition_key, sync, topic and kafka_topic", name)
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

	topic, at, hasTopic := get("topic")
	switch {
	case o.Sync == SyncPoll && hasTopic:
		p.problemf(at, "%s: topic is set but sync is poll; a polled object has no Pub/Sub topic", name)
	case o.Sync == SyncStream:
		if !hasTopic {
			topic = defaultTopic(name)
		}
		if err := checkTopic(topic, name); err != nil && (hasTopic || nameOK) {
			p.problemf(at, "%s: %v", name, err)
		}
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
	if len(o.Fields) == 0 {
		return o // no fields: key checks would only repeat the problem
	}
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
	return o
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
// optional column and source.
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
		e, ok := entries["type"]
		if !ok {
			p.problemf(key, "%s: missing type", where)
			return f
		}
		typeEntry = e
	default:
		p.problemf(value, "%s: a field must be a type, or a mapping with type and optional column and source", where)
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
