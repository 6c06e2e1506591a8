package bitmap

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// headerField is the name of a change event's first field, the header
// record. It is never treated as a compound field: bitmaps never address
// its parts.
const headerField = "ChangeEventHeader"

// SchemaFromAvro builds the [Schema] of a change event from its Avro schema
// JSON, as GetSchema returns it. The top-level type must be a record; its
// fields become the schema's fields, in order.
//
// A field is compound when its type is a record, or a union with a record
// branch such as ["null", {record}] or Account's Name
// ["null", "string", {record}]; its components are that record's field
// names. Records may be given inline or by a name defined earlier in the
// schema (Salesforce defines Address once, for BillingAddress, and refers
// to it by name from ShippingAddress); names resolve with Avro's namespace
// rules. The ChangeEventHeader field is never compound. A union with two
// record branches is an error, since a bitmap could not say which one it
// indexes.
func SchemaFromAvro(schemaJSON string) (Schema, error) {
	var root any
	if err := json.Unmarshal([]byte(schemaJSON), &root); err != nil {
		return Schema{}, fmt.Errorf("parse avro schema: %w", err)
	}
	obj, ok := root.(map[string]any)
	if !ok || obj["type"] != "record" {
		return Schema{}, errors.New("parse avro schema: top-level type is not a record")
	}
	p := avroParser{named: map[string]*avroNamed{}}
	rec, err := p.record(obj, "")
	if err != nil {
		return Schema{}, fmt.Errorf("parse avro schema: %w", err)
	}
	s := Schema{Fields: make([]Field, len(rec.fields))}
	for i, f := range rec.fields {
		s.Fields[i].Name = f.name
		if f.record != nil && f.name != headerField {
			s.Fields[i].Components = f.record.fieldNames()
		}
	}
	return s, nil
}

// avroParser walks an Avro schema, defining named types as it meets them.
type avroParser struct {
	// named maps full names to the named types defined so far.
	named map[string]*avroNamed
}

// avroNamed is a named Avro type: a record (with its fields) or an enum or
// fixed (fields nil, isRecord false).
type avroNamed struct {
	isRecord bool
	fields   []avroField
}

// avroField is one field of a record; record is the record its type
// denotes, directly or as a union branch, or nil.
type avroField struct {
	name   string
	record *avroNamed
}

func (n *avroNamed) fieldNames() []string {
	names := make([]string, len(n.fields))
	for i, f := range n.fields {
		names[i] = f.name
	}
	return names
}

var avroPrimitives = map[string]bool{
	"null": true, "boolean": true, "int": true, "long": true,
	"float": true, "double": true, "bytes": true, "string": true,
}

// walk defines the named types in t and returns the record t denotes: a
// record type, a reference to one, or a union with exactly one record
// branch. It returns nil for any other type. ns is the enclosing namespace.
func (p *avroParser) walk(t any, ns string) (*avroNamed, error) {
	switch t := t.(type) {
	case string:
		if avroPrimitives[t] {
			return nil, nil
		}
		n := p.lookup(t, ns)
		if n == nil {
			return nil, fmt.Errorf("unknown type name %q", t)
		}
		if !n.isRecord {
			return nil, nil
		}
		return n, nil
	case []any:
		var found *avroNamed
		for _, branch := range t {
			if _, nested := branch.([]any); nested {
				return nil, errors.New("union directly inside a union")
			}
			rec, err := p.walk(branch, ns)
			if err != nil {
				return nil, err
			}
			if rec != nil {
				if found != nil {
					return nil, errors.New("union with more than one record branch")
				}
				found = rec
			}
		}
		return found, nil
	case map[string]any:
		switch kind := t["type"]; kind {
		case "record", "error":
			return p.record(t, ns)
		case "enum", "fixed":
			_, _, err := p.define(t, ns, &avroNamed{})
			return nil, err
		case "array":
			_, err := p.walk(t["items"], ns)
			return nil, err
		case "map":
			_, err := p.walk(t["values"], ns)
			return nil, err
		case nil:
			return nil, errors.New("type object without a type")
		default:
			// A primitive with attributes such as a logical type, or a
			// named type referenced in object form.
			return p.walk(kind, ns)
		}
	default:
		return nil, fmt.Errorf("invalid type %v", t)
	}
}

// record defines the record type t and the named types inside it.
func (p *avroParser) record(t map[string]any, ns string) (*avroNamed, error) {
	rec := &avroNamed{isRecord: true}
	name, recNS, err := p.define(t, ns, rec)
	if err != nil {
		return nil, err
	}
	fields, ok := t["fields"].([]any)
	if !ok {
		return nil, fmt.Errorf("record %s: fields is not an array", name)
	}
	seen := make(map[string]bool, len(fields))
	for i, f := range fields {
		fobj, ok := f.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("record %s: field %d is not an object", name, i)
		}
		fname, ok := fobj["name"].(string)
		if !ok || fname == "" {
			return nil, fmt.Errorf("record %s: field %d has no name", name, i)
		}
		if seen[fname] {
			return nil, fmt.Errorf("record %s: duplicate field %s", name, fname)
		}
		seen[fname] = true
		frec, err := p.walk(fobj["type"], recNS)
		if err != nil {
			return nil, fmt.Errorf("record %s: field %s: %w", name, fname, err)
		}
		rec.fields = append(rec.fields, avroField{name: fname, record: frec})
	}
	return rec, nil
}

// define registers the named type t under its full name and returns that
// name and the namespace for the types inside it.
func (p *avroParser) define(t map[string]any, ns string, n *avroNamed) (fullName, innerNS string, err error) {
	name, ok := t["name"].(string)
	if !ok || name == "" {
		return "", "", fmt.Errorf("%v type without a name", t["type"])
	}
	switch {
	case strings.Contains(name, "."):
		fullName = name
	default:
		if tns, ok := t["namespace"].(string); ok {
			ns = tns
		}
		fullName = name
		if ns != "" {
			fullName = ns + "." + name
		}
	}
	if _, dup := p.named[fullName]; dup {
		return "", "", fmt.Errorf("type %s defined twice", fullName)
	}
	p.named[fullName] = n
	if i := strings.LastIndexByte(fullName, '.'); i >= 0 {
		return fullName, fullName[:i], nil
	}
	return fullName, "", nil
}

// lookup finds a named type referenced as name from namespace ns.
func (p *avroParser) lookup(name, ns string) *avroNamed {
	if !strings.Contains(name, ".") && ns != "" {
		if n := p.named[ns+"."+name]; n != nil {
			return n
		}
	}
	return p.named[name]
}
