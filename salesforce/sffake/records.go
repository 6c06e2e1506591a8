package sffake

import (
	"cmp"
	"fmt"
	"iter"
	"maps"
	"slices"
	"time"
)

// record is a stored sObject record.
type record struct {
	obj     *objectDef
	id      string
	seq     uint64
	values  map[string]any // non-nil field values by flat name
	deleted bool
}

func (r *record) clone() *record {
	c := *r
	c.values = maps.Clone(r.values)
	return &c
}

// Record is a snapshot of a record.
type Record struct {
	// ID is the record's 18-character id.
	ID string
	// Object is the record's sObject name.
	Object string
	// Deleted reports whether the record is in the recycle bin.
	Deleted bool
	// Fields holds the record's non-null fields by name, addresses as
	// their flat components (BillingCity), with the system fields Id,
	// IsDeleted and SystemModstamp. Values have the Go types listed on
	// [FieldType].
	Fields map[string]any
}

func (r *record) snapshot() Record {
	f := maps.Clone(r.values)
	f[fieldID] = r.id
	f[fieldIsDeleted] = r.deleted
	return Record{ID: r.id, Object: r.obj.obj.Name, Deleted: r.deleted, Fields: f}
}

// Record returns the record with the given id, deleted or not.
func (s *Server) Record(id string) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[id]
	if !ok {
		return Record{}, false
	}
	return r.snapshot(), true
}

// Records returns the records of an sObject in creation order; deleted
// records only when withDeleted is true (as queryAll sees them).
func (s *Server) Records(object string, withDeleted bool) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*record
	for _, r := range s.records {
		if r.obj.obj.Name == object && (withDeleted || !r.deleted) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *record) int { return int(a.seq) - int(b.seq) })
	snaps := make([]Record, len(out))
	for i, r := range out {
		snaps[i] = r.snapshot()
	}
	return snaps
}

// EachRecord yields the records of an sObject in creation order, as
// [Server.Records] returns them, one snapshot at a time: the org stays
// locked only while each is copied, so that walking a large org neither
// holds its API calls nor copies every record at once. A record changed
// during the walk is seen as it is when reached; one created during it
// is not seen.
func (s *Server) EachRecord(object string, withDeleted bool) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		type entry struct {
			id  string
			seq uint64
		}
		s.mu.Lock()
		var recs []entry
		for _, r := range s.records {
			if r.obj.obj.Name == object {
				recs = append(recs, entry{r.id, r.seq})
			}
		}
		s.mu.Unlock()
		slices.SortFunc(recs, func(a, b entry) int { return cmp.Compare(a.seq, b.seq) })
		for _, e := range recs {
			s.mu.Lock()
			r, ok := s.records[e.id]
			var snap Record
			if ok = ok && (withDeleted || !r.deleted); ok {
				snap = r.snapshot()
			}
			s.mu.Unlock()
			if ok && !yield(snap) {
				return
			}
		}
	}
}

// Create creates a record of the object with the given field values in a
// transaction of its own and returns its id. See [Tx.Create].
func (s *Server) Create(object string, fields map[string]any) (string, error) {
	var id string
	_, err := s.Transact(func(tx *Tx) error {
		var err error
		id, err = tx.Create(object, fields)
		return err
	})
	return id, err
}

// Update updates a record in a transaction of its own. See [Tx.Update].
func (s *Server) Update(id string, fields map[string]any) error {
	_, err := s.Transact(func(tx *Tx) error { return tx.Update(id, fields) })
	return err
}

// Delete deletes records in a transaction of its own. See [Tx.Delete].
func (s *Server) Delete(ids ...string) error {
	_, err := s.Transact(func(tx *Tx) error { return tx.Delete(ids...) })
	return err
}

// Undelete restores a deleted record in a transaction of its own. See
// [Tx.Undelete].
func (s *Server) Undelete(id string) error {
	_, err := s.Transact(func(tx *Tx) error { return tx.Undelete(id) })
	return err
}

