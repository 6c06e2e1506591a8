package svcconfig

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	yamlparser "github.com/goccy/go-yaml/parser"
)

// Options says how [Load] reads one service's configuration.
type Options struct {
	// Service names the service, e.g. "producer"; it is recorded in
	// [ValidationError.Service].
	Service string
	// EnvPrefix starts the name of every environment override, e.g.
	// SFSYNC_PRODUCER_; see [EnvName].
	EnvPrefix string
	// Env looks environment variables up: main passes os.LookupEnv;
	// nil reads no variable.
	Env func(string) (string, bool)
	// Defaults, when set, gives the zero settings their defaults, after
	// the file and the environment are applied.
	Defaults func()
	// Check, when set, returns the problems of the settings, by key path
	// (a Validate without the error); it runs after Defaults. Its
	// problems about keys that failed to decode are dropped, as the
	// decoding problem says more.
	Check func() []Problem
}

// MaxFileSize bounds the size of a configuration file.
const MaxFileSize = 1 << 20

// Load reads the YAML file at path onto dst, a pointer to a struct of
// settings, applies the environment overrides that opts.Env finds (see
// [ApplyEnv]), then opts.Defaults and opts.Check. Relative file names
// (settings tagged `svcconfig:"file"`) in the file are taken from the
// file's directory; those in the environment, from the working
// directory. It reports every problem at once, as a *[ValidationError]
// whose lines name the file and line, or the variable, of each; dst is
// then partly set and should not be used.
func Load(path string, dst any, opts Options) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	if len(data) > MaxFileSize {
		return &ValidationError{Service: opts.Service, Problems: []Problem{{Where: path, Message: fmt.Sprintf("larger than %d bytes: not a configuration file", MaxFileSize)}}}
	}
	return Parse(path, data, dst, opts)
}

// Parse is [Load] for data read from a file called name.
func Parse(name string, data []byte, dst any, opts Options) error {
	v := target(dst)
	src := &source{file: name, root: v.Type(), lines: map[string]int{}, env: map[string]string{}}
	src.decodeFile(data, v)
	src.resolve(v)
	if opts.Env != nil {
		src.problems = append(src.problems, applyEnv(v, opts.EnvPrefix, opts.Env, src)...)
	}
	if opts.Defaults != nil {
		opts.Defaults()
	}
	if opts.Check != nil {
		for _, p := range opts.Check() {
			if !src.failed(p.Path) {
				src.problems = append(src.problems, p)
			}
		}
	}
	if len(src.problems) == 0 {
		return nil
	}
	for i := range src.problems {
		if src.problems[i].Where == "" {
			src.problems[i].Where = src.where(src.problems[i].Path)
		}
	}
	src.sort()
	return &ValidationError{Service: opts.Service, Problems: src.problems}
}

// Lookup looks environment variables up, as os.LookupEnv.
type Lookup = func(string) (string, bool)

// target returns the struct dst points to; dst of another kind is a
// programming error.
func target(dst any) reflect.Value {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("svcconfig: want a non-nil pointer to a struct, got %T", dst))
	}
	return v.Elem()
}

// source records where each setting came from, to place problems.
type source struct {
	file     string
	root     reflect.Type      // the configuration struct, for suggestions
	lines    map[string]int    // key path → line in the file
	env      map[string]string // key path → environment variable
	problems []Problem
	bad      []string // paths whose value could not be decoded
}

