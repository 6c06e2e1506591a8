package sffake

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/linkedin/goavro/v2"

	"github.com/sfsync/sfsync/salesforce/bitmap"
)

// namespace is the Avro namespace of every event schema.
const namespace = "com.sforce.eventbus"

// Union branch names of the record types, as goavro names them.
const (
	addressBranch = namespace + ".Address"
	headerField   = "ChangeEventHeader"
)

// changeTypes are the symbols of the ChangeType enum, in the emulator's
// order (spec §2.3.2 [U]).
var changeTypes = []string{
	"CREATE", "UPDATE", "DELETE", "UNDELETE",
	"GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE",
	"GAP_OVERFLOW", "SNAPSHOT",
}

// schema is one version of an event schema. It is immutable.
type schema struct {
	// name is the record name: the event or change event name.
	name   string
	id     string
	json   string
	codec  *goavro.Codec
	bitmap bitmap.Schema
}

// SchemaID returns the Salesforce schema id of an Avro schema: the
// 22-character URL-safe base64 encoding, without padding, of the MD5 hash
// of the schema's Parsing Canonical Form. Salesforce does not document
// which normalisation it hashes (spec §1.9 [U]); the canonical form makes
// the id independent of whitespace, attribute order, doc attributes and
// the "uuid" attribute itself.
func SchemaID(schemaJSON string) (string, error) {
	pcf, err := CanonicalForm(schemaJSON)
	if err != nil {
		return "", err
	}
	sum := md5.Sum([]byte(pcf))
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// CanonicalForm returns the Parsing Canonical Form of an Avro schema, as
// the Avro specification defines it: primitives in simple form, full
// names, only the attributes type, name, fields, symbols, items, values
// and size in that order, named types spelled out at their first
// occurrence and referenced by full name after it, and no whitespace.
func CanonicalForm(schemaJSON string) (string, error) {
	var root any
	if err := json.Unmarshal([]byte(schemaJSON), &root); err != nil {
		return "", fmt.Errorf("parse schema: %w", err)
	}
	var b strings.Builder
	c := canonicalizer{b: &b, seen: map[string]bool{}}
	if err := c.write(root, ""); err != nil {
		return "", fmt.Errorf("canonical form: %w", err)
	}
	return b.String(), nil
}

type canonicalizer struct {
	b    *strings.Builder
	seen map[string]bool
}

var primitiveTypes = map[string]bool{
	"null": true, "boolean": true, "int": true, "long": true,
	"float": true, "double": true, "bytes": true, "string": true,
}

func (c *canonicalizer) str(s string) {
	raw, _ := json.Marshal(s)
	c.b.Write(raw)
}

func fullName(name, ns string) string {
	if strings.Contains(name, ".") || ns == "" {
		return name
	}
	return ns + "." + name
}

func (c *canonicalizer) write(t any, ns string) error {
	switch t := t.(type) {
	case string:
		if primitiveTypes[t] {
			c.str(t)
			return nil
		}
		c.str(fullName(t, ns))
		return nil
	case []any:
		c.b.WriteByte('[')
		for i, branch := range t {
			if i > 0 {
				c.b.WriteByte(',')
			}
			if err := c.write(branch, ns); err != nil {
				return err
			}
		}
		c.b.WriteByte(']')
		return nil
	case map[string]any:
		kind, _ := t["type"].(string)
		switch kind {
		case "record", "error", "enum", "fixed":
			name, _ := t["name"].(string)
			if name == "" {
				return fmt.Errorf("%s without a name", kind)
			}
			if tns, ok := t["namespace"].(string); ok && !strings.Contains(name, ".") {
				ns = tns
			}
			full := fullName(name, ns)
			if c.seen[full] {
				c.str(full)
				return nil
			}
			c.seen[full] = true
			if i := strings.LastIndexByte(full, '.'); i >= 0 {
				ns = full[:i]
			} else {
				ns = ""
			}
			c.b.WriteString(`{"name":`)
			c.str(full)
			c.b.WriteString(`,"type":`)
			c.str(kind)
			switch kind {
			case "enum":
				c.b.WriteString(`,"symbols":`)
				raw, err := json.Marshal(t["symbols"])
				if err != nil {
					return err
				}
				c.b.Write(raw)
			case "fixed":
				size, _ := t["size"].(float64)
				fmt.Fprintf(c.b, `,"size":%d`, int64(size))
			default:
				fields, _ := t["fields"].([]any)
				c.b.WriteString(`,"fields":[`)
				for i, f := range fields {
					fm, _ := f.(map[string]any)
					fname, _ := fm["name"].(string)
					if i > 0 {
						c.b.WriteByte(',')
					}
					c.b.WriteString(`{"name":`)
					c.str(fname)
					c.b.WriteString(`,"type":`)
					if err := c.write(fm["type"], ns); err != nil {
						return err
					}
					c.b.WriteByte('}')
				}
				c.b.WriteByte(']')
			}
			c.b.WriteByte('}')
			return nil
		case "array":
			c.b.WriteString(`{"type":"array","items":`)
			if err := c.write(t["items"], ns); err != nil {
				return err
			}
			c.b.WriteByte('}')
			return nil
		case "map":
			c.b.WriteString(`{"type":"map","values":`)
			if err := c.write(t["values"], ns); err != nil {
				return err
			}
			c.b.WriteByte('}')
			return nil
		case "":
			return fmt.Errorf("type object without a type: %v", t)
		default:
			// A primitive with attributes, such as a logical type.
			return c.write(kind, ns)
		}
	}
	return fmt.Errorf("invalid type %v", t)
}

// newSchema computes the id of the record schema rec, stores it in the
// schema's "uuid" attribute and compiles the result.
func newSchema(rec map[string]any) (*schema, error) {
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("marshal schema: %w", err)
	}
	id, err := SchemaID(string(raw))
	if err != nil {
		return nil, err
	}
	rec["uuid"] = id
	if raw, err = json.Marshal(rec); err != nil {
		return nil, fmt.Errorf("marshal schema: %w", err)
	}
	codec, err := goavro.NewCodec(string(raw))
	if err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", id, err)
	}
	name, _ := rec["name"].(string)
	s := &schema{name: name, id: id, json: string(raw), codec: codec}
	return s, nil
}

