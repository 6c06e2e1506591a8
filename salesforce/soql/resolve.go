package soql

import (
	"strconv"
	"strings"
)

// FieldType is the type of a field as far as queries care.
type FieldType int

// The field types. TypeString covers every text-like type (string,
// picklist, email, phone, url, textarea); TypeNumber covers int, double,
// currency and percent; TypeRelationship is a relationship name such as
// Account on Contact, usable only inside a path.
const (
	TypeString FieldType = iota
	TypeID
	TypeNumber
	TypeBoolean
	TypeDate
	TypeDateTime
	TypeRelationship
)

var typeNames = [...]string{
	TypeString: "string", TypeID: "id", TypeNumber: "double", TypeBoolean: "boolean",
	TypeDate: "date", TypeDateTime: "dateTime", TypeRelationship: "relationship",
}

// String returns the type's Salesforce name, as error messages print it.
func (t FieldType) String() string {
	if t < 0 || int(t) >= len(typeNames) {
		return "FieldType(" + strconv.Itoa(int(t)) + ")"
	}
	return typeNames[t]
}

// FieldDef describes one field of an object.
type FieldDef struct {
	// Name is the field's canonical API name, such as "Name".
	Name string
	// Type is the field's type.
	Type FieldType
	// ReferenceTo is the object a TypeRelationship field points to.
	ReferenceTo string
}

// Describer answers what objects and fields exist. Lookups ignore case, as
// Salesforce does. Implementations must be safe for concurrent use if the
// caller resolves queries concurrently.
type Describer interface {
	// Object returns the canonical API name of the object called name.
	Object(name string) (string, bool)
	// Field returns the field called name of object (a canonical name).
	Field(object, name string) (FieldDef, bool)
}

// Resolve checks q against d and rewrites its object and field names to
// their canonical API names, so that results and [Record] lookups use them.
// It reports an [*Error] with [CodeInvalidType] for an unknown object,
// [CodeInvalidField] for an unknown field or relationship or a literal of
// the wrong type, and [CodeInvalidFilterOperator] for an operator the
// field's type does not support (LIKE on anything but text, ordering
// comparisons on booleans). Resolve modifies q and must not run
// concurrently with other uses of q.
func (q *Query) Resolve(d Describer) error {
	obj, ok := d.Object(q.Object)
	if !ok {
		return errAt(CodeInvalidType, q.objectPos, "sObject type '%s' is not supported", q.Object)
	}
	q.Object = obj
	for i, f := range q.Fields {
		def, err := resolvePath(d, obj, f, posAt(q.fieldPos, i))
		if err != nil {
			return err
		}
		q.Fields[i] = def.Name
	}
	if q.Where != nil {
		if err := resolveExpr(d, obj, q.Where); err != nil {
			return err
		}
	}
	for i := range q.OrderBy {
		def, err := resolvePath(d, obj, q.OrderBy[i].Field, q.OrderBy[i].pos)
		if err != nil {
			return err
		}
		q.OrderBy[i].Field = def.Name
	}
	return nil
}

func posAt(ps []Pos, i int) Pos {
	if i < len(ps) {
		return ps[i]
	}
	return Pos{}
}

// resolvePath resolves a field path on object; the returned FieldDef has
// the canonical path as Name and the last field's type.
func resolvePath(d Describer, object, path string, pos Pos) (FieldDef, error) {
	parts := strings.Split(path, ".")
	canon := make([]string, len(parts))
	cur := object
	for i, p := range parts {
		def, ok := d.Field(cur, p)
		last := i == len(parts)-1
		switch {
		case !last && (!ok || def.Type != TypeRelationship):
			return FieldDef{}, errAt(CodeInvalidField, pos, "Didn't understand relationship '%s' in field path", p)
		case last && (!ok || def.Type == TypeRelationship):
			return FieldDef{}, errAt(CodeInvalidField, pos, "No such column '%s' on entity '%s'", p, cur)
		}
		canon[i] = def.Name
		if !last {
			cur = def.ReferenceTo
		} else {
			return FieldDef{Name: strings.Join(canon, "."), Type: def.Type}, nil
		}
	}
	return FieldDef{}, errAt(CodeInvalidField, pos, "No such column '%s' on entity '%s'", path, object)
}

func resolveExpr(d Describer, object string, e Expr) error {
	switch e := e.(type) {
	case *Logical:
		for _, t := range e.Terms {
			if err := resolveExpr(d, object, t); err != nil {
				return err
			}
		}
	case *NotExpr:
		return resolveExpr(d, object, e.X)
	case *Comparison:
		def, err := resolvePath(d, object, e.Field, e.pos)
		if err != nil {
			return err
		}
		e.Field = def.Name
		switch {
		case e.Op == OpLike && def.Type != TypeString:
			return errAt(CodeInvalidFilterOperator, e.pos, "invalid operator on field '%s' of type %s: LIKE", def.Name, def.Type)
		case e.Op >= OpLt && e.Op <= OpGe && def.Type == TypeBoolean:
			return errAt(CodeInvalidFilterOperator, e.pos, "invalid operator on field '%s' of type %s: %s", def.Name, def.Type, e.Op)
		}
		return checkType(def, e.Value, e.pos)
	case *InExpr:
		def, err := resolvePath(d, object, e.Field, e.pos)
		if err != nil {
			return err
		}
		e.Field = def.Name
		for _, v := range e.Values {
			if err := checkType(def, v, e.pos); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkType reports a literal whose type does not fit the field, with the
// message Salesforce uses.
func checkType(def FieldDef, l Literal, pos Pos) error {
	var ok bool
	k := l.Value.kind
	switch def.Type {
	case TypeString, TypeID:
		ok = l.Relative == "" && (k == KindString || k == KindNull)
	case TypeNumber:
		ok = l.Relative == "" && (k == KindNumber || k == KindNull)
	case TypeBoolean:
		ok = l.Relative == "" && (k == KindBool || k == KindNull)
	case TypeDate:
		ok = l.Relative != "" || k == KindDate || k == KindNull
	case TypeDateTime:
		ok = l.Relative != "" || k == KindDateTime || k == KindNull
	}
	if ok {
		return nil
	}
	if def.Type == TypeString || def.Type == TypeID {
		return errAt(CodeInvalidField, pos,
			"value of filter criterion for field '%s' must be of type %s and should be enclosed in quotes", def.Name, def.Type)
	}
	return errAt(CodeInvalidField, pos,
		"value of filter criterion for field '%s' must be of type %s and should not be enclosed in quotes", def.Name, def.Type)
}