// Tx is a Salesforce transaction under way: the writes made through it
// commit together in [Server.Transact], their change events sharing one
// transaction key and commit number and numbered by sequence number from
// 1. Several writes to one record in a transaction yield one event with
// the end state. A Tx is valid only inside the function given to
// Transact and must not be used concurrently.
type Tx struct {
	s    *Server
	now  time.Time
	user string
	// changes are the changes in event order; single indexes the pending
	// single-record change of each record, for merging.
	changes []*change
	single  map[string]*change
	// saved holds each touched record as it was before the transaction,
	// nil for records it created.
	saved map[string]*record
	// unannounced drops the transaction's data change events.
	unannounced bool
	// origin is the changeOrigin of the transaction's change events.
	origin string
}

// Unannounced makes the transaction's record changes publish no change
// events and fire no triggers, as when Salesforce loses them: only its
// [Tx.Gap] and [Tx.Overflow] entries are published, so that subscribers
// learn of the changes only by re-reading the records. For tests of gap
// handling; real orgs do this on their own.
func (tx *Tx) Unannounced() { tx.unannounced = true }

// change is one change event to be.
type change struct {
	obj     *objectDef
	typ     string
	ids     []string
	values  map[string]any // flat name → value sent in the body
	changed map[string]bool
	nulled  map[string]bool
	old     map[string]any // the record before the transaction, single-record changes
}

// Commit describes a committed transaction.
type Commit struct {
	// TransactionKey is the transaction's key in its change events.
	TransactionKey string
	// CommitNumber is the transaction's commit number; commit numbers
	// strictly increase.
	CommitNumber int64
	// Timestamp is the commit time, in whole milliseconds.
	Timestamp time.Time
	// Events is the number of change events the transaction produced.
	Events int
}

// SetUser makes the transaction act as the user id (commitUser,
// LastModifiedById, CreatedById); by default it acts as [Server.UserID].
func (tx *Tx) SetUser(id string) { tx.user = id }

// Transact runs fn in a transaction and commits its writes if fn returns
// nil, or rolls them back and returns fn's error. Commit publishes the
// change events of the writes in the order they were made, then runs the
// triggers. fn must use only tx for writes: calling the Server's write
// methods from fn deadlocks. A transaction without writes commits nothing.
func (s *Server) Transact(fn func(tx *Tx) error) (Commit, error) {
	s.mu.Lock()
	tx := &Tx{
		s:      s,
		now:    s.clock.Now().UTC().Truncate(time.Millisecond),
		user:   s.cfg.userID,
		origin: changeOrigin,
		single: make(map[string]*change),
		saved:  make(map[string]*record),
	}
	if err := fn(tx); err != nil {
		tx.rollback()
		s.mu.Unlock()
		return Commit{}, err
	}
	c, fired, err := s.commit(tx)
	if err != nil {
		tx.rollback()
	}
	s.mu.Unlock()
	if err != nil {
		return Commit{}, err
	}
	s.fire(fired)
	return c, nil
}

func (tx *Tx) rollback() {
	for id, r := range tx.saved {
		if r == nil {
			delete(tx.s.records, id)
		} else {
			tx.s.records[id] = r
		}
	}
}

// touch saves r's state before its first write in the transaction.
func (tx *Tx) touch(id string) {
	if _, ok := tx.saved[id]; ok {
		return
	}
	if r, ok := tx.s.records[id]; ok {
		tx.saved[id] = r.clone()
	} else {
		tx.saved[id] = nil
	}
}

func (tx *Tx) oldValues(id string) map[string]any {
	if r := tx.saved[id]; r != nil {
		return maps.Clone(r.values)
	}
	return nil
}

