package pubsub

import (
	"errors"
	"fmt"
	"time"

	"github.com/sfsync/sfsync/salesforce/bitmap"
)

// ChangeType is a change event's changeType (spec §2.3.2).
type ChangeType string

// Change types.
const (
	Create      ChangeType = "CREATE"
	Update      ChangeType = "UPDATE"
	Delete      ChangeType = "DELETE"
	Undelete    ChangeType = "UNDELETE"
	GapCreate   ChangeType = "GAP_CREATE"
	GapUpdate   ChangeType = "GAP_UPDATE"
	GapDelete   ChangeType = "GAP_DELETE"
	GapUndelete ChangeType = "GAP_UNDELETE"
	GapOverflow ChangeType = "GAP_OVERFLOW"
)

// Gap reports a GAP_* change type, overflow included: the body carries
// nothing and the records must be re-read.
func (t ChangeType) Gap() bool {
	switch t {
	case GapCreate, GapUpdate, GapDelete, GapUndelete, GapOverflow:
		return true
	}
	return false
}

// OverflowRecordID is the only record id of a GAP_OVERFLOW event.
const OverflowRecordID = "000000000000000AAA"

// ChangeEventHeader is the parsed header of a change event, with the
// field bitmaps expanded into field names.
type ChangeEventHeader struct {
	// EntityName is the object's API name, e.g. Account.
	EntityName string
	// RecordIDs are the changed records; several for a merged event,
	// [OverflowRecordID] for an overflow event.
	RecordIDs []string
	// ChangeType is CREATE, UPDATE, … or a GAP_* type.
	ChangeType ChangeType
	// ChangeOrigin is the API and client that made the change, or empty.
	ChangeOrigin string
	// TransactionKey groups the events of one transaction.
	TransactionKey string
	// SequenceNumber orders the events of one transaction from 1.
	SequenceNumber int
	// CommitTimestamp is the commit time (millisecond precision, UTC).
	CommitTimestamp time.Time
	// CommitNumber orders commits; it may exceed 2^53.
	CommitNumber int64
	// CommitUser is the id of the committing user.
	CommitUser string
	// ChangedFields, NulledFields and DiffFields are the decoded bitmaps:
	// top-level field names and "Parent.Component" names of compound
	// fields, e.g. BillingAddress.City, in schema order.
	ChangedFields, NulledFields, DiffFields []string
}

// Event is one event of a subscription, decoded with its writer schema.
type Event struct {
	// ReplayID is the event's replay id, exactly as received: opaque
	// bytes to store and send back, never to parse.
	ReplayID []byte
	// ID is the event id (EventUuid for platform events).
	ID string
	// SchemaID is the id of the schema that wrote Payload.
	SchemaID string
	// Topic is the subscription's topic.
	Topic string
	// Payload is the Avro binary payload as received, kept so that an
	// undecodable event can be dead-lettered.
	Payload []byte
	// Record is the decoded record in goavro's native form: nullable
	// fields are nil or a one-entry map from branch name to value
	// ({"string": "Acme"}), longs are int64, arrays []any.
	Record map[string]any
	// Header is the parsed ChangeEventHeader of a change event; nil for
	// platform events and undecodable events.
	Header *ChangeEventHeader
	// DecodeErr, when not nil, wraps [ErrDecode] and says why the payload
	// could not be decoded; Record and Header are then nil. When the
	// schema could not be fetched it also wraps the call's [*Error], and
	// [IsRetryable] tells whether to resubscribe from before this event
	// instead of dead-lettering it.
	DecodeErr error
	// Keepalive marks not an event but a keepalive: ReplayID is then a
	// position that is safe to checkpoint and resume from, and every
	// other field is empty.
	Keepalive bool
}

// DecodeEvent decodes a payload written with schema s into ev's Record
// and Header, setting ev.DecodeErr instead on failure; it never panics on
// hostile bytes.
func DecodeEvent(s *Schema, ev *Event) {
	rec, err := decodeRecord(s, ev.Payload)
	if err != nil {
		ev.DecodeErr = fmt.Errorf("%w %s (schema %s): %w", ErrDecode, ev.ID, s.ID, err)
		return
	}
	if s.ChangeEvent {
		h, err := parseHeader(s, rec["ChangeEventHeader"])
		if err != nil {
			ev.DecodeErr = fmt.Errorf("%w %s (schema %s): header: %w", ErrDecode, ev.ID, s.ID, err)
			return
		}
		ev.Header = h
	}
	ev.Record = rec
}

func decodeRecord(s *Schema, payload []byte) (map[string]any, error) {
	// goavro trusts the block counts of arrays and maps and allocates
	// for them before reading the items, so 5 hostile bytes could ask
	// for gigabytes: the guard refuses counts and lengths that the bytes
	// left cannot hold.
	if s.guard != nil {
		if err := s.guard.Check(payload); err != nil {
			return nil, err
		}
	}
	native, rest, err := s.Codec.NativeFromBinary(payload)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%d bytes after the record", len(rest))
	}
	rec, ok := native.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("payload is %T, not a record", native)
	}
	return rec, nil
}

var errHeaderShape = errors.New("unexpected shape")

func parseHeader(s *Schema, v any) (*ChangeEventHeader, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: %T", errHeaderShape, v)
	}
	if len(m) == 1 { // a union branch wrapping the record
		for _, inner := range m {
			if im, ok := inner.(map[string]any); ok {
				m = im
			}
		}
	}
	h := &ChangeEventHeader{
		EntityName:     str(m["entityName"]),
		ChangeType:     ChangeType(str(m["changeType"])),
		ChangeOrigin:   str(m["changeOrigin"]),
		TransactionKey: str(m["transactionKey"]),
		CommitUser:     str(m["commitUser"]),
	}
	if h.EntityName == "" || h.ChangeType == "" {
		return nil, fmt.Errorf("%w: entityName or changeType missing", errHeaderShape)
	}
	var err error
	if h.RecordIDs, err = strList(m["recordIds"]); err != nil {
		return nil, fmt.Errorf("recordIds: %w", err)
	}
	h.SequenceNumber = int(integer(m["sequenceNumber"]))
	if ts := integer(m["commitTimestamp"]); ts != 0 {
		h.CommitTimestamp = time.UnixMilli(ts).UTC()
	}
	h.CommitNumber = integer(m["commitNumber"])
	for _, f := range []struct {
		key string
		dst *[]string
	}{{"changedFields", &h.ChangedFields}, {"nulledFields", &h.NulledFields}, {"diffFields", &h.DiffFields}} {
		raw, err := strList(m[f.key])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.key, err)
		}
		if *f.dst, err = bitmap.Decode(s.Fields, raw); err != nil {
			return nil, fmt.Errorf("%s: %w", f.key, err)
		}
	}
	return h, nil
}

// unwrap returns the value of a one-branch union map, or v.
func unwrap(v any) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for _, x := range m {
			return x
		}
	}
	return v
}

func str(v any) string {
	s, _ := unwrap(v).(string)
	return s
}

func integer(v any) int64 {
	switch x := unwrap(v).(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	}
	return 0
}

func strList(v any) ([]string, error) {
	v = unwrap(v)
	if v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %T", errHeaderShape, v)
	}
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("%w: element %T", errHeaderShape, x)
		}
		out = append(out, s)
	}
	return out, nil
}
