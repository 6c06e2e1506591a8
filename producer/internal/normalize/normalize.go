package normalize

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// Outcomes callers branch on; errors wrap them.
var (
	// ErrUnmapped reports an event for an entity the mapping does not name.
	ErrUnmapped = errors.New("entity not in the mapping")
	// ErrNotChangeEvent reports an event without a ChangeEventHeader on a
	// topic the mapping does not feed from a platform event, or one that
	// failed to decode.
	ErrNotChangeEvent = errors.New("not a decoded change event")
	// ErrBadValue reports a value that cannot become its column's type.
	ErrBadValue = errors.New("bad value")
	// ErrBadEvent reports a platform event that lacks what its mapping's
	// event block names: an event id, a record id, a change type sfsync
	// knows, a CreatedDate, or the object name.
	ErrBadEvent = errors.New("bad platform event")
)

// Normalizer turns change events into envelopes following a mapping. It
// is safe for concurrent use; its only mutable state is the last commit
// number given to each platform event topic.
type Normalizer struct {
	mapping *mapping.Mapping
	orgID   string
	now     func() time.Time
	// events holds the objects fed by each platform event topic.
	events map[string][]*mapping.Object

	mu sync.Mutex
	// lastCommit holds the commit number of the latest platform event of
	// each topic.
	lastCommit map[string]int64
}

// Option configures a [Normalizer].
type Option func(*Normalizer)

// WithClock sets the source of envelopes' ProducedAt; the default is
// time.Now.
func WithClock(now func() time.Time) Option { return func(n *Normalizer) { n.now = now } }

// New returns a Normalizer for the objects of m, stamping envelopes with
// orgID.
func New(m *mapping.Mapping, orgID string, opts ...Option) *Normalizer {
	n := &Normalizer{mapping: m, orgID: orgID, now: time.Now, events: map[string][]*mapping.Object{}, lastCommit: map[string]int64{}}
	for _, o := range opts {
		o(n)
	}
	for _, o := range m.Objects {
		if o.Event != nil {
			n.events[o.Topic] = append(n.events[o.Topic], o)
		}
	}
	return n
}

// base returns what every envelope of ev shares, whether it comes from a
// change event or a platform event: the event, org, channel and replay
// id, obj's name, the change type ct, and when it was produced.
func (n *Normalizer) base(ev *pubsub.Event, obj *mapping.Object, ct envelope.ChangeType) envelope.Envelope {
	return envelope.Envelope{
		EventID: ev.ID, OrgID: n.orgID, SourceChannel: ev.Topic, ReplayID: ev.ReplayID,
		Entity: obj.Name, ChangeType: ct, ProducedAt: n.now(),
	}
}

// Envelopes returns the envelopes of ev, one per record id, in the order of
// the event's record ids; for a platform event each may be followed by a
// GAP_ envelope of the same record (see the package documentation). All
// envelopes of one event are of one entity.
func (n *Normalizer) Envelopes(ev *pubsub.Event) ([]envelope.Envelope, error) {
	if objs := n.events[ev.Topic]; len(objs) > 0 && ev.Header == nil && ev.DecodeErr == nil {
		return n.platformEnvelopes(ev, objs)
	}
	h := ev.Header
	if ev.DecodeErr != nil {
		// The decode error says what was wrong; the dead letter's reason
		// carries it.
		return nil, fmt.Errorf("event %s on %s: %w: %w", ev.ID, ev.Topic, ErrNotChangeEvent, ev.DecodeErr)
	}
	if h == nil {
		return nil, fmt.Errorf("event %s on %s: %w", ev.ID, ev.Topic, ErrNotChangeEvent)
	}
	obj := n.mapping.Object(h.EntityName)
	if obj == nil {
		return nil, fmt.Errorf("event %s on %s: %s: %w", ev.ID, ev.Topic, h.EntityName, ErrUnmapped)
	}
	ct, err := envelope.ParseChangeType(string(h.ChangeType))
	if err != nil {
		return nil, fmt.Errorf("event %s on %s: %w", ev.ID, ev.Topic, err)
	}
	if len(h.RecordIDs) == 0 {
		return nil, fmt.Errorf("event %s on %s: %s %s without record ids: %w", ev.ID, ev.Topic, h.ChangeType, h.EntityName, ErrBadValue)
	}
	base := n.base(ev, obj, ct)
	base.CommitTimestamp, base.CommitNumber, base.SequenceNumber = h.CommitTimestamp, h.CommitNumber, int32(h.SequenceNumber)
	base.TransactionKey, base.CommitUser = h.TransactionKey, h.CommitUser
	var values map[string]envelope.Value
	switch ct {
	case envelope.ChangeCreate, envelope.ChangeUndelete:
		values, err = createValues(obj, ev.Record)
	case envelope.ChangeUpdate:
		base.ChangedFields, base.NulledFields, values, err = updateValues(obj, ev.Record, h.ChangedFields, h.NulledFields)
	}
	if err != nil {
		return nil, fmt.Errorf("event %s: %s %s: %w", ev.ID, h.EntityName, strings.Join(h.RecordIDs, ","), err)
	}
	out := make([]envelope.Envelope, 0, len(h.RecordIDs))
	for _, id := range h.RecordIDs {
		e := base
		e.RecordID = id
		if ct == envelope.ChangeGapOverflow {
			e.RecordID = pubsub.OverflowRecordID
		}
		if values != nil {
			e.Values = make(map[string]envelope.Value, len(values)+1)
			for k, v := range values {
				e.Values[k] = v
			}
			if ct != envelope.ChangeUpdate {
				e.Values[obj.Key] = envelope.StringValue(id)
			}
		}
		e.PartitionKey = partitionKey(obj, e)
		out = append(out, e)
	}
	return out, nil
}

