package source

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/salesforce/soql"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// Row is one Salesforce record of a mapped object.
type Row struct {
	// ID is the record's id, its key.
	ID string
	// Deleted is true for a record in the recycle bin (queryAll only).
	Deleted bool
	// Values holds every mapped field but the key, NULL included.
	Values map[string]envelope.Value
	// Modstamp is the record's SystemModstamp.
	Modstamp time.Time
}

// Fields returns the SELECT list for obj: the key, every mapped field,
// SystemModstamp and IsDeleted.
func Fields(obj *mapping.Object) []string {
	names := []string{obj.Key}
	for _, f := range obj.Fields {
		if f.Name != obj.Key {
			names = append(names, f.Name)
		}
	}
	return append(names, "SystemModstamp", "IsDeleted")
}

// FromRecord converts a REST record of obj into a Row.
func FromRecord(obj *mapping.Object, rec rest.Record) (Row, error) {
	return fromGetter(obj, func(name string) any { v, _ := rec.Get(name); return v })
}

// FromMap converts a Bulk API 2.0 row (column to value, nil for a column
// the job did not return) into a Row.
func FromMap(obj *mapping.Object, row map[string]*string) (Row, error) {
	return fromGetter(obj, func(name string) any {
		if v := row[name]; v != nil {
			return *v
		}
		return nil
	})
}

func fromGetter(obj *mapping.Object, get func(string) any) (Row, error) {
	id, _ := get(obj.Key).(string)
	if id == "" {
		return Row{}, fmt.Errorf("%s record without %s", obj.Name, obj.Key)
	}
	r := Row{ID: id, Values: make(map[string]envelope.Value, len(obj.Fields))}
	for _, f := range obj.Fields {
		if f.Name == obj.Key {
			continue
		}
		v, err := Value(f.Type, get(f.Name))
		if err != nil {
			return Row{}, fmt.Errorf("%s %s: field %s: %w", obj.Name, id, f.Name, err)
		}
		r.Values[f.Name] = v
	}
	switch d := get("IsDeleted").(type) {
	case bool:
		r.Deleted = d
	case string:
		r.Deleted = strings.EqualFold(d, "true")
	}
	if s, ok := get("SystemModstamp").(string); ok && s != "" {
		r.Modstamp, _ = parseDateTime(s)
	}
	return r, nil
}

// Querier runs SOQL queries; *rest.Client is one.
type Querier interface {
	Query(ctx context.Context, q string, opts rest.QueryOptions) (*rest.Rows, error)
	QueryAll(ctx context.Context, q string, opts rest.QueryOptions) (*rest.Rows, error)
}

// Reader reads mapped objects through the REST API. It is safe for
// concurrent use.
type Reader struct {
	REST Querier
}

// Query yields the records of obj matching where (a SOQL condition, ""
// for all), ordered by id; withDeleted includes the recycle bin
// (queryAll).
func (r *Reader) Query(ctx context.Context, obj *mapping.Object, where string, withDeleted bool) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		q := "SELECT " + strings.Join(Fields(obj), ", ") + " FROM " + obj.Name
		if where != "" {
			q += " WHERE " + where
		}
		q += " ORDER BY " + obj.Key
		run := r.REST.Query
		if withDeleted {
			run = r.REST.QueryAll
		}
		rows, err := run(ctx, q, rest.QueryOptions{})
		if err != nil {
			yield(Row{}, fmt.Errorf("query %s: %w", obj.Name, err))
			return
		}
		for rec, err := range rows.All() {
			if err != nil {
				yield(Row{}, fmt.Errorf("query %s: %w", obj.Name, err))
				return
			}
			row, err := FromRecord(obj, rec)
			if !yield(row, err) || err != nil {
				return
			}
		}
	}
}

// IDs yields the records of obj with the given ids (deleted ones
// included), in chunks that keep each query short.
func (r *Reader) IDs(ctx context.Context, obj *mapping.Object, ids []string) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		const chunk = 200
		for start := 0; start < len(ids); start += chunk {
			quoted := make([]string, 0, chunk)
			for _, id := range ids[start:min(start+chunk, len(ids))] {
				quoted = append(quoted, soql.Quote(id))
			}
			where := obj.Key + " IN (" + strings.Join(quoted, ", ") + ")"
			for row, err := range r.Query(ctx, obj, where, true) {
				if !yield(row, err) || err != nil {
					return
				}
			}
		}
	}
}