// prepare checks and normalizes field values given for obj.
func prepare(obj *objectDef, fields map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(fields))
	for name, v := range fields {
		switch name {
		case fieldID, fieldIsDeleted, fieldSystemModstamp, fieldCreatedDate, fieldCreatedByID, fieldLastModifiedDate, fieldLastModifiedByID:
			return nil, fmt.Errorf("%s.%s: %w", obj.obj.Name, name, ErrReadOnly)
		}
		ff, ok := obj.flat[name]
		if !ok {
			return nil, fmt.Errorf("%s.%s: %w", obj.obj.Name, name, ErrUnknownField)
		}
		nv, err := normalize(ff.typ, v)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", obj.obj.Name, name, err)
		}
		out[name] = nv
	}
	return out, nil
}

// Create creates a record of the object with the given field values,
// keyed by field name (addresses as flat components such as BillingCity),
// and returns its id. The emulator sets Id, CreatedDate, CreatedById,
// LastModifiedDate, LastModifiedById and SystemModstamp, and OwnerId when
// the object has it and fields lack it. The change event is a CREATE
// carrying every non-null field.
func (tx *Tx) Create(object string, fields map[string]any) (string, error) {
	obj, ok := tx.s.objects[object]
	if !ok {
		return "", fmt.Errorf("create %s: %w", object, ErrUnknownObject)
	}
	vals, err := prepare(obj, fields)
	if err != nil {
		return "", fmt.Errorf("create: %w", err)
	}
	for k, v := range vals {
		if v == nil {
			delete(vals, k)
		}
	}
	vals[fieldCreatedDate] = tx.now
	vals[fieldCreatedByID] = tx.user
	vals[fieldLastModifiedDate] = tx.now
	vals[fieldLastModifiedByID] = tx.user
	vals[fieldSystemModstamp] = tx.now
	if _, has := obj.flat[fieldOwnerID]; has && vals[fieldOwnerID] == nil {
		vals[fieldOwnerID] = tx.user
	}
	tx.s.idSeq[obj.obj.KeyPrefix]++
	seq := tx.s.idSeq[obj.obj.KeyPrefix]
	id := ID(obj.obj.KeyPrefix, seq)
	tx.touch(id)
	r := &record{obj: obj, id: id, seq: seq, values: vals}
	tx.s.records[id] = r
	c := &change{obj: obj, typ: "CREATE", ids: []string{id}, values: bodyValues(obj, vals)}
	tx.changes = append(tx.changes, c)
	tx.single[id] = c
	return id, nil
}

// bodyValues returns the values of vals that change events carry.
func bodyValues(obj *objectDef, vals map[string]any) map[string]any {
	out := make(map[string]any, len(vals))
	for k, v := range vals {
		if _, ok := obj.flat[k]; ok && v != nil {
			out[k] = v
		}
	}
	return out
}

// live returns the record id if it exists and is not deleted.
func (tx *Tx) live(op, id string) (*record, error) {
	r, ok := tx.s.records[id]
	if !ok {
		return nil, fmt.Errorf("%s %s: %w", op, id, ErrNotFound)
	}
	if r.deleted {
		return nil, fmt.Errorf("%s %s: %w", op, id, ErrDeleted)
	}
	return r, nil
}

// apply writes vals to r and returns the names changed and nulled,
// including the audit fields it bumps.
func (tx *Tx) apply(r *record, vals map[string]any) (changed, nulled map[string]bool) {
	changed, nulled = make(map[string]bool), make(map[string]bool)
	for k, v := range vals {
		cur, has := r.values[k]
		switch {
		case v == nil && has:
			delete(r.values, k)
			changed[k], nulled[k] = true, true
		case v != nil && (!has || !equalValues(cur, v)):
			r.values[k] = v
			changed[k] = true
		}
	}
	r.values[fieldLastModifiedDate] = tx.now
	r.values[fieldSystemModstamp] = tx.now
	changed[fieldLastModifiedDate] = true
	if r.values[fieldLastModifiedByID] != tx.user {
		r.values[fieldLastModifiedByID] = tx.user
		changed[fieldLastModifiedByID] = true
	}
	return changed, nulled
}