func (s *source) problem(path, format string, args ...any) {
	s.problems = append(s.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	s.bad = append(s.bad, path)
}

// failed reports whether path, or a key enclosing it or inside it, could
// not be decoded, so that Validate's view of it is not worth reporting.
func (s *source) failed(path string) bool {
	for _, b := range s.bad {
		if b == "" || b == path || path != "" && (strings.HasPrefix(b, path+".") || strings.HasPrefix(b, path+"[")) ||
			strings.HasPrefix(path, b+".") || strings.HasPrefix(path, b+"[") {
			return true
		}
	}
	return false
}

// where returns the place of the key path: the variable that set it or
// an enclosing key, or else the line of the key or of its closest
// enclosing key in the file, or else the file.
func (s *source) where(path string) string {
	for p := path; p != ""; p = Parent(p) {
		if v, ok := s.env[p]; ok {
			return "$" + v
		}
		if n, ok := s.lines[p]; ok {
			return s.file + ":" + strconv.Itoa(n)
		}
	}
	return s.file
}

// sort orders problems by line in the file, then the others in the
// order found.
func (s *source) sort() {
	line := func(p Problem) int {
		rest, ok := strings.CutPrefix(p.Where, s.file+":")
		if !ok {
			return 1 << 30
		}
		n, err := strconv.Atoi(rest)
		if err != nil {
			return 1 << 30
		}
		return n
	}
	slices.SortStableFunc(s.problems, func(a, b Problem) int { return cmp.Compare(line(a), line(b)) })
}

// forget drops the file lines of path and its children, once the
// environment has replaced its value.
func (s *source) forget(path string) {
	for p := range s.lines {
		if p == path || strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[") {
			delete(s.lines, p)
		}
	}
}

// Parent returns the path of the enclosing key: "a.b[1].c" → "a.b[1]" →
// "a.b" → "a" → "".
func Parent(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// decodeFile decodes the YAML data onto c, recording lines and
// problems: syntax errors, unknown keys, duplicate keys and values of the
// wrong type.
func (s *source) decodeFile(data []byte, v reflect.Value) {
	// Duplicate keys are reported by decode, with their path.
	tree, err := yamlparser.ParseBytes(data, 0, yamlparser.AllowDuplicateMapKey())
	if err != nil {
		s.problems = append(s.problems, YAMLProblem(s.file, err))
		s.bad = append(s.bad, "") // nothing else is worth reporting
		return
	}
	var docs []*ast.DocumentNode
	for _, d := range tree.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d)
		}
	}
	switch len(docs) {
	case 0:
		return
	case 1:
	default:
		s.problems = append(s.problems, Problem{Where: fmt.Sprintf("%s:%d", s.file, line(docs[1].Body)), Message: "want one YAML document, found a second"})
		s.bad = append(s.bad, "")
		return
	}
	s.decode(docs[0].Body, v, "")
}

// YAMLProblem turns an error of the YAML library reading the file into
// a problem placed at its line, "file:line", or at the file when the
// error gives no position.
func YAMLProblem(file string, err error) Problem {
	p := Problem{Where: file, Message: err.Error()}
	var ye yaml.Error
	if errors.As(err, &ye) {
		p.Message = ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			p.Where = fmt.Sprintf("%s:%d", file, tk.Position.Line)
		}
	}
	return p
}

