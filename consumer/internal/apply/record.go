package apply

import (
	"cmp"
	"time"

	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// Version is Salesforce's order of the changes to one record: the commit
// number of the transaction, then the sequence number within it.
type Version struct {
	Commit int64
	Seq    int32
}

// VersionOf returns the version of the change e describes.
func VersionOf(e *envelope.Envelope) Version {
	return Version{Commit: e.CommitNumber, Seq: e.SequenceNumber}
}

// Compare returns -1, 0 or +1 as v is older than, the same as or newer
// than w.
func (v Version) Compare(w Version) int {
	if c := cmp.Compare(v.Commit, w.Commit); c != 0 {
		return c
	}
	return cmp.Compare(v.Seq, w.Seq)
}

// DeletedCell is the name of the cell that says whether the record is
// deleted. Salesforce field names cannot contain '$', so it never clashes
// with a mapped field.
const DeletedCell = "$deleted"

// Cell is one field of a record: its value and the version of the change
// that set it.
type Cell struct {
	Value   envelope.Value
	Version Version
	// Dirty is set by [Record.Apply] when the cell took a new value, so
	// that a writer knows which columns to write.
	Dirty bool
}

// Record is the state of one record as a set of cells, one per mapped
// field plus [DeletedCell]. Each cell holds the value of the newest change
// that set it, so applying changes in any order, any number of times,
// gives the state that applying each once in Salesforce's order gives: the
// newest change of every field wins, and a delete or undelete is the
// newest change of the deleted cell. A cell that no change has set is
// absent. The zero Record is empty and ready to use; a Record is not safe
// for concurrent use.
type Record struct {
	Cells map[string]Cell
	// Latest is the newest version applied, and CommitTimestamp its commit
	// time.
	Latest          Version
	CommitTimestamp time.Time
}

// Deleted reports whether the record's newest delete or undelete is a
// delete.
func (r *Record) Deleted() bool {
	b, _ := r.Cells[DeletedCell].Value.AsBool()
	return b
}

// Applies reports whether a change type is data that [Record.Apply]
// applies; GAP_* and GAP_OVERFLOW markers are not: they ask the
// reconciler to re-read records.
func Applies(ct envelope.ChangeType) bool {
	switch ct {
	case envelope.ChangeCreate, envelope.ChangeUpdate, envelope.ChangeDelete,
		envelope.ChangeUndelete, envelope.ChangeSnapshot:
		return true
	}
	return false
}

// Apply merges the change e to a record of object obj into r and reports
// whether any cell changed:
//
//   - CREATE, UNDELETE and SNAPSHOT set every mapped field except the key
//     (a field e does not carry becomes NULL, as Salesforce sends only the
//     non-null fields of a new record) and clear the deleted cell;
//   - UPDATE sets the fields e carries, NULL for nulled fields;
//   - DELETE sets the deleted cell;
//   - markers (see [Applies]) change nothing.
//
// Each cell takes the new value only when e is newer than the change
// that set it, so nothing moves backwards. Fields that obj does not map
// are ignored.
func (r *Record) Apply(obj *mapping.Object, e *envelope.Envelope) bool {
	v := VersionOf(e)
	changed := false
	set := func(name string, val envelope.Value) {
		if r.set(obj, name, val, v) {
			changed = true
		}
	}
	switch e.ChangeType {
	case envelope.ChangeCreate, envelope.ChangeUndelete, envelope.ChangeSnapshot:
		for _, f := range obj.Fields {
			if f.Name != obj.Key {
				set(f.Name, e.Values[f.Name]) // absent: the zero Value, NULL
			}
		}
		set(DeletedCell, envelope.BoolValue(false))
	case envelope.ChangeUpdate:
		for name, val := range e.Values {
			if f := obj.Field(name); f != nil && f.Name != obj.Key {
				set(f.Name, val)
			}
		}
		for _, name := range e.NulledFields {
			if f := obj.Field(name); f != nil && f.Name != obj.Key {
				set(f.Name, envelope.NullValue())
			}
		}
	case envelope.ChangeDelete:
		set(DeletedCell, envelope.BoolValue(true))
	default:
		return false
	}
	if changed && v.Compare(r.Latest) > 0 {
		r.Latest, r.CommitTimestamp = v, e.CommitTimestamp
	}
	return changed
}

// set gives cell name the value val of version v, unless it holds one as
// new or newer, and reports whether it did.
func (r *Record) set(obj *mapping.Object, name string, val envelope.Value, v Version) bool {
	if c, ok := r.Cells[name]; ok && c.Version.Compare(v) >= 0 {
		return false
	}
	if r.Cells == nil {
		r.Cells = make(map[string]Cell, len(obj.Fields)+1)
	}
	r.Cells[name] = Cell{Value: val, Version: v, Dirty: true}
	return true
}

// ApplyCells merges a record's state e (a SNAPSHOT) whose cells carry
// versions of their own, as a latest-state record holds them, and
// reports whether any cell changed: every mapped field but the key takes
// e's value at version(field), and the deleted cell false at
// version([DeletedCell]), each only when newer than what the cell
// holds; a cell version does not know (no change has set it) is left as
// it is. The result is the record the changes that made e would give,
// so later changes merge with it as with those.
func (r *Record) ApplyCells(obj *mapping.Object, e *envelope.Envelope, version func(cell string) (Version, bool)) bool {
	changed := false
	newest := Version{}
	set := func(name string, val envelope.Value) {
		v, ok := version(name)
		if !ok {
			return
		}
		if r.set(obj, name, val, v) {
			changed = true
			if v.Compare(newest) > 0 {
				newest = v
			}
		}
	}
	for _, f := range obj.Fields {
		if f.Name != obj.Key {
			set(f.Name, e.Values[f.Name])
		}
	}
	set(DeletedCell, envelope.BoolValue(false))
	if changed && newest.Compare(r.Latest) > 0 {
		r.Latest, r.CommitTimestamp = newest, e.CommitTimestamp
	}
	return changed
}

// Clean clears every cell's Dirty flag.
func (r *Record) Clean() {
	for name, c := range r.Cells {
		if c.Dirty {
			c.Dirty = false
			r.Cells[name] = c
		}
	}
}
