package avroframe

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/linkedin/goavro/v2"
)

// CanonicalForm returns the Parsing Canonical Form of a schema and its
// CRC-64-AVRO fingerprint, as the Avro specification and the Java
// implementation compute them, after checking that goavro accepts the
// schema. goavro's own form is not used: it keeps {"type":"long"}
// unreduced when a logicalType attribute is present (goavro issue #174),
// and it sometimes writes a field's name as the full name of a record
// type of the same name (goavro issue #307), so its form, and the
// fingerprint it takes of it, can differ from every Java reader's and
// from one run to the next.
func CanonicalForm(text string) (string, uint64, error) {
	if _, err := goavro.NewCodec(text); err != nil {
		return "", 0, fmt.Errorf("canonical form: %w", err)
	}
	form, err := canonical(text)
	if err != nil {
		return "", 0, err
	}
	return form, Fingerprint(form), nil
}

// fingerprintEmpty is the CRC-64-AVRO of nothing, the Avro
// specification's EMPTY.
const fingerprintEmpty = 0xc15d213aa4d7a795

// fingerprintTable is the specification's FP_TABLE.
var fingerprintTable = func() (t [256]uint64) {
	for i := range t {
		fp := uint64(i)
		for range 8 {
			fp = fp>>1 ^ fingerprintEmpty&-(fp&1)
		}
		t[i] = fp
	}
	return t
}()

// Fingerprint returns the CRC-64-AVRO (Rabin) fingerprint of a schema's
// canonical form, which single-object encoding carries.
func Fingerprint(form string) uint64 {
	fp := uint64(fingerprintEmpty)
	for i := 0; i < len(form); i++ {
		fp = fp>>8 ^ fingerprintTable[byte(fp)^form[i]]
	}
	return fp
}

// canonical returns the Parsing Canonical Form of an Avro schema, as
// the Avro specification defines it: primitives in simple form, full
// names, only the attributes type, name, fields, symbols, items, values
// and size in that order, named types spelled out at their first
// occurrence and referenced by full name after it, and no whitespace.
func canonical(schemaJSON string) (string, error) {
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