// Update sets the given fields of a record; a nil value clears a field.
// The change event is an UPDATE whose body carries only the fields whose
// value changed, plus LastModifiedDate (and LastModifiedById when another
// user makes the change); changedFields lists them and nulledFields the
// cleared ones. An update that changes nothing still bumps
// LastModifiedDate, as Salesforce does. Updating a record created or
// updated earlier in the transaction merges into that record's event.
func (tx *Tx) Update(id string, fields map[string]any) error {
	r, err := tx.live("update", id)
	if err != nil {
		return err
	}
	vals, err := prepare(r.obj, fields)
	if err != nil {
		return fmt.Errorf("update %s: %w", id, err)
	}
	tx.touch(id)
	changed, nulled := tx.apply(r, vals)
	if prev, ok := tx.single[id]; ok {
		switch prev.typ {
		case "CREATE", "UNDELETE":
			prev.values = bodyValues(r.obj, r.values)
			return nil
		case "UPDATE":
			maps.Copy(prev.changed, changed)
			for k := range prev.changed {
				_, has := r.values[k]
				prev.nulled[k] = !has
				if !has {
					delete(prev.values, k)
				} else {
					prev.values[k] = r.values[k]
				}
			}
			maps.DeleteFunc(prev.nulled, func(_ string, v bool) bool { return !v })
			return nil
		}
	}
	c := &change{obj: r.obj, typ: "UPDATE", ids: []string{id}, changed: changed, nulled: nulled, old: tx.oldValues(id), values: map[string]any{}}
	for k := range changed {
		if v, ok := r.values[k]; ok {
			c.values[k] = v
		}
	}
	tx.changes = append(tx.changes, c)
	tx.single[id] = c
	return nil
}

// UpdateMany applies the same field values to several records of one
// object and produces a single merged UPDATE event whose recordIds lists
// them all, as Salesforce does when one change hits several records. Its
// changedFields lists every given field plus LastModifiedDate, and
// nulledFields the fields given as nil.
func (tx *Tx) UpdateMany(ids []string, fields map[string]any) error {
	if len(ids) == 0 {
		return nil
	}
	var obj *objectDef
	for _, id := range ids {
		r, err := tx.live("update", id)
		if err != nil {
			return err
		}
		if obj != nil && r.obj != obj {
			return fmt.Errorf("update many: %w: records of %s and %s", ErrInvalidValue, obj.obj.Name, r.obj.obj.Name)
		}
		obj = r.obj
	}
	vals, err := prepare(obj, fields)
	if err != nil {
		return fmt.Errorf("update many: %w", err)
	}
	c := &change{obj: obj, typ: "UPDATE", ids: slices.Clone(ids), changed: map[string]bool{}, nulled: map[string]bool{}, values: map[string]any{}}
	for _, id := range ids {
		tx.touch(id)
		ch, _ := tx.apply(tx.s.records[id], vals)
		for k := range ch {
			if k == fieldLastModifiedByID {
				c.changed[k] = true
				c.values[k] = tx.user
			}
		}
		delete(tx.single, id)
	}
	for k, v := range vals {
		c.changed[k] = true
		if v == nil {
			c.nulled[k] = true
		} else {
			c.values[k] = v
		}
	}
	c.changed[fieldLastModifiedDate] = true
	c.values[fieldLastModifiedDate] = tx.now
	tx.changes = append(tx.changes, c)
	return nil
}

