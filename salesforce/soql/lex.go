package soql

import (
	"strings"
	"time"
	"unicode/utf8"
)

// tokKind is the kind of a lexical token.
type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tDate
	tDateTime
	tComma
	tLParen
	tRParen
	tDot
	tColon
	tOp // = != <> < <= > >=
)

// token is one lexical token: its kind, its source text, its decoded value
// for literals, and its position.
type token struct {
	kind tokKind
	text string
	val  Value
	pos  Pos
}

// describe returns the token as Salesforce quotes it in "unexpected token"
// messages.
func (t token) describe() string {
	if t.kind == tEOF {
		return "<EOF>"
	}
	return "'" + t.text + "'"
}

// lexer splits SOQL text into tokens, tracking row and column (in runes).
type lexer struct {
	src      string
	off      int
	row, col int
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// lex returns every token of src, ending with tEOF.
func lex(src string) ([]token, error) {
	l := &lexer{src: src, row: 1, col: 1}
	var toks []token
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		if t.kind == tEOF {
			return toks, nil
		}
	}
}

// advance moves past n bytes, updating the row and column.
func (l *lexer) advance(n int) {
	end := l.off + n
	for l.off < end {
		r, size := utf8.DecodeRuneInString(l.src[l.off:])
		l.off += size
		if r == '\n' {
			l.row++
			l.col = 1
		} else {
			l.col++
		}
	}
}

func (l *lexer) peek(i int) byte {
	if l.off+i < len(l.src) {
		return l.src[l.off+i]
	}
	return 0
}

func (l *lexer) next() (token, error) {
	for l.off < len(l.src) {
		c := l.src[l.off]
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' {
			break
		}
		l.advance(1)
	}
	start := l.off
	pos := Pos{l.row, l.col}
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: pos}, nil
	}
	simple := func(k tokKind, n int) (token, error) {
		l.advance(n)
		return token{kind: k, text: l.src[start:l.off], pos: pos}, nil
	}
	c := l.src[l.off]
	switch {
	case isLetter(c):
		n := 1
		for c := l.peek(n); isLetter(c) || isDigit(c) || c == '_'; c = l.peek(n) {
			n++
		}
		return simple(tIdent, n)
	case isDigit(c) || (c == '-' || c == '+') && isDigit(l.peek(1)):
		return l.number(pos)
	case c == '\'':
		return l.str(pos)
	case c == ',':
		return simple(tComma, 1)
	case c == '(':
		return simple(tLParen, 1)
	case c == ')':
		return simple(tRParen, 1)
	case c == '.':
		return simple(tDot, 1)
	case c == ':':
		return simple(tColon, 1)
	case c == '=':
		return simple(tOp, 1)
	case c == '!' && l.peek(1) == '=':
		return simple(tOp, 2)
	case c == '<' && (l.peek(1) == '=' || l.peek(1) == '>'):
		return simple(tOp, 2)
	case c == '>' && l.peek(1) == '=':
		return simple(tOp, 2)
	case c == '<' || c == '>':
		return simple(tOp, 1)
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.off:])
	return token{}, errAt(CodeMalformedQuery, pos, "unexpected token: '%s'", string(r))
}

// digits returns how many ASCII digits start at offset i from l.off.
func (l *lexer) digits(i int) int {
	n := 0
	for isDigit(l.peek(i + n)) {
		n++
	}
	return n
}

// number lexes a number, a date or a datetime.
func (l *lexer) number(pos Pos) (token, error) {
	start := l.off
	signed := l.src[start] == '-' || l.src[start] == '+'
	if !signed && l.digits(0) == 4 && l.peek(4) == '-' && l.digits(5) == 2 && l.peek(7) == '-' && l.digits(8) == 2 {
		return l.date(pos)
	}
	n := 0
	if signed {
		n = 1
	}
	n += l.digits(n)
	if l.peek(n) == '.' && isDigit(l.peek(n+1)) {
		n++
		n += l.digits(n)
	}
	l.advance(n)
	text := l.src[start:l.off]
	f, err := parseFloat(text)
	if err != nil {
		return token{}, errAt(CodeMalformedQuery, pos, "invalid number: '%s'", text)
	}
	return token{kind: tNumber, text: text, val: Number(f), pos: pos}, nil
}

