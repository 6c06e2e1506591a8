package soql

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Record is a row a query is evaluated against. Get returns the value of a
// field path as the query names it (the canonical API name after
// [Query.Resolve], such as "Name" or "Account.Name"), and false when the
// record has no such field, which reads as null.
type Record interface {
	Get(field string) (Value, bool)
}

// Map is a [Record] backed by a map from field path to value; lookups are
// exact, so key it by canonical API names and resolve queries first.
type Map map[string]Value

// Get returns m[field].
func (m Map) Get(field string) (Value, bool) {
	v, ok := m[field]
	return v, ok
}

func get(rec Record, field string) Value {
	v, ok := rec.Get(field)
	if !ok {
		return Null()
	}
	return v
}

// Match reports whether rec satisfies q's WHERE clause; a query without one
// matches every record. Relative date literals are whole days in now's
// location. Values of kinds that cannot be compared (a text field against a
// number literal, say) do not match; [Query.Resolve] reports such queries
// as errors beforehand.
func (q *Query) Match(rec Record, now time.Time) bool {
	if q.Where == nil {
		return true
	}
	return eval(q.Where, rec, now)
}

func eval(e Expr, rec Record, now time.Time) bool {
	switch e := e.(type) {
	case *Logical:
		for _, t := range e.Terms {
			if eval(t, rec, now) != (e.Op == OpAnd) {
				return e.Op != OpAnd
			}
		}
		return e.Op == OpAnd
	case *NotExpr:
		return !eval(e.X, rec, now)
	case *Comparison:
		return compareLit(get(rec, e.Field), e.Op, e.Value, now)
	case *InExpr:
		v := get(rec, e.Field)
		found := false
		for _, l := range e.Values {
			if compareLit(v, OpEq, l, now) {
				found = true
				break
			}
		}
		return found != e.Not
	}
	return false
}

// compareLit evaluates "v op l".
func compareLit(v Value, op Op, l Literal, now time.Time) bool {
	if l.Relative != "" {
		return compareRange(v, op, l, now)
	}
	w := l.Value
	if op == OpLike {
		return v.kind == KindString && w.kind == KindString && like(v.str, w.str)
	}
	if v.IsNull() || w.IsNull() {
		switch op {
		case OpEq:
			return v.IsNull() && w.IsNull()
		case OpNe:
			return v.IsNull() != w.IsNull()
		}
		return false
	}
	c, ok := compareValues(v, w)
	if !ok {
		return false
	}
	switch op {
	case OpEq:
		return c == 0
	case OpNe:
		return c != 0
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	case OpGt:
		return c > 0
	case OpGe:
		return c >= 0
	}
	return false
}

// compareValues orders two non-null values of comparable kinds: text
// ignoring case, numbers, booleans (false first), and dates and datetimes
// by time (a date counts as midnight UTC of its day).
func compareValues(v, w Value) (int, bool) {
	switch {
	case v.kind == KindString && w.kind == KindString:
		return foldCompare(v.str, w.str), true
	case v.kind == KindNumber && w.kind == KindNumber, v.kind == KindBool && w.kind == KindBool:
		return cmp.Compare(v.num, w.num), true
	case isTime(v.kind) && isTime(w.kind):
		return v.t.Compare(w.t), true
	}
	return 0, false
}

func isTime(k Kind) bool { return k == KindDate || k == KindDateTime }

// foldCompare compares strings ignoring case.
func foldCompare(a, b string) int {
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// dayRange returns the days [from, to) a relative literal covers, counted
// from today (0).
func dayRange(l Literal) (from, to int) {
	switch l.Relative {
	case "YESTERDAY":
		return -1, 0
	case "TOMORROW":
		return 1, 2
	case "LAST_N_DAYS":
		return -l.N, 1
	case "NEXT_N_DAYS":
		return 0, l.N + 1
	}
	return 0, 1 // TODAY
}

// compareRange evaluates "v op l" for a relative date literal l: = is
// inside the range, < before its start, <= before its end, > at or after
// its end, >= at or after its start.
func compareRange(v Value, op Op, l Literal, now time.Time) bool {
	if !isTime(v.kind) {
		return op == OpNe && v.IsNull()
	}
	from, to := dayRange(l)
	y, m, d := now.Date()
	var start, end time.Time
	if v.kind == KindDate {
		start = time.Date(y, m, d+from, 0, 0, 0, 0, time.UTC)
		end = time.Date(y, m, d+to, 0, 0, 0, 0, time.UTC)
	} else {
		start = time.Date(y, m, d+from, 0, 0, 0, 0, now.Location())
		end = time.Date(y, m, d+to, 0, 0, 0, 0, now.Location())
	}
	t := v.t
	in := !t.Before(start) && t.Before(end)
	switch op {
	case OpEq:
		return in
	case OpNe:
		return !in
	case OpLt:
		return t.Before(start)
	case OpLe:
		return t.Before(end)
	case OpGt:
		return !t.Before(end)
	case OpGe:
		return !t.Before(start)
	}
	return false
}

// like reports whether s matches the LIKE pattern, ignoring case: % matches
// any run of characters, _ one character, and \% and \_ themselves.
func like(s, pattern string) bool {
	return likeMatch(strings.ToLower(s), strings.ToLower(pattern))
}

func likeMatch(s, p string) bool {
	// Iterative wildcard matching with backtracking to the last %.
	var starP, starS = -1, 0
	i, j := 0, 0
	for i < len(s) {
		if j < len(p) {
			c := p[j]
			switch {
			case c == '%':
				starP, starS = j, i
				j++
				continue
			case c == '_':
				_, size := utf8.DecodeRuneInString(s[i:])
				i += size
				j++
				continue
			case c == '\\' && j+1 < len(p) && (p[j+1] == '%' || p[j+1] == '_'):
				if s[i] == p[j+1] {
					i++
					j += 2
					continue
				}
			case s[i] == c:
				i++
				j++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		_, size := utf8.DecodeRuneInString(s[starS:])
		starS += size
		i = starS
		j = starP + 1
	}
	for j < len(p) && p[j] == '%' {
		j++
	}
	return j == len(p)
}

// Compare orders two records by q's ORDER BY items, returning a negative
// number when a sorts before b, zero when they tie and a positive number
// otherwise. Nulls sort first unless the item says NULLS LAST, in both
// directions; text sorts ignoring case; values of different kinds sort by
// kind.
func (q *Query) Compare(a, b Record) int {
	for _, o := range q.OrderBy {
		va, vb := get(a, o.Field), get(b, o.Field)
		if va.IsNull() || vb.IsNull() {
			if va.IsNull() == vb.IsNull() {
				continue
			}
			first := -1
			if o.Nulls == NullsLast {
				first = 1
			}
			if va.IsNull() {
				return first
			}
			return -first
		}
		c, ok := compareValues(va, vb)
		if !ok {
			c = cmp.Compare(va.kind, vb.kind)
		}
		if o.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// Run evaluates q over recs: the records that match, stably sorted by
// ORDER BY, after skipping OFFSET rows and keeping at most LIMIT. It
// returns a new slice and leaves recs alone. For SELECT COUNT() the answer
// is the length of the result.
func Run[R Record](q *Query, recs []R, now time.Time) []R {
	var out []R
	for _, r := range recs {
		if q.Match(r, now) {
			out = append(out, r)
		}
	}
	if len(q.OrderBy) > 0 {
		slices.SortStableFunc(out, func(a, b R) int { return q.Compare(a, b) })
	}
	if q.Offset > 0 {
		out = out[min(q.Offset, len(out)):]
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out
}
