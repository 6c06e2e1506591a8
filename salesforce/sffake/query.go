package sffake

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sfsync/sfsync/salesforce/soql"
)

// Value formats of the REST API (spec §5.1) and of Bulk API 2.0 CSV.
const (
	restDateTime = "2006-01-02T15:04:05.000-0700"
	csvDateTime  = "2006-01-02T15:04:05.000Z"
)

// describer answers the soql package's name lookups from the org's
// definitions. s.mu must be held while it is used.
type describer struct{ s *Server }

// Object returns the canonical name of the object called name, ignoring
// case.
func (d describer) Object(name string) (string, bool) {
	if o := d.s.objectFold(name); o != nil {
		return o.obj.Name, true
	}
	return "", false
}

// Field returns the field or relationship called name of object.
func (d describer) Field(object, name string) (soql.FieldDef, bool) {
	o, ok := d.s.objects[object]
	if !ok {
		return soql.FieldDef{}, false
	}
	for _, sys := range []struct {
		name string
		typ  soql.FieldType
	}{{fieldID, soql.TypeID}, {fieldIsDeleted, soql.TypeBoolean}, {fieldSystemModstamp, soql.TypeDateTime}} {
		if strings.EqualFold(name, sys.name) {
			return soql.FieldDef{Name: sys.name, Type: sys.typ}, true
		}
	}
	for flat, ff := range o.flat {
		if strings.EqualFold(flat, name) {
			return soql.FieldDef{Name: flat, Type: soqlType(ff.typ)}, true
		}
	}
	for flat := range o.flat {
		if rel, target, ok := d.s.relationship(o, flat); ok && strings.EqualFold(rel, name) {
			return soql.FieldDef{Name: rel, Type: soql.TypeRelationship, ReferenceTo: target}, true
		}
	}
	return soql.FieldDef{}, false
}

// objectFold returns the object called name, ignoring case; s.mu is held.
func (s *Server) objectFold(name string) *objectDef {
	if o, ok := s.objects[name]; ok {
		return o
	}
	for n, o := range s.objects {
		if strings.EqualFold(n, name) {
			return o
		}
	}
	return nil
}

// relationship returns the relationship name and target object of the
// reference field flat of o: a standard reference field <Rel>Id points to
// the object <Rel>, to o itself for ParentId, and to <X> for
// Parent<X>Id. Custom reference fields and references to objects the org
// lacks (such as User) have no relationship. s.mu is held.
func (s *Server) relationship(o *objectDef, flat string) (rel, target string, ok bool) {
	ff := o.flat[flat]
	if ff.typ != TypeReference || !strings.HasSuffix(flat, "Id") || strings.HasSuffix(flat, "__c") {
		return "", "", false
	}
	rel = strings.TrimSuffix(flat, "Id")
	switch rel {
	case "":
		return "", "", false
	case "Parent":
		return rel, o.obj.Name, true
	}
	if _, ok := s.objects[rel]; ok {
		return rel, rel, true
	}
	if t := strings.TrimPrefix(rel, "Parent"); t != rel {
		if _, ok := s.objects[t]; ok {
			return rel, t, true
		}
	}
	return "", "", false
}

func soqlType(t FieldType) soql.FieldType {
	switch t {
	case TypeReference:
		return soql.TypeID
	case TypeDouble, TypeCurrency, TypePercent, TypeInt:
		return soql.TypeNumber
	case TypeBoolean:
		return soql.TypeBoolean
	case TypeDate:
		return soql.TypeDate
	case TypeDateTime:
		return soql.TypeDateTime
	}
	return soql.TypeString
}

// row is a record as the soql package sees it; s.mu is held while it is
// used.
type row struct {
	s *Server
	r *record
}

// Get returns the value of a canonical field path.
func (w row) Get(path string) (soql.Value, bool) {
	typ, v, ok := w.s.pathValue(w.r, path)
	if !ok || v == nil {
		return soql.Null(), ok
	}
	switch typ {
	case TypeDouble, TypeCurrency, TypePercent:
		return soql.Number(v.(float64)), true
	case TypeInt:
		return soql.Number(float64(v.(int32))), true
	case TypeBoolean:
		return soql.Bool(v.(bool)), true
	case TypeDate:
		return soql.Date(v.(time.Time)), true
	case TypeDateTime:
		return soql.DateTime(v.(time.Time)), true
	case TypeTime:
		return soql.String(formatTime(v.(time.Duration))), true
	}
	return soql.String(v.(string)), true
}

// fieldValue returns the type and value (nil for null) of a field of r,
// including the system fields Id, IsDeleted and SystemModstamp; an unset
// checkbox reads as false.
func fieldValue(r *record, name string) (FieldType, any, bool) {
	switch name {
	case fieldID:
		return TypeReference, r.id, true
	case fieldIsDeleted:
		return TypeBoolean, r.deleted, true
	case fieldSystemModstamp:
		return TypeDateTime, r.values[name], true
	}
	ff, ok := r.obj.flat[name]
	if !ok {
		return 0, nil, false
	}
	v := r.values[name]
	if v == nil && ff.typ == TypeBoolean {
		// A checkbox is never null in Salesforce.
		v = false
	}
	return ff.typ, v, true
}