// changeEventSchema builds the change event schema of o, whose fields are
// complete (audit fields included).
func changeEventSchema(o Object) (*schema, error) {
	fields := []any{map[string]any{
		"name": headerField,
		"type": headerSchema(),
		"doc":  "Data:ComplexValueType",
	}}
	bm := bitmap.Schema{Fields: []bitmap.Field{{Name: headerField}}}
	b := typeBuilder{}
	for _, f := range o.Fields {
		t, comps := b.avro(f.Type)
		fields = append(fields, map[string]any{
			"name":    f.Name,
			"type":    nullable(t),
			"doc":     "Data:" + f.Type.String(),
			"default": nil,
		})
		bm.Fields = append(bm.Fields, bitmap.Field{Name: f.Name, Components: comps})
	}
	s, err := newSchema(map[string]any{
		"type":      "record",
		"name":      o.ChangeEventName(),
		"namespace": namespace,
		"fields":    fields,
	})
	if err != nil {
		return nil, fmt.Errorf("change event schema of %s: %w", o.Name, err)
	}
	s.bitmap = bm
	return s, nil
}

// platformEventSchema builds the schema of the platform event e (spec
// §2.2): CreatedDate and CreatedById, then the custom fields as nullable
// unions.
func platformEventSchema(e EventDefinition) (*schema, error) {
	fields := []any{
		map[string]any{"name": fieldCreatedDate, "type": "long", "doc": "CreatedDate:DateTime"},
		map[string]any{"name": fieldCreatedByID, "type": "string", "doc": "CreatedBy:EntityId"},
	}
	b := typeBuilder{}
	for _, f := range e.Fields {
		t, _ := b.avro(f.Type)
		fields = append(fields, map[string]any{
			"name":    f.Name,
			"type":    nullable(t),
			"doc":     "Data:" + f.Type.String(),
			"default": nil,
		})
	}
	s, err := newSchema(map[string]any{
		"type":      "record",
		"name":      e.Name,
		"namespace": namespace,
		"fields":    fields,
	})
	if err != nil {
		return nil, fmt.Errorf("platform event schema of %s: %w", e.Name, err)
	}
	return s, nil
}

func headerSchema() map[string]any {
	strArray := map[string]any{"type": "array", "items": "string"}
	return map[string]any{
		"type": "record",
		"name": headerField,
		"fields": []any{
			map[string]any{"name": "entityName", "type": "string"},
			map[string]any{"name": "recordIds", "type": strArray},
			map[string]any{"name": "changeType", "type": map[string]any{"type": "enum", "name": "ChangeType", "symbols": changeTypes}},
			map[string]any{"name": "changeOrigin", "type": "string"},
			map[string]any{"name": "transactionKey", "type": "string"},
			map[string]any{"name": "sequenceNumber", "type": "int"},
			map[string]any{"name": "commitTimestamp", "type": "long"},
			map[string]any{"name": "commitNumber", "type": "long"},
			map[string]any{"name": "commitUser", "type": "string"},
			map[string]any{"name": "nulledFields", "type": strArray},
			map[string]any{"name": "diffFields", "type": strArray},
			map[string]any{"name": "changedFields", "type": strArray},
		},
	}
}

// typeBuilder returns Avro types for field types, defining each named
// record type at its first use and referring to it by name afterwards.
type typeBuilder struct {
	address, personName bool
}

// avro returns the Avro type of t (without the null branch) and, for a
// compound type, its components.
func (b *typeBuilder) avro(t FieldType) (typ any, components []string) {
	switch t {
	case TypeDouble, TypeCurrency, TypePercent:
		return "double", nil
	case TypeInt:
		return "int", nil
	case TypeBoolean:
		return "boolean", nil
	case TypeDate:
		return map[string]any{"type": "int", "logicalType": "date"}, nil
	case TypeDateTime, TypeTime:
		return "long", nil
	case TypeAddress:
		comps := make([]string, len(addressComponents))
		for i, c := range addressComponents {
			comps[i] = c.name
		}
		if b.address {
			return "Address", comps
		}
		b.address = true
		fields := make([]any, len(addressComponents))
		for i, c := range addressComponents {
			ct := "string"
			if c.double {
				ct = "double"
			}
			fields[i] = map[string]any{"name": c.name, "type": []any{"null", ct}, "default": nil}
		}
		return map[string]any{"type": "record", "name": "Address", "fields": fields}, comps
	case TypeSwitchableName:
		// ["null", "string", Switchable_PersonName]; nullable flattens it.
		var rec any = "Switchable_PersonName"
		if !b.personName {
			b.personName = true
			fields := make([]any, len(personNameComponents))
			for i, c := range personNameComponents {
				fields[i] = map[string]any{"name": c, "type": []any{"null", "string"}, "default": nil}
			}
			rec = map[string]any{"type": "record", "name": "Switchable_PersonName", "fields": fields}
		}
		return switchable{rec}, personNameComponents
	default:
		return "string", nil
	}
}

// switchable is the non-null branches of a switchable name: "string" and
// the person name record.
type switchable struct{ record any }

// nullable returns the union of null and t, the type of every body field.
func nullable(t any) []any {
	if s, ok := t.(switchable); ok {
		return []any{"null", "string", s.record}
	}
	return []any{"null", t}
}
