package normalize

import (
	"fmt"
	"strings"
	"time"

	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// The fields every platform event has (spec §2.2).
const (
	fieldCreatedDate = "CreatedDate"
	fieldCreatedByID = "CreatedById"
)

// platformEnvelopes returns the envelopes of ev, a platform event on a
// topic that feeds objs.
func (n *Normalizer) platformEnvelopes(ev *pubsub.Event, objs []*mapping.Object) ([]envelope.Envelope, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("event %s on %s: %s: %w", ev.ID, ev.Topic, fmt.Sprintf(format, args...), ErrBadEvent)
	}
	if ev.ID == "" {
		return nil, bad("no event id")
	}
	rec := ev.Record
	obj, err := route(rec, objs)
	if err != nil {
		return nil, fmt.Errorf("event %s on %s: %w", ev.ID, ev.Topic, err)
	}
	spec := obj.Event
	idText, err := text(rec, spec.RecordID)
	if err != nil {
		return nil, bad("%v", err)
	}
	ids := list(idText)
	if len(ids) == 0 {
		return nil, bad("%s: no record id in %s", obj.Name, spec.RecordID)
	}
	ctText, err := text(rec, spec.ChangeType)
	if err != nil {
		return nil, bad("%v", err)
	}
	ct, ok := platformChangeTypes[strings.ToUpper(strings.TrimSpace(ctText))]
	if !ok {
		return nil, bad("%s: change type %q in %s: want CREATE, UPDATE, DELETE or UNDELETE", obj.Name, ctText, spec.ChangeType)
	}
	created, err := createdDate(rec)
	if err != nil {
		return nil, bad("%v", err)
	}
	user, _ := lookup(rec, fieldCreatedByID)
	commitUser, _ := user.(string)

	// changed is the set of fields an UPDATE changed, by lower-case name;
	// nil when the event does not say.
	var changed map[string]bool
	if ct == envelope.ChangeUpdate && spec.ChangedFields != "" {
		names, err := text(rec, spec.ChangedFields)
		if err != nil {
			return nil, bad("%v", err)
		}
		for _, name := range list(names) {
			if changed == nil {
				changed = map[string]bool{}
			}
			changed[strings.ToLower(name)] = true
		}
	}
	c, err := carry(obj, rec, ct, changed)
	if err != nil {
		return nil, fmt.Errorf("event %s on %s: %s %s: %w", ev.ID, ev.Topic, obj.Name, strings.Join(ids, ","), err)
	}

	base := n.base(ev, obj, ct)
	base.CommitTimestamp, base.CommitNumber = created, n.commitNumber(ev.Topic, created)
	base.TransactionKey, base.CommitUser = ev.ID, commitUser
	base.ChangedFields, base.NulledFields = c.changed, c.nulled
	gap, hasGap := gapTypes[ct]
	hasGap = hasGap && c.incomplete
	out := make([]envelope.Envelope, 0, len(ids)*2)
	for i, id := range ids {
		e := base
		e.RecordID = id
		e.SequenceNumber = int32(i + 1)
		e.PartitionKey = id
		if c.partitionKey != "" {
			e.PartitionKey = c.partitionKey
		}
		if ct != envelope.ChangeDelete {
			e.Values = make(map[string]envelope.Value, len(c.values)+1)
			for k, v := range c.values {
				e.Values[k] = v
			}
			if ct != envelope.ChangeUpdate {
				e.Values[obj.Key] = envelope.StringValue(id)
			}
		}
		out = append(out, e)
		if hasGap {
			g := e
			g.ChangeType = gap
			g.ChangedFields, g.NulledFields, g.Values = nil, nil, nil
			out = append(out, g)
		}
	}
	return out, nil
}

// commitNumber returns the commit number of a platform event of topic
// created at created: created in Unix microseconds, raised to one more
// than the topic's previous event's when it is not greater. Events of a
// topic arrive in replay order, so events created in the same millisecond
// (a trigger's CREATE, UPDATE and DELETE of one record can be) keep that
// order for as long as fewer than a thousand share a millisecond.
func (n *Normalizer) commitNumber(topic string, created time.Time) int64 {
	c := created.UnixMicro()
	n.mu.Lock()
	defer n.mu.Unlock()
	if last := n.lastCommit[topic]; c <= last {
		c = last + 1
	}
	n.lastCommit[topic] = c
	return c
}

// platformChangeTypes are the change types a platform event may name.
var platformChangeTypes = map[string]envelope.ChangeType{
	"CREATE":   envelope.ChangeCreate,
	"UPDATE":   envelope.ChangeUpdate,
	"DELETE":   envelope.ChangeDelete,
	"UNDELETE": envelope.ChangeUndelete,
}

