package mapping

import (
	"errors"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	yamlparser "github.com/goccy/go-yaml/parser"
)

// node is the part of a YAML node the mapping parser needs, converted from
// the YAML library's syntax tree so that the rules below do not depend on
// its node types.
type node struct {
	kind    nodeKind
	text    string  // scalars
	entries []entry // mappings, in file order
	line    int
	column  int
}

type nodeKind uint8

const (
	nodeNull     nodeKind = iota // absent, empty, ~ or null
	nodeScalar                   // strings, numbers, booleans
	nodeMapping                  // block or flow mapping
	nodeSequence                 // block or flow sequence
	nodeAlias                    // *alias (not supported)
	nodeMergeKey                 // << (not supported)
	nodeOther                    // anything else
)

type entry struct {
	key, value *node
}

// parseYAML parses data into its documents' bodies (nil for an empty
// document). A syntax error becomes a problem with the library's position.
func parseYAML(file string, data []byte) ([]*node, *Problem) {
	// Repeated keys are allowed here and reported by the mapping rules,
	// together with every other problem.
	f, err := yamlparser.ParseBytes(data, 0, yamlparser.AllowDuplicateMapKey())
	if err != nil {
		pos := Position{File: file}
		msg := err.Error()
		var syntax *yaml.SyntaxError
		if errors.As(err, &syntax) {
			msg = syntax.Message
			if syntax.Token != nil && syntax.Token.Position != nil {
				pos.Line, pos.Column = syntax.Token.Position.Line, syntax.Token.Position.Column
			}
		}
		return nil, &Problem{Pos: pos, Message: "invalid YAML: " + msg}
	}
	docs := make([]*node, 0, len(f.Docs))
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			docs = append(docs, nil)
			continue
		}
		n := convert(d.Body)
		if d.Start != nil && d.Start.Position != nil && len(docs) > 0 {
			n.line, n.column = d.Start.Position.Line, d.Start.Position.Column // the --- line
		}
		docs = append(docs, n)
	}
	return docs, nil
}

func convert(a ast.Node) *node {
	if a == nil {
		return &node{kind: nodeNull}
	}
	n := &node{}
	if tk := a.GetToken(); tk != nil && tk.Position != nil {
		n.line, n.column = tk.Position.Line, tk.Position.Column
	}
	switch v := a.(type) {
	case *ast.MappingNode:
		n.kind = nodeMapping
		for _, mv := range v.Values {
			n.entries = append(n.entries, convertEntry(mv))
		}
		if len(n.entries) > 0 {
			n.line, n.column = n.entries[0].key.line, n.entries[0].key.column
		}
	case *ast.MappingValueNode:
		n.kind = nodeMapping
		n.entries = []entry{convertEntry(v)}
		n.line, n.column = n.entries[0].key.line, n.entries[0].key.column
	case *ast.SequenceNode:
		n.kind = nodeSequence
	case *ast.AnchorNode:
		return convert(v.Value) // an anchor is harmless; only its aliases are refused
	case *ast.TagNode:
		return convert(v.Value)
	case *ast.AliasNode:
		n.kind = nodeAlias
	case *ast.MergeKeyNode:
		n.kind = nodeMergeKey
	case *ast.NullNode:
		n.kind = nodeNull
	case *ast.StringNode:
		n.kind, n.text = nodeScalar, v.Value
	case *ast.LiteralNode:
		n.kind = nodeScalar
		if v.Value != nil {
			n.text = v.Value.Value
		}
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		n.kind = nodeScalar
		if tk := a.GetToken(); tk != nil {
			n.text = tk.Value
		}
	default:
		n.kind = nodeOther
	}
	return n
}

func convertEntry(mv *ast.MappingValueNode) entry {
	var key ast.Node
	if mv.Key != nil {
		key = mv.Key
	}
	e := entry{key: convert(key), value: convert(mv.Value)}
	if e.value.kind == nodeNull && e.value.line == 0 {
		e.value.line, e.value.column = e.key.line, e.key.column
	}
	return e
}
