package avroframe

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// The guard walks an Avro binary body against its writer schema before
// goavro decodes it. goavro trusts the block counts of arrays and maps and
// preallocates that many items (up to 2^31), so a hostile 20-byte frame
// could make it allocate tens of gigabytes. The guard checks every length
// and count against the bytes that remain, checks union and enum indexes
// and the end of the body, and allocates nothing.

// avroType is the part of a parsed Avro schema the guard needs.
type avroType struct {
	kind     string      // primitive name, or record, enum, fixed, array, map, union
	name     string      // full name of a named type
	fields   []avroField // record
	items    *avroType   // array items, map values
	branches []*avroType // union
	symbols  int         // enum
	size     int         // fixed
}

type avroField struct {
	name       string
	typ        *avroType
	hasDefault bool
}

// maxDepth bounds the nesting the guard follows, for recursive schemas.
const maxDepth = 64

// parseAvroSchema parses the JSON text of a schema that goavro accepted.
func parseAvroSchema(text string) (*avroType, error) {
	var raw any
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return nil, err
	}
	p := schemaParser{named: map[string]*avroType{}}
	return p.parse(raw, "")
}

type schemaParser struct {
	named map[string]*avroType
}

var primitives = map[string]bool{
	"null": true, "boolean": true, "int": true, "long": true,
	"float": true, "double": true, "bytes": true, "string": true,
}

func (p *schemaParser) parse(raw any, namespace string) (*avroType, error) {
	switch v := raw.(type) {
	case string:
		if primitives[v] {
			return &avroType{kind: v}, nil
		}
		if t, ok := p.named[fullName(v, namespace)]; ok {
			return t, nil
		}
		if t, ok := p.named[v]; ok {
			return t, nil
		}
		return nil, fmt.Errorf("unknown type %q", v)
	case []any:
		t := &avroType{kind: "union"}
		for _, branch := range v {
			b, err := p.parse(branch, namespace)
			if err != nil {
				return nil, err
			}
			t.branches = append(t.branches, b)
		}
		return t, nil
	case map[string]any:
		return p.parseObject(v, namespace)
	}
	return nil, fmt.Errorf("unexpected schema element %T", raw)
}

func (p *schemaParser) parseObject(obj map[string]any, namespace string) (*avroType, error) {
	kind, ok := obj["type"].(string)
	if !ok {
		return p.parse(obj["type"], namespace) // {"type": {...}} or {"type": [...]}
	}
	switch kind {
	case "record", "error", "enum", "fixed":
		name, _ := obj["name"].(string)
		if ns, ok := obj["namespace"].(string); ok && !strings.Contains(name, ".") {
			namespace = ns
		}
		t := &avroType{kind: kind, name: fullName(name, namespace)}
		if i := strings.LastIndexByte(t.name, '.'); i >= 0 {
			namespace = t.name[:i]
		}
		p.named[t.name] = t // before the fields, for recursive types
		switch kind {
		case "enum":
			symbols, _ := obj["symbols"].([]any)
			t.symbols = len(symbols)
		case "fixed":
			size, _ := obj["size"].(float64)
			t.size = int(size)
		default:
			t.kind = "record"
			fields, _ := obj["fields"].([]any)
			for _, f := range fields {
				fobj, ok := f.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("record %s: field is %T", t.name, f)
				}
				ft, err := p.parse(fobj["type"], namespace)
				if err != nil {
					return nil, fmt.Errorf("record %s: %w", t.name, err)
				}
				fname, _ := fobj["name"].(string)
				_, hasDefault := fobj["default"]
				t.fields = append(t.fields, avroField{name: fname, typ: ft, hasDefault: hasDefault})
			}
		}
		return t, nil
	case "array", "map":
		key := "items"
		if kind == "map" {
			key = "values"
		}
		items, err := p.parse(obj[key], namespace)
		if err != nil {
			return nil, err
		}
		return &avroType{kind: kind, items: items}, nil
	}
	return p.parse(kind, namespace) // a primitive, possibly with a logicalType
}

func fullName(name, namespace string) string {
	if strings.Contains(name, ".") || namespace == "" {
		return name
	}
	return namespace + "." + name
}

// guard checks that body is exactly one well-formed datum of t whose
// lengths and counts fit the bytes it has.
func guard(t *avroType, body []byte) error {
	w := walker{buf: body}
	if err := w.walk(t, 0); err != nil {
		return fmt.Errorf("offset %d: %w", len(body)-len(w.buf), err)
	}
	if len(w.buf) != 0 {
		return fmt.Errorf("%d trailing bytes after the datum", len(w.buf))
	}
	return nil
}

type walker struct {
	buf []byte
}

