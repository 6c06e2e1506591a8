package soql

import (
	"strconv"
	"strings"
)

// Query is a parsed or built SOQL query. Field and object names are as
// written until [Query.Resolve] rewrites them to their canonical API names.
// A Query is not safe for concurrent use while it is being resolved;
// otherwise its methods only read it.
type Query struct {
	// Fields are the selected field paths, such as "Name" or
	// "Account.Name", in SELECT order. Empty when Count is set.
	Fields []string
	// Count reports SELECT COUNT().
	Count bool
	// Object is the object of the FROM clause, such as "Account".
	Object string
	// Where is the WHERE condition, or nil for none.
	Where Expr
	// OrderBy lists the ORDER BY items; empty for none.
	OrderBy []Order
	// Limit is the LIMIT value; 0 means no LIMIT clause (Parse rejects
	// LIMIT 0).
	Limit int
	// Offset is the OFFSET value; 0 means no OFFSET clause.
	Offset int

	fieldPos  []Pos // positions of Fields, set by Parse
	objectPos Pos
}

// Nulls is where an ORDER BY item puts null values.
type Nulls int

// The NULLS options. NullsDefault (no NULLS clause) sorts nulls first.
const (
	NullsDefault Nulls = iota
	NullsFirst
	NullsLast
)

// Order is one ORDER BY item.
type Order struct {
	// Field is the field path to sort by.
	Field string
	// Desc reports DESC; the default is ASC.
	Desc bool
	// Nulls is the NULLS clause.
	Nulls Nulls

	pos Pos
}

// Expr is a WHERE condition: a [*Logical], [*NotExpr], [*Comparison] or
// [*InExpr].
type Expr interface {
	// format appends the condition's SOQL text.
	format(b *strings.Builder)
}

// LogicalOp is AND or OR.
type LogicalOp int

// The logical operators.
const (
	OpAnd LogicalOp = iota
	OpOr
)

// Logical is two or more conditions joined by the same operator.
type Logical struct {
	Op    LogicalOp
	Terms []Expr
}

// NotExpr is NOT followed by a condition.
type NotExpr struct{ X Expr }

// Op is a comparison operator.
type Op int

// The comparison operators. OpNe is written != and also parsed from <>.
const (
	OpEq Op = iota
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	OpLike
)

var opText = [...]string{OpEq: "=", OpNe: "!=", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">=", OpLike: "LIKE"}

// String returns the operator as SOQL writes it.
func (o Op) String() string {
	if o < 0 || int(o) >= len(opText) {
		return "Op(" + strconv.Itoa(int(o)) + ")"
	}
	return opText[o]
}

// Comparison is "Field Op Value".
type Comparison struct {
	Field string
	Op    Op
	Value Literal

	pos Pos
}

// InExpr is "Field IN (values)" or, with Not, "Field NOT IN (values)".
type InExpr struct {
	Field  string
	Not    bool
	Values []Literal

	pos Pos
}

// Literal is the right-hand side of a comparison: a fixed [Value] or, when
// Relative is set, a relative date literal.
type Literal struct {
	// Value is the literal's value when Relative is empty.
	Value Value
	// Relative is TODAY, YESTERDAY, TOMORROW, LAST_N_DAYS or NEXT_N_DAYS,
	// or "" for a fixed value.
	Relative string
	// N is the n of LAST_N_DAYS:n and NEXT_N_DAYS:n.
	N int
}

// Lit returns the fixed literal v.
func Lit(v Value) Literal { return Literal{Value: v} }

// relative date literal names and whether they take :n.
var relativeDates = map[string]bool{
	"TODAY": false, "YESTERDAY": false, "TOMORROW": false,
	"LAST_N_DAYS": true, "NEXT_N_DAYS": true,
}

// String returns the literal as SOQL writes it.
func (l Literal) String() string {
	if l.Relative == "" {
		return l.Value.String()
	}
	if relativeDates[l.Relative] {
		return l.Relative + ":" + strconv.Itoa(l.N)
	}
	return l.Relative
}

// And returns the conjunction of terms; a single term is returned as is.
func And(terms ...Expr) Expr { return logical(OpAnd, terms) }

// Or returns the disjunction of terms; a single term is returned as is.
func Or(terms ...Expr) Expr { return logical(OpOr, terms) }

func logical(op LogicalOp, terms []Expr) Expr {
	if len(terms) == 1 {
		return terms[0]
	}
	return &Logical{Op: op, Terms: terms}
}

// Not returns NOT x.
func Not(x Expr) Expr { return &NotExpr{X: x} }

// Cmp returns the comparison "field op v".
func Cmp(field string, op Op, v Value) Expr {
	return &Comparison{Field: field, Op: op, Value: Lit(v)}
}

// In returns "field IN (values)".
func In(field string, values ...Value) Expr {
	e := &InExpr{Field: field}
	for _, v := range values {
		e.Values = append(e.Values, Lit(v))
	}
	return e
}

// NotIn returns "field NOT IN (values)".
func NotIn(field string, values ...Value) Expr {
	e := In(field, values...).(*InExpr)
	e.Not = true
	return e
}
