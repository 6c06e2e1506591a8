package soql

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// reserved are the SOQL keywords that cannot be object or field names.
var reserved = map[string]bool{
	"AND": true, "ASC": true, "DESC": true, "EXCLUDES": true, "FIRST": true,
	"FROM": true, "GROUP": true, "HAVING": true, "IN": true, "INCLUDES": true,
	"LAST": true, "LIKE": true, "LIMIT": true, "NOT": true, "NULL": true,
	"NULLS": true, "OR": true, "SELECT": true, "WHERE": true, "WITH": true,
	"TRUE": true, "FALSE": true,
}

// String returns q as SOQL text, with upper-case keywords and single
// spaces. It does not check q; use [Query.Build] for a query assembled from
// outside input.
func (q *Query) String() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if q.Count {
		b.WriteString("COUNT()")
	} else {
		b.WriteString(strings.Join(q.Fields, ", "))
	}
	b.WriteString(" FROM ")
	b.WriteString(q.Object)
	if q.Where != nil {
		b.WriteString(" WHERE ")
		q.Where.format(&b)
	}
	for i, o := range q.OrderBy {
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(o.Field)
		if o.Desc {
			b.WriteString(" DESC")
		}
		switch o.Nulls {
		case NullsFirst:
			b.WriteString(" NULLS FIRST")
		case NullsLast:
			b.WriteString(" NULLS LAST")
		}
	}
	if q.Limit > 0 {
		b.WriteString(" LIMIT " + strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		b.WriteString(" OFFSET " + strconv.Itoa(q.Offset))
	}
	return b.String()
}

// Build checks q and returns its SOQL text. It fails when a name is not a
// valid SOQL identifier or path (so that no outside input can change the
// query's structure), when a condition is empty, or when Limit or Offset
// is negative. Values are always quoted correctly.
func (q *Query) Build() (string, error) {
	if err := q.check(); err != nil {
		return "", fmt.Errorf("build query: %w", err)
	}
	return q.String(), nil
}

// ErrInvalidQuery is wrapped by [Query.Build] errors: the query cannot be
// written as SOQL.
var ErrInvalidQuery = errors.New("invalid query")

func (q *Query) check() error {
	if q.Count != (len(q.Fields) == 0) {
		return fmt.Errorf("%w: need either fields or COUNT()", ErrInvalidQuery)
	}
	for _, f := range q.Fields {
		if !validPath(f) {
			return fmt.Errorf("%w: field %q", ErrInvalidQuery, f)
		}
	}
	if !validName(q.Object) {
		return fmt.Errorf("%w: object %q", ErrInvalidQuery, q.Object)
	}
	if q.Where != nil {
		if err := checkExpr(q.Where); err != nil {
			return err
		}
	}
	for _, o := range q.OrderBy {
		if !validPath(o.Field) || o.Nulls < NullsDefault || o.Nulls > NullsLast {
			return fmt.Errorf("%w: order by %q", ErrInvalidQuery, o.Field)
		}
	}
	if q.Limit < 0 || q.Offset < 0 {
		return fmt.Errorf("%w: negative limit or offset", ErrInvalidQuery)
	}
	return nil
}

func checkExpr(e Expr) error {
	switch e := e.(type) {
	case *Logical:
		if e == nil || len(e.Terms) < 2 || (e.Op != OpAnd && e.Op != OpOr) {
			return fmt.Errorf("%w: logical condition needs two terms", ErrInvalidQuery)
		}
		for _, t := range e.Terms {
			if err := checkExpr(t); err != nil {
				return err
			}
		}
		return nil
	case *NotExpr:
		if e == nil || e.X == nil {
			return fmt.Errorf("%w: empty NOT", ErrInvalidQuery)
		}
		return checkExpr(e.X)
	case *Comparison:
		if e == nil || !validPath(e.Field) || e.Op < OpEq || e.Op > OpLike {
			return fmt.Errorf("%w: comparison", ErrInvalidQuery)
		}
		return checkLiteral(e.Value)
	case *InExpr:
		if e == nil || !validPath(e.Field) || len(e.Values) == 0 {
			return fmt.Errorf("%w: IN", ErrInvalidQuery)
		}
		for _, v := range e.Values {
			if err := checkLiteral(v); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%w: condition %T", ErrInvalidQuery, e)
}

func checkLiteral(l Literal) error {
	if l.Relative == "" {
		return nil
	}
	takesN, ok := relativeDates[l.Relative]
	if !ok || (takesN && l.N < 0) || (!takesN && l.N != 0) {
		return fmt.Errorf("%w: date literal %s", ErrInvalidQuery, l.Relative)
	}
	return nil
}

// validName reports whether s is a SOQL identifier: a letter followed by
// letters, digits and underscores, and not a reserved word.
func validName(s string) bool {
	if s == "" || !isLetter(s[0]) || reserved[strings.ToUpper(s)] {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isLetter(s[i]) && !isDigit(s[i]) && s[i] != '_' {
			return false
		}
	}
	return true
}

// validPath reports whether s is a dot-separated list of names.
func validPath(s string) bool {
	for p := range strings.SplitSeq(s, ".") {
		if !validName(p) {
			return false
		}
	}
	return true
}

func (e *Logical) format(b *strings.Builder) {
	sep := " AND "
	if e.Op == OpOr {
		sep = " OR "
	}
	for i, t := range e.Terms {
		if i > 0 {
			b.WriteString(sep)
		}
		formatOperand(b, t)
	}
}

// formatOperand writes t, in parentheses when it is a logical condition.
func formatOperand(b *strings.Builder, t Expr) {
	if _, ok := t.(*Logical); ok {
		b.WriteByte('(')
		t.format(b)
		b.WriteByte(')')
		return
	}
	t.format(b)
}

func (e *NotExpr) format(b *strings.Builder) {
	b.WriteString("NOT ")
	formatOperand(b, e.X)
}

func (e *Comparison) format(b *strings.Builder) {
	b.WriteString(e.Field)
	b.WriteByte(' ')
	b.WriteString(e.Op.String())
	b.WriteByte(' ')
	b.WriteString(e.Value.String())
}

func (e *InExpr) format(b *strings.Builder) {
	b.WriteString(e.Field)
	if e.Not {
		b.WriteString(" NOT")
	}
	b.WriteString(" IN (")
	for i, v := range e.Values {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.String())
	}
	b.WriteByte(')')
}