func (w *walker) walk(t *avroType, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nested deeper than %d", maxDepth)
	}
	switch t.kind {
	case "null":
		return nil
	case "boolean":
		if len(w.buf) < 1 {
			return errShort("boolean")
		}
		if w.buf[0] > 1 {
			return fmt.Errorf("boolean byte %#x", w.buf[0])
		}
		w.buf = w.buf[1:]
		return nil
	case "int":
		v, err := w.long("int")
		if err == nil && (v < math.MinInt32 || v > math.MaxInt32) {
			err = fmt.Errorf("int %d out of range", v)
		}
		return err
	case "long":
		_, err := w.long("long")
		return err
	case "float":
		return w.skip(4, "float")
	case "double":
		return w.skip(8, "double")
	case "fixed":
		return w.skip(t.size, "fixed")
	case "bytes", "string":
		n, err := w.long(lengthOf[t.kind])
		if err != nil {
			return err
		}
		if n < 0 {
			return fmt.Errorf("negative %s length %d", t.kind, n)
		}
		return w.skip64(n, t.kind)
	case "enum":
		i, err := w.long("enum index")
		if err == nil && (i < 0 || i >= int64(t.symbols)) {
			err = fmt.Errorf("enum %s index %d out of range", t.name, i)
		}
		return err
	case "union":
		i, err := w.long("union index")
		if err != nil {
			return err
		}
		if i < 0 || i >= int64(len(t.branches)) {
			return fmt.Errorf("union index %d out of range", i)
		}
		return w.walk(t.branches[i], depth+1)
	case "record":
		for _, f := range t.fields {
			if err := w.walk(f.typ, depth+1); err != nil {
				return fmt.Errorf("field %s: %w", f.name, err)
			}
		}
		return nil
	case "array", "map":
		return w.blocks(t, depth)
	}
	return fmt.Errorf("unsupported type %q", t.kind)
}

// blocks walks the blocks of an array or map. A block of n items needs at
// least n bytes (one per map key length or item), which bounds what goavro
// preallocates; schemas whose items may encode in zero bytes (arrays of
// null) are held to the same rule.
func (w *walker) blocks(t *avroType, depth int) error {
	for {
		count, err := w.long(blockCountOf[t.kind])
		if err != nil {
			return err
		}
		if count == 0 {
			return nil
		}
		if count < 0 {
			if count == math.MinInt64 {
				return fmt.Errorf("%s block count out of range", t.kind)
			}
			count = -count
			size, err := w.long(blockSizeOf[t.kind])
			if err != nil {
				return err
			}
			if size < 0 {
				return fmt.Errorf("negative %s block size %d", t.kind, size)
			}
		}
		if count > int64(len(w.buf)) {
			return fmt.Errorf("%s block of %d items in %d bytes", t.kind, count, len(w.buf))
		}
		for range count {
			if t.kind == "map" {
				n, err := w.long("map key length")
				if err != nil {
					return err
				}
				if n < 0 {
					return fmt.Errorf("negative map key length %d", n)
				}
				if err := w.skip64(n, "map key"); err != nil {
					return err
				}
			}
			if err := w.walk(t.items, depth+1); err != nil {
				return err
			}
		}
	}
}

// What the walker reads, named in its errors: constants, so that a walk
// allocates nothing.
var (
	lengthOf     = map[string]string{"bytes": "bytes length", "string": "string length"}
	blockCountOf = map[string]string{"array": "array block count", "map": "map block count"}
	blockSizeOf  = map[string]string{"array": "array block size", "map": "map block size"}
)

// long reads a zig-zag varint of at most 10 bytes.
func (w *walker) long(what string) (int64, error) {
	var u uint64
	for i := 0; i < 10; i++ {
		if i >= len(w.buf) {
			return 0, errShort(what)
		}
		b := w.buf[i]
		if i == 9 && b > 1 {
			return 0, fmt.Errorf("%s varint overflows 64 bits", what)
		}
		u |= uint64(b&0x7f) << (7 * i)
		if b&0x80 == 0 {
			w.buf = w.buf[i+1:]
			return int64(u>>1) ^ -int64(u&1), nil
		}
	}
	return 0, fmt.Errorf("%s varint longer than 10 bytes", what)
}

func (w *walker) skip(n int, what string) error {
	return w.skip64(int64(n), what)
}

func (w *walker) skip64(n int64, what string) error {
	if n > int64(len(w.buf)) {
		return errShort(what)
	}
	w.buf = w.buf[n:]
	return nil
}

func errShort(what string) error {
	return fmt.Errorf("truncated %s", what)
}

// Guard checks Avro binary bodies written with one schema before goavro
// decodes them, as [Schema.DecodeBody] does: for Avro from outside whose
// schema is not an sfsync contract, such as the Pub/Sub API's event
// payloads. A Guard is immutable and safe for concurrent use.
type Guard struct{ root *avroType }

// NewGuard parses the JSON text of a schema that goavro accepted.
func NewGuard(text string) (*Guard, error) {
	root, err := parseAvroSchema(text)
	if err != nil {
		return nil, err
	}
	return &Guard{root: root}, nil
}

// Check returns an error unless body is exactly one well-formed datum of
// the schema whose lengths and counts fit the bytes it has. It allocates
// nothing.
func (g *Guard) Check(body []byte) error { return guard(g.root, body) }