// partitionKey returns the value of the object's partition key field in e,
// or the record id when e does not carry it (an UPDATE that left it alone,
// a DELETE, a gap).
func partitionKey(obj *mapping.Object, e envelope.Envelope) string {
	if obj.PartitionKey == obj.Key {
		return e.RecordID
	}
	if v, ok := e.Values[obj.PartitionKey]; ok {
		if s, ok := v.AsString(); ok && s != "" {
			return s
		}
	}
	return e.RecordID
}

// createValues returns every mapped field that rec sets, except the key,
// which the body does not carry.
func createValues(obj *mapping.Object, rec map[string]any) (map[string]envelope.Value, error) {
	values := map[string]envelope.Value{}
	for _, f := range obj.Fields {
		if f.Name == obj.Key {
			continue
		}
		raw, ok := lookup(rec, f.Source)
		if !ok || raw == nil {
			continue
		}
		v, err := convert(f, raw)
		if err != nil {
			return nil, err
		}
		values[f.Name] = v
	}
	return values, nil
}

// updateValues returns the flat names of the mapped fields that changed
// and that were nulled, and their values. A field's source counts as
// listed when it is listed itself or its whole compound is (Name,
// BillingAddress).
func updateValues(obj *mapping.Object, rec map[string]any, changed, nulled []string) (ch, nu []string, values map[string]envelope.Value, err error) {
	changedSet, nulledSet := set(changed), set(nulled)
	values = map[string]envelope.Value{}
	for _, f := range obj.Fields {
		isNulled := listed(nulledSet, f.Source)
		if !isNulled && !listed(changedSet, f.Source) {
			continue
		}
		ch = append(ch, f.Name)
		raw, _ := lookup(rec, f.Source)
		if isNulled || raw == nil {
			nu = append(nu, f.Name)
			values[f.Name] = envelope.NullValue()
			continue
		}
		v, err := convert(f, raw)
		if err != nil {
			return nil, nil, nil, err
		}
		values[f.Name] = v
	}
	return ch, nu, values, nil
}

func set(names []string) map[string]bool {
	s := make(map[string]bool, len(names))
	for _, n := range names {
		s[n] = true
	}
	return s
}

func listed(s map[string]bool, source string) bool {
	if s[source] {
		return true
	}
	parent, _, nested := strings.Cut(source, ".")
	return nested && s[parent]
}

// lookup returns the value at source ("Field" or "Compound.Component") in
// a goavro native record, with union wrappers removed; ok is false when
// the schema has no such field.
func lookup(rec map[string]any, source string) (any, bool) {
	parent, child, nested := strings.Cut(source, ".")
	v, ok := rec[parent]
	if !ok {
		return nil, false
	}
	v = unwrap(v)
	if !nested || v == nil {
		return v, true
	}
	m, ok := v.(map[string]any)
	if !ok {
		// A switchable field such as Account.Name sent as a plain string
		// has no components.
		return nil, false
	}
	c, ok := m[child]
	if !ok {
		return nil, false
	}
	return unwrap(c), true
}

// avroPrimitives are the branch names goavro gives union values of
// primitive types; logical types add a suffix ("long.timestamp-millis").
var avroPrimitives = map[string]bool{
	"null": true, "boolean": true, "int": true, "long": true, "float": true,
	"double": true, "bytes": true, "string": true,
}

// unwrap removes goavro's union wrapper, a one-entry map from the branch
// name to the value. A branch name is a primitive type name, possibly
// with a logical type suffix, or a namespaced record name; record values
// themselves are maps of field names, which never contain a dot, so the
// two are told apart.
func unwrap(v any) any {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return v
	}
	for k, inner := range m {
		prim, _, _ := strings.Cut(k, ".")
		if avroPrimitives[prim] || strings.Contains(k, ".") {
			return inner
		}
	}
	return v
}