// parent returns the live record that r's relationship rel points to, or
// nil. s.mu is held.
func (s *Server) parent(r *record, rel string) *record {
	id, _ := r.values[rel+"Id"].(string)
	p, ok := s.records[id]
	if !ok || p.deleted {
		return nil
	}
	return p
}

// pathValue returns the value of a field path such as Name or
// Territory2.Name; a broken relationship reads as null. s.mu is held.
func (s *Server) pathValue(r *record, path string) (FieldType, any, bool) {
	for {
		head, rest, rel := strings.Cut(path, ".")
		if !rel {
			return fieldValue(r, head)
		}
		if r = s.parent(r, head); r == nil {
			return TypeString, nil, true
		}
		path = rest
	}
}

// formatTime formats a time of day as Salesforce does, e.g. 10:30:00.000Z.
func formatTime(d time.Duration) string {
	ms := d.Milliseconds()
	return time.UnixMilli(ms).UTC().Format("15:04:05.000") + "Z"
}

// jsonValue returns a field value as the REST API writes it.
func jsonValue(typ FieldType, v any) any {
	switch x := v.(type) {
	case time.Time:
		if typ == TypeDate {
			return x.Format(time.DateOnly)
		}
		return x.UTC().Format(restDateTime)
	case time.Duration:
		return formatTime(x)
	}
	return v
}

// csvValue returns a field value as Bulk API 2.0 CSV writes it, and false
// for null.
func csvValue(typ FieldType, v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int32:
		return strconv.Itoa(int(x)), true
	case bool:
		return strconv.FormatBool(x), true
	case time.Time:
		if typ == TypeDate {
			return x.Format(time.DateOnly), true
		}
		return x.UTC().Format(csvDateTime), true
	case time.Duration:
		return formatTime(x), true
	}
	return "", false
}

// recordJSON returns r as a REST query row: attributes, then the selected
// field paths in order, relationship paths as nested records (null when
// the relationship is empty). s.mu is held.
func (s *Server) recordJSON(r *record, paths []string, version string) obj {
	name := r.obj.obj.Name
	o := obj{{"attributes", obj{{"type", name}, {"url", "/services/data/" + version + "/sobjects/" + name + "/" + r.id}}}}
	var (
		rels  []string
		index = map[string]int{}
		sub   = map[string][]string{}
	)
	for _, p := range paths {
		head, rest, isRel := strings.Cut(p, ".")
		if !isRel {
			typ, v, _ := fieldValue(r, p)
			o = append(o, kv{p, jsonValue(typ, v)})
			continue
		}
		if _, seen := index[head]; !seen {
			index[head] = len(o)
			rels = append(rels, head)
			o = append(o, kv{head, nil})
		}
		sub[head] = append(sub[head], rest)
	}
	for _, rel := range rels {
		if p := s.parent(r, rel); p != nil {
			o[index[rel]].v = s.recordJSON(p, sub[rel], version)
		}
	}
	return o
}

// query parses text, checks it against the org and evaluates it over the
// object's records (with the deleted ones when all is set, as queryAll
// does), then calls format with the query and the matching rows while
// the org is locked, so that format can read the records consistently.
func (s *Server) query(text string, all bool, format func(q *soql.Query, rows []row)) error {
	q, err := soql.Parse(text)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := q.Resolve(describer{s}); err != nil {
		return err
	}
	var rows []row
	keep := func(r *record) {
		if r.obj.obj.Name == q.Object && (all || !r.deleted) {
			rows = append(rows, row{s: s, r: r})
		}
	}
	if recs, ok := s.idsOf(q.Where); ok {
		for _, r := range recs {
			keep(r)
		}
	} else {
		for _, r := range s.records {
			keep(r)
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return int(a.r.seq) - int(b.r.seq) })
	rows = slices.CompactFunc(rows, func(a, b row) bool { return a.r == b.r })
	format(q, soql.Run(q, rows, s.clock.Now()))
	return nil
}

// idsOf returns the records a condition is limited to, looked up by id as
// Salesforce answers Id = and Id IN from its index: a condition "Id = x"
// or "Id IN (…)", alone or as a term of an AND, whose ids are all stored
// as given (an id in another case makes ok false, so that the records are
// scanned). The condition itself still filters the records.
func (s *Server) idsOf(where soql.Expr) (recs []*record, ok bool) {
	var values []soql.Literal
	switch e := where.(type) {
	case *soql.Comparison:
		if e.Op != soql.OpEq || !strings.EqualFold(e.Field, fieldID) {
			return nil, false
		}
		values = []soql.Literal{e.Value}
	case *soql.InExpr:
		if e.Not || !strings.EqualFold(e.Field, fieldID) {
			return nil, false
		}
		values = e.Values
	case *soql.Logical:
		if e.Op != soql.OpAnd {
			return nil, false
		}
		for _, term := range e.Terms {
			if recs, ok := s.idsOf(term); ok {
				return recs, true
			}
		}
		return nil, false
	default:
		return nil, false
	}
	for _, v := range values {
		r, found := s.records[v.Value.Str()]
		if v.Relative != "" || v.Value.Kind() != soql.KindString || !found {
			return nil, false
		}
		recs = append(recs, r)
	}
	return recs, true
}