// Delete moves records to the recycle bin. Deleting several records of one
// object produces one DELETE event listing them all (a mass delete);
// records of different objects produce one event per object. DELETE events
// carry the header only.
func (tx *Tx) Delete(ids ...string) error {
	byObj := map[*objectDef]*change{}
	for _, id := range ids {
		r, err := tx.live("delete", id)
		if err != nil {
			return err
		}
		tx.touch(id)
		old := tx.oldValues(id)
		r.deleted = true
		r.values[fieldLastModifiedDate] = tx.now
		r.values[fieldSystemModstamp] = tx.now
		r.values[fieldLastModifiedByID] = tx.user
		delete(tx.single, id)
		c, ok := byObj[r.obj]
		if !ok {
			c = &change{obj: r.obj, typ: "DELETE", old: old, values: maps.Clone(r.values)}
			byObj[r.obj] = c
			tx.changes = append(tx.changes, c)
		}
		c.ids = append(c.ids, id)
	}
	return nil
}

// Undelete restores a deleted record. The UNDELETE event carries the
// restored record's non-null fields, like a CREATE.
func (tx *Tx) Undelete(id string) error {
	r, ok := tx.s.records[id]
	if !ok {
		return fmt.Errorf("undelete %s: %w", id, ErrNotFound)
	}
	if !r.deleted {
		return fmt.Errorf("undelete %s: %w", id, ErrNotDeleted)
	}
	tx.touch(id)
	r.deleted = false
	r.values[fieldLastModifiedDate] = tx.now
	r.values[fieldSystemModstamp] = tx.now
	r.values[fieldLastModifiedByID] = tx.user
	c := &change{obj: r.obj, typ: "UNDELETE", ids: []string{id}, values: bodyValues(r.obj, r.values), old: tx.oldValues(id)}
	tx.changes = append(tx.changes, c)
	tx.single[id] = c
	return nil
}

// Gap appends a gap event of changeType (GAP_CREATE, GAP_UPDATE,
// GAP_DELETE or GAP_UNDELETE) for records of object to the transaction:
// header only, telling subscribers to re-read the records. It changes no
// record.
func (tx *Tx) Gap(object, changeType string, ids ...string) error {
	obj, ok := tx.s.objects[object]
	if !ok {
		return fmt.Errorf("gap %s: %w", object, ErrUnknownObject)
	}
	if !obj.obj.ChangeEvents {
		return fmt.Errorf("gap %s: %w", object, ErrNoChangeEvents)
	}
	switch changeType {
	case "GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE":
	default:
		return fmt.Errorf("gap %s: %w: change type %q", object, ErrInvalidValue, changeType)
	}
	if len(ids) == 0 {
		return fmt.Errorf("gap %s: %w: no record ids", object, ErrInvalidValue)
	}
	tx.changes = append(tx.changes, &change{obj: obj, typ: changeType, ids: slices.Clone(ids)})
	return nil
}

// Overflow appends a GAP_OVERFLOW event for object to the transaction, as
// Salesforce sends after the first 100,000 changes of one transaction:
// header only, recordIds ["000000000000000AAA"].
func (tx *Tx) Overflow(object string) error {
	obj, ok := tx.s.objects[object]
	if !ok {
		return fmt.Errorf("overflow %s: %w", object, ErrUnknownObject)
	}
	if !obj.obj.ChangeEvents {
		return fmt.Errorf("overflow %s: %w", object, ErrNoChangeEvents)
	}
	tx.changes = append(tx.changes, &change{obj: obj, typ: "GAP_OVERFLOW", ids: []string{OverflowRecordID}})
	return nil
}

// OverflowRecordID is the record id of GAP_OVERFLOW events.
const OverflowRecordID = "000000000000000AAA"

// EmitGap publishes a gap event in a transaction of its own. See
// [Tx.Gap].
func (s *Server) EmitGap(object, changeType string, ids ...string) (Commit, error) {
	return s.Transact(func(tx *Tx) error { return tx.Gap(object, changeType, ids...) })
}

// EmitOverflow publishes a GAP_OVERFLOW event in a transaction of its
// own. See [Tx.Overflow].
func (s *Server) EmitOverflow(object string) (Commit, error) {
	return s.Transact(func(tx *Tx) error { return tx.Overflow(object) })
}
