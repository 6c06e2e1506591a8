package sffake

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/linkedin/goavro/v2"

	"github.com/sfsync/sfsync/salesforce/bitmap"
	"github.com/sfsync/sfsync/schemas/avroframe"
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
	pcf, _, err := avroframe.CanonicalForm(schemaJSON)
	if err != nil {
		return "", err
	}
	sum := md5.Sum([]byte(pcf))
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
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
		fields = append(fields, bodyField(f, t))
		bm.Fields = append(bm.Fields, bitmap.Field{Name: f.Name, Components: comps})
	}
	s, err := recordSchema(o.ChangeEventName(), fields)
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
		fields = append(fields, bodyField(f, t))
	}
	s, err := recordSchema(e.Name, fields)
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

// recordSchema builds the schema of the record called name in the
// emulator's namespace.
func recordSchema(name string, fields []any) (*schema, error) {
	return newSchema(map[string]any{"type": "record", "name": name, "namespace": namespace, "fields": fields})
}

// bodyField is the schema of the body field f, whose Avro type is t: a
// union of null and t that defaults to null.
func bodyField(f Field, t any) map[string]any {
	return map[string]any{"name": f.Name, "type": nullable(t), "doc": "Data:" + f.Type.String(), "default": nil}
}

// nullable returns the union of null and t, the type of every body field.
func nullable(t any) []any {
	if s, ok := t.(switchable); ok {
		return []any{"null", "string", s.record}
	}
	return []any{"null", t}
}
