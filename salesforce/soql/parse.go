package soql

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parse parses SOQL text into a [Query]. Syntax errors are [*Error] values
// with code [CodeMalformedQuery] and the position of the offending token.
// Parse does not check names against any object definition; see
// [Query.Resolve].
func Parse(text string) (*Query, error) {
	if n := utf8.RuneCountInString(text); n > MaxLength {
		return nil, &Error{Code: CodeMalformedQuery, Message: fmt.Sprintf("query of %d characters: the limit is %d", n, MaxLength)}
	}
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	return q, nil
}

// Limits of a query. Salesforce's statements may be 100,000 characters
// long; the nesting limit is sfsync's, so that a hostile query cannot make
// the parser recurse, or every record's evaluation walk, without bound.
const (
	MaxLength = 100_000
	// MaxDepth bounds the nesting of NOT and parentheses in WHERE.
	MaxDepth = 64
)

// parser is a recursive-descent parser over a token slice.
type parser struct {
	toks  []token
	i     int
	depth int // of NOT and parentheses around the current token
}

func (p *parser) tok() token { return p.toks[p.i] }

func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) unexpected() *Error {
	t := p.tok()
	return errAt(CodeMalformedQuery, t.pos, "unexpected token: %s", t.describe())
}

// isKeyword reports whether the current token is the keyword kw.
func (p *parser) isKeyword(kw string) bool {
	t := p.tok()
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) keyword(kw string) error {
	if !p.isKeyword(kw) {
		return p.unexpected()
	}
	p.i++
	return nil
}

func (p *parser) expect(k tokKind) error {
	if p.tok().kind != k {
		return p.unexpected()
	}
	p.i++
	return nil
}

func (p *parser) query() (*Query, error) {
	q := &Query{}
	if err := p.keyword("SELECT"); err != nil {
		return nil, err
	}
	if p.isKeyword("COUNT") && p.peekAt(1).kind == tLParen {
		p.i += 2
		if err := p.expect(tRParen); err != nil {
			return nil, err
		}
		q.Count = true
	} else {
		for {
			pos := p.tok().pos
			f, err := p.path()
			if err != nil {
				return nil, err
			}
			q.Fields = append(q.Fields, f)
			q.fieldPos = append(q.fieldPos, pos)
			if p.tok().kind != tComma {
				break
			}
			p.i++
		}
	}
	if err := p.keyword("FROM"); err != nil {
		return nil, err
	}
	q.objectPos = p.tok().pos
	obj, err := p.name()
	if err != nil {
		return nil, err
	}
	q.Object = obj
	if p.isKeyword("WHERE") {
		p.i++
		if q.Where, err = p.condition(); err != nil {
			return nil, err
		}
	}
	if p.isKeyword("ORDER") && strings.EqualFold(p.peekAt(1).text, "BY") && p.peekAt(1).kind == tIdent {
		p.i += 2
		if q.OrderBy, err = p.orderBy(); err != nil {
			return nil, err
		}
	}
	if p.isKeyword("LIMIT") {
		p.i++
		if q.Limit, err = p.count(1); err != nil {
			return nil, err
		}
	}
	if p.isKeyword("OFFSET") {
		p.i++
		if q.Offset, err = p.count(0); err != nil {
			return nil, err
		}
	}
	if p.tok().kind != tEOF {
		return nil, p.unexpected()
	}
	return q, nil
}

// name parses one identifier that is not a reserved word.
func (p *parser) name() (string, error) {
	t := p.tok()
	if t.kind != tIdent || reserved[strings.ToUpper(t.text)] {
		return "", p.unexpected()
	}
	p.i++
	return t.text, nil
}

// path parses name(.name)*.
func (p *parser) path() (string, error) {
	s, err := p.name()
	if err != nil {
		return "", err
	}
	for p.tok().kind == tDot {
		p.i++
		n, err := p.name()
		if err != nil {
			return "", err
		}
		s += "." + n
	}
	return s, nil
}

// count parses a non-negative integer of at least minimum.
func (p *parser) count(minimum int) (int, error) {
	t := p.tok()
	if t.kind != tNumber {
		return 0, p.unexpected()
	}
	n, err := strconv.Atoi(t.text)
	if err != nil || n < minimum || n > math.MaxInt32 || t.text[0] == '+' || t.text[0] == '-' {
		return 0, errAt(CodeMalformedQuery, t.pos, "invalid integer: '%s'", t.text)
	}
	p.i++
	return n, nil
}