// gapTypes are the GAP_ change types that follow an envelope whose event
// did not carry every value the change touched. A DELETE needs no values.
var gapTypes = map[envelope.ChangeType]envelope.ChangeType{
	envelope.ChangeCreate:   envelope.ChangeGapCreate,
	envelope.ChangeUpdate:   envelope.ChangeGapUpdate,
	envelope.ChangeUndelete: envelope.ChangeGapUndelete,
}

// route returns the object of objs, which share a topic, that a platform
// event is about.
func route(rec map[string]any, objs []*mapping.Object) (*mapping.Object, error) {
	field := objs[0].Event.ObjectField
	if field == "" { // the mapping allows this only for a topic of one object
		return objs[0], nil
	}
	name, err := text(rec, field)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrBadEvent)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, fmt.Errorf("no object name in %s: %w", field, ErrBadEvent)
	}
	for _, o := range objs {
		if strings.EqualFold(o.Name, name) {
			return o, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", name, ErrUnmapped)
}

// carried is what a platform event says about an object's mapped fields.
type carried struct {
	values       map[string]envelope.Value // by flat field name, nulls included
	changed      []string
	nulled       []string
	partitionKey string // the carried value of the partition key field, or ""
	incomplete   bool   // the change touched mapped fields whose values the event does not carry
}

// carry reads the values the event carries for obj's mapped fields, in
// field order. changed holds the lower-case names of the fields an UPDATE
// changed, or is nil when the event does not say.
func carry(obj *mapping.Object, rec map[string]any, ct envelope.ChangeType, changed map[string]bool) (carried, error) {
	c := carried{values: map[string]envelope.Value{}}
	for _, f := range obj.Fields {
		if f.Name == obj.Key || (ct == envelope.ChangeDelete && f.Name != obj.PartitionKey) {
			continue // a DELETE needs only the partition key
		}
		touched := ct != envelope.ChangeUpdate || changed == nil || listed(changed, strings.ToLower(f.Name)) || listed(changed, strings.ToLower(f.Source))
		named := ct == envelope.ChangeUpdate && changed != nil && touched
		if named {
			c.changed = append(c.changed, f.Name) // carried or not
		}
		var raw any
		ok := false
		if evField := obj.Event.Carrier(f.Name); evField != "" {
			raw, ok = lookup(rec, evField) // an event schema without the field carries nothing
		}
		if !ok {
			if touched && ct != envelope.ChangeDelete {
				c.incomplete = true
			}
			continue
		}
		if raw == nil {
			// Null in an UPDATE is known only when the event names the
			// field as changed; otherwise it may mean "not sent".
			if ct == envelope.ChangeUpdate && !named {
				continue
			}
			c.values[f.Name] = envelope.NullValue()
			c.nulled = append(c.nulled, f.Name)
			if ct != envelope.ChangeUpdate {
				c.changed = append(c.changed, f.Name)
			}
			continue
		}
		v, err := convert(f, raw)
		if err != nil {
			return carried{}, err
		}
		c.values[f.Name] = v
		if f.Name == obj.PartitionKey {
			if s, ok := v.AsString(); ok {
				c.partitionKey = s
			}
		}
		if ct != envelope.ChangeUpdate {
			c.changed = append(c.changed, f.Name)
		}
	}
	if ct == envelope.ChangeDelete {
		c.values, c.changed, c.nulled = nil, nil, nil
	}
	return c, nil
}

// text returns the string value of the event field name; "" when it is
// null.
func text(rec map[string]any, name string) (string, error) {
	raw, ok := lookup(rec, name)
	if !ok {
		return "", fmt.Errorf("the event has no field %s", name)
	}
	switch x := raw.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	}
	return "", fmt.Errorf("field %s is %T, not text", name, raw)
}

// list splits a comma-separated list, trimming spaces and dropping empty
// and repeated entries.
func list(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part != "" && !seen[part] {
			seen[part] = true
			out = append(out, part)
		}
	}
	return out
}

// createdDate returns the event's CreatedDate, epoch milliseconds.
func createdDate(rec map[string]any) (time.Time, error) {
	raw, _ := lookup(rec, fieldCreatedDate)
	switch x := raw.(type) {
	case int64:
		return time.UnixMilli(x).UTC(), nil
	case time.Time:
		return x.UTC().Truncate(time.Millisecond), nil
	case nil:
		return time.Time{}, fmt.Errorf("no %s", fieldCreatedDate)
	}
	return time.Time{}, fmt.Errorf("%s is %T, not epoch milliseconds", fieldCreatedDate, raw)
}
