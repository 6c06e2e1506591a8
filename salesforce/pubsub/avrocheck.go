package pubsub

import (
	"encoding/json"
	"errors"
	"fmt"
)

// goavro trusts the block counts of arrays and maps and allocates for
// them before reading the items, so 5 hostile bytes can ask for gigabytes.
// checkAvro walks a payload against its schema first, refusing counts and
// lengths that the remaining bytes cannot hold; only payloads that pass
// are handed to goavro.

// avroNode is a parsed schema node.
type avroNode struct {
	kind     string // primitive name, "record", "enum", "array", "map", "fixed", "union"
	fields   []*avroNode
	items    *avroNode // array items, map values
	branches []*avroNode
	size     int // fixed size, enum symbol count
}

var errAvro = errors.New("invalid avro")

// maxAvroDepth bounds the nesting a payload may make the walker recurse
// through (recursive schemas).
const maxAvroDepth = 64

// parseAvroSchema parses schemaJSON into a tree; named types resolve by
// full or short name.
func parseAvroSchema(schemaJSON string) (*avroNode, error) {
	var raw any
	if err := json.Unmarshal([]byte(schemaJSON), &raw); err != nil {
		return nil, err
	}
	names := map[string]*avroNode{}
	return buildNode(raw, "", names)
}

func buildNode(raw any, ns string, names map[string]*avroNode) (*avroNode, error) {
	switch t := raw.(type) {
	case string:
		switch t {
		case "null", "boolean", "int", "long", "float", "double", "bytes", "string":
			return &avroNode{kind: t}, nil
		}
		if n, ok := names[t]; ok {
			return n, nil
		}
		if n, ok := names[ns+"."+t]; ok {
			return n, nil
		}
		return nil, fmt.Errorf("%w: unknown type %q", errAvro, t)
	case []any:
		n := &avroNode{kind: "union"}
		for _, b := range t {
			bn, err := buildNode(b, ns, names)
			if err != nil {
				return nil, err
			}
			n.branches = append(n.branches, bn)
		}
		return n, nil
	case map[string]any:
		typ, _ := t["type"].(string)
		name, _ := t["name"].(string)
		if s, ok := t["namespace"].(string); ok {
			ns = s
		}
		register := func(n *avroNode) {
			if name == "" {
				return
			}
			names[name] = n
			if ns != "" {
				names[ns+"."+name] = n
			}
		}
		switch typ {
		case "record", "error":
			n := &avroNode{kind: "record"}
			register(n)
			fields, _ := t["fields"].([]any)
			for _, f := range fields {
				fm, _ := f.(map[string]any)
				fn, err := buildNode(fm["type"], ns, names)
				if err != nil {
					return nil, err
				}
				n.fields = append(n.fields, fn)
			}
			return n, nil
		case "enum":
			syms, _ := t["symbols"].([]any)
			n := &avroNode{kind: "enum", size: len(syms)}
			register(n)
			return n, nil
		case "fixed":
			size, _ := t["size"].(float64)
			n := &avroNode{kind: "fixed", size: int(size)}
			register(n)
			return n, nil
		case "array", "map":
			key := "items"
			if typ == "map" {
				key = "values"
			}
			in, err := buildNode(t[key], ns, names)
			if err != nil {
				return nil, err
			}
			return &avroNode{kind: typ, items: in}, nil
		}
		return buildNode(t["type"], ns, names) // primitive with logicalType
	}
	return nil, fmt.Errorf("%w: bad schema node %T", errAvro, raw)
}

// checkAvro validates payload against s's schema tree without allocating
// for counts the payload cannot hold.
func checkAvro(s *Schema, payload []byte) error {
	if s.tree == nil {
		return nil
	}
	w := avroWalker{buf: payload}
	if err := w.walk(s.tree, 0); err != nil {
		return err
	}
	return nil
}

type avroWalker struct {
	buf []byte
	pos int
}

func (w *avroWalker) long() (int64, error) {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if w.pos >= len(w.buf) {
			return 0, fmt.Errorf("%w: truncated varint", errAvro)
		}
		b := w.buf[w.pos]
		w.pos++
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return int64(v>>1) ^ -int64(v&1), nil
		}
	}
	return 0, fmt.Errorf("%w: varint too long", errAvro)
}

func (w *avroWalker) skip(n int64) error {
	if n < 0 || n > int64(len(w.buf)-w.pos) {
		return fmt.Errorf("%w: length %d beyond the %d bytes left", errAvro, n, len(w.buf)-w.pos)
	}
	w.pos += int(n)
	return nil
}

func (w *avroWalker) walk(n *avroNode, depth int) error {
	if depth > maxAvroDepth {
		return fmt.Errorf("%w: nested too deep", errAvro)
	}
	switch n.kind {
	case "null":
		return nil
	case "boolean":
		return w.skip(1)
	case "int", "long":
		_, err := w.long()
		return err
	case "float":
		return w.skip(4)
	case "double":
		return w.skip(8)
	case "bytes", "string":
		l, err := w.long()
		if err != nil {
			return err
		}
		return w.skip(l)
	case "fixed":
		return w.skip(int64(n.size))
	case "enum":
		i, err := w.long()
		if err != nil {
			return err
		}
		if i < 0 || i >= int64(n.size) {
			return fmt.Errorf("%w: enum index %d out of range", errAvro, i)
		}
		return nil
	case "union":
		i, err := w.long()
		if err != nil {
			return err
		}
		if i < 0 || i >= int64(len(n.branches)) {
			return fmt.Errorf("%w: union branch %d out of range", errAvro, i)
		}
		return w.walk(n.branches[i], depth+1)
	case "record":
		for _, f := range n.fields {
			if err := w.walk(f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case "array", "map":
		for {
			count, err := w.long()
			if err != nil {
				return err
			}
			if count == 0 {
				return nil
			}
			if count < 0 {
				count = -count
				if _, err := w.long(); err != nil { // block size in bytes
					return err
				}
			}
			// Every item takes at least one byte, except items of
			// zero-width types, which cannot make counts costly to
			// check either way; bound them by the same rule.
			if count > int64(len(w.buf)-w.pos)+1 || count < 0 {
				return fmt.Errorf("%w: block of %d items beyond the %d bytes left", errAvro, count, len(w.buf)-w.pos)
			}
			for range count {
				if n.kind == "map" {
					if err := w.walk(&avroNode{kind: "string"}, depth+1); err != nil {
						return err
					}
				}
				if err := w.walk(n.items, depth+1); err != nil {
					return err
				}
			}
		}
	}
	return fmt.Errorf("%w: unknown node kind %q", errAvro, n.kind)
}