func (p *parser) orderBy() ([]Order, error) {
	var list []Order
	for {
		o := Order{pos: p.tok().pos}
		f, err := p.path()
		if err != nil {
			return nil, err
		}
		o.Field = f
		switch {
		case p.isKeyword("ASC"):
			p.i++
		case p.isKeyword("DESC"):
			p.i++
			o.Desc = true
		}
		if p.isKeyword("NULLS") {
			p.i++
			switch {
			case p.isKeyword("FIRST"):
				o.Nulls = NullsFirst
			case p.isKeyword("LAST"):
				o.Nulls = NullsLast
			default:
				return nil, p.unexpected()
			}
			p.i++
		}
		list = append(list, o)
		if p.tok().kind != tComma {
			return list, nil
		}
		p.i++
	}
}

// condition parses unary terms joined by one logical operator; mixing AND
// and OR without parentheses is a syntax error, as in Salesforce.
func (p *parser) condition() (Expr, error) {
	first, err := p.unary()
	if err != nil {
		return nil, err
	}
	var op LogicalOp
	switch {
	case p.isKeyword("AND"):
		op = OpAnd
	case p.isKeyword("OR"):
		op = OpOr
	default:
		return first, nil
	}
	kw := strings.ToUpper(p.tok().text)
	l := &Logical{Op: op, Terms: []Expr{first}}
	for p.isKeyword(kw) {
		p.i++
		t, err := p.unary()
		if err != nil {
			return nil, err
		}
		l.Terms = append(l.Terms, t)
	}
	if p.isKeyword("AND") || p.isKeyword("OR") {
		return nil, p.unexpected()
	}
	return l, nil
}

func (p *parser) unary() (Expr, error) {
	if p.isKeyword("NOT") || p.tok().kind == tLParen {
		if p.depth == MaxDepth {
			return nil, errAt(CodeQueryTooComplicated, p.tok().pos, "NOT and parentheses nested deeper than %d", MaxDepth)
		}
		p.depth++
		defer func() { p.depth-- }()
	}
	if p.isKeyword("NOT") {
		p.i++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &NotExpr{X: x}, nil
	}
	if p.tok().kind == tLParen {
		p.i++
		x, err := p.condition()
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRParen); err != nil {
			return nil, err
		}
		return x, nil
	}
	return p.predicate()
}

var ops = map[string]Op{"=": OpEq, "!=": OpNe, "<>": OpNe, "<": OpLt, "<=": OpLe, ">": OpGt, ">=": OpGe}

func (p *parser) predicate() (Expr, error) {
	pos := p.tok().pos
	f, err := p.path()
	if err != nil {
		return nil, err
	}
	t := p.tok()
	switch {
	case t.kind == tOp:
		p.i++
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		return &Comparison{Field: f, Op: ops[t.text], Value: v, pos: pos}, nil
	case p.isKeyword("LIKE"):
		p.i++
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		return &Comparison{Field: f, Op: OpLike, Value: v, pos: pos}, nil
	case p.isKeyword("IN"):
		p.i++
		return p.inList(f, false, pos)
	case p.isKeyword("NOT") && p.peekAt(1).kind == tIdent && strings.EqualFold(p.peekAt(1).text, "IN"):
		p.i += 2
		return p.inList(f, true, pos)
	}
	return nil, p.unexpected()
}

func (p *parser) inList(field string, not bool, pos Pos) (Expr, error) {
	if err := p.expect(tLParen); err != nil {
		return nil, err
	}
	e := &InExpr{Field: field, Not: not, pos: pos}
	for {
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		e.Values = append(e.Values, v)
		if p.tok().kind != tComma {
			break
		}
		p.i++
	}
	if err := p.expect(tRParen); err != nil {
		return nil, err
	}
	return e, nil
}

func (p *parser) literal() (Literal, error) {
	t := p.tok()
	switch t.kind {
	case tString, tNumber, tDate, tDateTime:
		p.i++
		return Lit(t.val), nil
	case tIdent:
		up := strings.ToUpper(t.text)
		switch up {
		case "TRUE", "FALSE":
			p.i++
			return Lit(Bool(up == "TRUE")), nil
		case "NULL":
			p.i++
			return Lit(Null()), nil
		}
		takesN, ok := relativeDates[up]
		if !ok {
			break
		}
		p.i++
		l := Literal{Relative: up}
		if takesN {
			if err := p.expect(tColon); err != nil {
				return Literal{}, err
			}
			n, err := p.count(0)
			if err != nil {
				return Literal{}, err
			}
			l.N = n
		}
		return l, nil
	}
	return Literal{}, p.unexpected()
}

func parseFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	return f, nil
}