// date lexes 2024-01-15 and the datetime forms 2024-01-15T10:30:00Z,
// …T10:30:00.000Z, …T10:30:00+0000 and …T10:30:00+00:00.
func (l *lexer) date(pos Pos) (token, error) {
	start := l.off
	n := 10
	if l.peek(n) != 'T' && l.peek(n) != 't' {
		l.advance(n)
		text := l.src[start:l.off]
		t, err := time.Parse(time.DateOnly, text)
		if err != nil {
			return token{}, errAt(CodeMalformedQuery, pos, "invalid date: '%s'", text)
		}
		return token{kind: tDate, text: text, val: Date(t), pos: pos}, nil
	}
	bad := func() (token, error) {
		end := l.off + n
		for end < len(l.src) && (isDigit(l.src[end]) || strings.IndexByte(":.+-TZtz", l.src[end]) >= 0) {
			end++
		}
		return token{}, errAt(CodeMalformedQuery, pos, "invalid datetime: '%s'", l.src[start:end])
	}
	n++
	if l.digits(n) != 2 || l.peek(n+2) != ':' || l.digits(n+3) != 2 || l.peek(n+5) != ':' || l.digits(n+6) != 2 {
		return bad()
	}
	n += 8
	if l.peek(n) == '.' {
		d := l.digits(n + 1)
		if d == 0 || d > 9 {
			return bad()
		}
		n += 1 + d
	}
	switch l.peek(n) {
	case 'Z', 'z':
		n++
	case '+', '-':
		switch {
		case l.digits(n+1) == 4:
			n += 5
		case l.digits(n+1) == 2 && l.peek(n+3) == ':' && l.digits(n+4) == 2:
			n += 6
		default:
			return bad()
		}
	default:
		return bad()
	}
	text := l.src[start : l.off+n]
	norm := strings.ToUpper(text)
	if k := len(norm) - 5; norm[k] == '+' || norm[k] == '-' { // +hhmm → +hh:mm
		norm = norm[:k+3] + ":" + norm[k+3:]
	}
	t, err := time.Parse(time.RFC3339Nano, norm)
	// A datetime whose UTC year leaves 1..9999 (0001-01-01T00:00:00+0100)
	// has no four-digit form to format back to.
	if err != nil || t.UTC().Year() < 1 || t.UTC().Year() > 9999 {
		return bad()
	}
	l.advance(n)
	return token{kind: tDateTime, text: text, val: DateTime(t), pos: pos}, nil
}

// str lexes a single-quoted string with backslash escapes. \% and \_ are
// kept with their backslash for LIKE; other escapes decode to their
// character.
func (l *lexer) str(pos Pos) (token, error) {
	start := l.off
	var b strings.Builder
	i := 1
	for {
		if l.off+i >= len(l.src) {
			l.advance(i)
			return token{}, errAt(CodeMalformedQuery, pos, "unterminated string literal")
		}
		c := l.src[l.off+i]
		switch c {
		case '\'':
			l.advance(i + 1)
			return token{kind: tString, text: l.src[start:l.off], val: String(b.String()), pos: pos}, nil
		case '\\':
			e := l.peek(i + 1)
			switch e {
			case 'n', 'N':
				b.WriteByte('\n')
			case 'r', 'R':
				b.WriteByte('\r')
			case 't', 'T':
				b.WriteByte('\t')
			case 'b', 'B':
				b.WriteByte('\b')
			case 'f', 'F':
				b.WriteByte('\f')
			case '"', '\'', '\\':
				b.WriteByte(e)
			case '%', '_':
				b.WriteByte('\\')
				b.WriteByte(e)
			default:
				l.advance(i)
				return token{}, errAt(CodeMalformedQuery, Pos{l.row, l.col},
					"Invalid string literal '%s'. Illegal character sequence '\\%s' in string literal.",
					l.src[start:l.off], escapeShown(e))
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
}

func escapeShown(c byte) string {
	if c == 0 {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(string(c))
	return string(r)
}