// line returns the line of n, or 0.
func line(n ast.Node) int {
	if n == nil {
		return 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

// unwrap removes anchors and tags around a value.
func unwrap(n ast.Node) ast.Node {
	for {
		switch t := n.(type) {
		case *ast.AnchorNode:
			n = t.Value
		case *ast.TagNode:
			n = t.Value
		default:
			return n
		}
	}
}

// pairs returns the key-value pairs of a mapping node, or false.
func pairs(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch t := n.(type) {
	case *ast.MappingNode:
		return t.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{t}, true
	}
	return nil, false
}

// scalar returns the text of a scalar node, or false.
func scalar(n ast.Node) (string, bool) {
	switch t := n.(type) {
	case *ast.StringNode:
		return t.Value, true
	case *ast.LiteralNode:
		if t.Value == nil {
			return "", true
		}
		return t.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tk := t.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// keyText returns the text of a mapping key.
func keyText(k ast.MapKeyNode) string {
	if s, ok := scalar(unwrap(k)); ok {
		return s
	}
	if k.IsMergeKey() {
		return "<<"
	}
	if tk := k.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// decode sets v, the setting at path, from the node n.
func (s *source) decode(n ast.Node, v reflect.Value, path string) {
	n = unwrap(n)
	if n == nil {
		return
	}
	if _, ok := n.(*ast.NullNode); ok {
		return // an empty key leaves the default
	}
	if _, ok := n.(*ast.AliasNode); ok {
		s.problem(path, "aliases are not supported")
		return
	}
	switch {
	case isStruct(v):
		ps, ok := pairs(n)
		if !ok {
			s.problem(path, "must be a mapping of keys, got %s", describe(n))
			return
		}
		prefix := ""
		if path != "" {
			prefix = path + "."
		}
		for _, mv := range ps {
			key := keyText(mv.Key)
			kp := prefix + key
			if first, dup := s.lines[kp]; dup {
				s.lines[kp] = line(mv.Key)
				s.problem(kp, "defined twice (first at line %d)", first)
				continue
			}
			s.lines[kp] = line(mv.Key)
			f, ok := field(v, key)
			if !ok {
				s.problem(kp, "unknown key%s", suggest(s.root, prefix, key, keys(v.Type())))
				continue
			}
			s.decode(mv.Value, f, kp)
		}
	case v.Type() == listType:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			s.problem(path, "must be a list such as [a, b], got %s", describe(n))
			return
		}
		list := make([]string, 0, len(seq.Values))
		for i, item := range seq.Values {
			ip := fmt.Sprintf("%s[%d]", path, i)
			s.lines[ip] = line(item)
			text, ok := scalar(unwrap(item))
			if !ok {
				s.problem(ip, "must be a string, got %s", describe(item))
				continue
			}
			list = append(list, text)
		}
		v.Set(reflect.ValueOf(list))
	case v.Type() == countsType:
		ps, ok := pairs(n)
		if !ok {
			s.problem(path, "must be a mapping of topic to partition count, got %s", describe(n))
			return
		}
		m := map[string]int{}
		for _, mv := range ps {
			key := keyText(mv.Key)
			kp := fmt.Sprintf("%s[%q]", path, key)
			if first, dup := s.lines[kp]; dup {
				s.lines[kp] = line(mv.Key)
				s.problem(kp, "defined twice (first at line %d)", first)
				continue
			}
			s.lines[kp] = line(mv.Key)
			text, ok := scalar(unwrap(mv.Value))
			n, err := strconv.Atoi(text)
			if !ok || err != nil {
				s.problem(kp, "must be a partition count, got %s", quote(mv.Value))
				continue
			}
			m[key] = n
		}
		v.Set(reflect.ValueOf(m))
	default:
		text, ok := scalar(n)
		if !ok {
			s.problem(path, "must be a %s, got %s", kindName(v), describe(n))
			return
		}
		if err := setScalar(v, text); err != nil {
			s.problem(path, "%v", err)
		}
	}
}

// describe names the kind of a YAML value for messages. It quotes no
// scalar, lest a secret be written under the wrong key; see quote.
func describe(n ast.Node) string {
	n = unwrap(n)
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.NullNode:
		return "null"
	case *ast.AliasNode:
		return "an alias"
	}
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	}
	return "an unsupported value"
}

// quote returns a scalar's text quoted and shortened, or describe's
// answer; only for settings that are never secret.
func quote(n ast.Node) string {
	if text, ok := scalar(unwrap(n)); ok {
		if len(text) > 40 {
			text = text[:40] + "…"
		}
		return strconv.Quote(text)
	}
	return describe(n)
}

// resolve makes the relative file names from the file relative to its
// directory.
func (s *source) resolve(v reflect.Value) {
	dir := filepath.Dir(s.file)
	walk(v, "", func(path string, f reflect.Value, sf reflect.StructField) {
		if !isFile(sf) || f.Kind() != reflect.String {
			return
		}
		if _, fromFile := s.lines[path]; fromFile && f.String() != "" && !filepath.IsAbs(f.String()) {
			f.SetString(filepath.Join(dir, f.String()))
		}
	})
}
