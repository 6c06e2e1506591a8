package sffake

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/linkedin/goavro/v2"

	"github.com/sfsync/sfsync/salesforce/bitmap"
	"github.com/sfsync/sfsync/salesforce/sffake/internal/bus"
)

// changeOrigin is the changeOrigin of changes made through the Go API, in
// the form Salesforce uses for REST API changes.
const changeOrigin = "com/salesforce/api/rest/62.0;client=sffake"

// Change describes one committed change to records, as a trigger sees it.
type Change struct {
	// Object is the sObject name.
	Object string
	// Type is CREATE, UPDATE, DELETE, UNDELETE, or a GAP_* type.
	Type string
	// RecordIDs are the records changed; several for a merged event.
	RecordIDs []string
	// Fields are the record's field values after the change (before it,
	// for DELETE), flat names as in [Record]; for a merged event, the
	// values it set. nil for gap events.
	Fields map[string]any
	// Old are the record's field values before the transaction, for
	// single-record UPDATE, DELETE and UNDELETE changes; nil otherwise.
	Old map[string]any
	// ChangedFields are the names of the fields an UPDATE changed, sorted.
	ChangedFields []string
	// TransactionKey, CommitNumber, CommitTimestamp and CommitUser are
	// those of the change event header.
	TransactionKey  string
	CommitNumber    int64
	CommitTimestamp time.Time
	CommitUser      string
}

// firing is a trigger to run after commit.
type firing struct {
	trigger Trigger
	change  Change
}

// commit publishes the change events of tx; s.mu is held. It returns the
// triggers to fire once the lock is released.
func (s *Server) commit(tx *Tx) (Commit, []firing, error) {
	if tx.unannounced {
		tx.changes = slices.DeleteFunc(tx.changes, func(ch *change) bool { return !strings.HasPrefix(ch.typ, "GAP_") })
	}
	if len(tx.changes) == 0 {
		return Commit{}, nil, nil
	}
	s.commitNumber++
	c := Commit{
		TransactionKey: s.rand.uuid(),
		CommitNumber:   commitBase + s.commitNumber,
		Timestamp:      tx.now,
	}
	var (
		events  []changeEvent
		firings []firing
	)
	for _, ch := range tx.changes {
		pub := Change{
			Object: ch.obj.obj.Name, Type: ch.typ, RecordIDs: slices.Clone(ch.ids),
			Old: ch.old, TransactionKey: c.TransactionKey, CommitNumber: c.CommitNumber,
			CommitTimestamp: c.Timestamp, CommitUser: tx.user,
		}
		if len(ch.ids) == 1 && ch.typ != "DELETE" {
			if r, ok := s.records[ch.ids[0]]; ok {
				pub.Fields = maps.Clone(r.values)
			}
		} else if ch.values != nil {
			pub.Fields = maps.Clone(ch.values)
		}
		for k := range ch.changed {
			pub.ChangedFields = append(pub.ChangedFields, k)
		}
		slices.Sort(pub.ChangedFields)
		for _, t := range s.triggers {
			if t.Object == pub.Object && !strings.HasPrefix(ch.typ, "GAP_") {
				firings = append(firings, firing{trigger: t, change: pub})
			}
		}
		if !ch.obj.obj.ChangeEvents {
			continue
		}
		payload, err := encodeChange(ch, c, tx.user, tx.origin, len(events)+1)
		if err != nil {
			return Commit{}, nil, err
		}
		events = append(events, changeEvent{topic: ch.obj.obj.ChangeEventTopic(), ev: bus.Event{
			ID: s.rand.uuid(), SchemaID: ch.obj.schema.id, Payload: payload,
		}})
	}
	for _, e := range events {
		if _, err := s.bus.Append(e.topic, e.ev); err != nil {
			return Commit{}, nil, err
		}
		if _, err := s.bus.Append(AllChangeEventsTopic, e.ev); err != nil {
			return Commit{}, nil, err
		}
	}
	s.stats.changes.Add(int64(len(events)))
	c.Events = len(events)
	return c, firings, nil
}

// commitBase makes commit numbers look like Salesforce's system change
// numbers.
const commitBase = 10_000_000_000

type changeEvent struct {
	topic string
	ev    bus.Event
}

// encodeChange builds and encodes the change event of ch, number seq of
// its transaction, with the object's current schema.
func encodeChange(ch *change, c Commit, user, origin string, seq int) ([]byte, error) {
	obj, sch := ch.obj, ch.obj.schema
	var changed, nulled []string
	for k := range ch.changed {
		changed = append(changed, obj.flat[k].bitmapName())
	}
	for k := range ch.nulled {
		nulled = append(nulled, obj.flat[k].bitmapName())
	}
	changedBM, err := bitmap.Encode(sch.bitmap, changed)
	if err != nil {
		return nil, fmt.Errorf("encode changedFields: %w", err)
	}
	nulledBM, err := bitmap.Encode(sch.bitmap, nulled)
	if err != nil {
		return nil, fmt.Errorf("encode nulledFields: %w", err)
	}
	ids := make([]any, len(ch.ids))
	for i, id := range ch.ids {
		ids[i] = id
	}
	body := map[string]any{
		headerField: map[string]any{
			"entityName":      obj.obj.Name,
			"recordIds":       ids,
			"changeType":      ch.typ,
			"changeOrigin":    origin,
			"transactionKey":  c.TransactionKey,
			"sequenceNumber":  int32(seq),
			"commitTimestamp": c.Timestamp.UnixMilli(),
			"commitNumber":    c.CommitNumber,
			"commitUser":      user,
			"nulledFields":    strs(nulledBM),
			"diffFields":      []any{},
			"changedFields":   strs(changedBM),
		},
	}
	// Compound fields carry their changed components; a nulled component
	// is null in a present record.
	nested := map[string]map[string]any{}
	put := func(ff flatField, v any) {
		if ff.comp == "" {
			if v != nil {
				body[ff.top] = avroUnion(ff.typ, v)
			}
			return
		}
		n := nested[ff.top]
		if n == nil {
			n = map[string]any{}
			nested[ff.top] = n
		}
		if v != nil {
			n[ff.comp] = avroUnion(ff.typ, v)
		} else {
			n[ff.comp] = nil
		}
	}
	switch ch.typ {
	case "CREATE", "UNDELETE", "UPDATE":
		for k, v := range ch.values {
			if ff, ok := obj.flat[k]; ok {
				put(ff, v)
			}
		}
		for k := range ch.nulled {
			put(obj.flat[k], nil)
		}
	}
	for top, n := range nested {
		body[top] = goavro.Union(addressBranch, n)
	}
	payload, err := sch.codec.BinaryFromNative(nil, body)
	if err != nil {
		return nil, fmt.Errorf("encode %s change event: %w", obj.obj.Name, err)
	}
	return payload, nil
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
