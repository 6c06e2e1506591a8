package envelope

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Envelope is one change to one Salesforce record, the unit sfsync writes to
// Kafka. The producer builds one per record id of a change event (a merged
// event with several record ids yields several envelopes); the reconciler
// builds SNAPSHOT envelopes from records it reads. An Envelope is a plain
// value: not safe for concurrent mutation.
type Envelope struct {
	// EventID identifies the event for deduplication: the Pub/Sub event id,
	// or an id the reconciler made for a snapshot. Required.
	EventID string
	// OrgID is the 18-character id of the Salesforce org.
	OrgID string
	// SourceChannel is the Pub/Sub topic the event came from, such as
	// /data/AccountChangeEvent; for the reconciler's envelopes, its origin
	// ([ReconcilerOrigin] and the mode, such as reconciler/repair).
	SourceChannel string
	// ReplayID is the opaque Pub/Sub replay id of the event; empty for
	// reconciler snapshots.
	ReplayID []byte
	// Entity is the API name of the sObject, such as Account. Required.
	Entity string
	// RecordID is the 18-character id of the record;
	// 000000000000000AAA for GAP_OVERFLOW. Required.
	RecordID string
	// ChangeType says what happened. Required.
	ChangeType ChangeType
	// CommitTimestamp is the Salesforce commit time, with millisecond
	// precision; decoded values are in UTC.
	CommitTimestamp time.Time
	// CommitNumber is the system change number of the commit; it orders
	// commits and may exceed 2^53.
	CommitNumber int64
	// SequenceNumber orders the changes within one transaction, from 1.
	SequenceNumber int32
	// TransactionKey groups the changes of one Salesforce transaction.
	TransactionKey string
	// CommitUser is the id of the user who committed the change.
	CommitUser string
	// ChangedFields lists the fields an UPDATE changed, by flat field name
	// (the mapping's field names, such as BillingCity, not the change
	// event's BillingAddress.City). Decoding returns nil when empty.
	ChangedFields []string
	// NulledFields lists the fields set to null, by flat field name.
	// Decoding returns nil when empty.
	NulledFields []string
	// Values holds field values by flat field name. A field that is absent
	// is unknown (for an UPDATE: unchanged); a field present with a null
	// Value is known to be null. Decoding returns nil when empty.
	Values map[string]Value
	// PartitionKey is the Kafka record key: the value of the mapping's
	// partition key field, or the record id.
	PartitionKey string
	// ProducedAt is when sfsync wrote the record to Kafka, with millisecond
	// precision; decoded values are in UTC.
	ProducedAt time.Time
}

// ReconcilerOrigin begins the SourceChannel of every envelope the
// reconciler writes; Salesforce's channels begin with "/".
const ReconcilerOrigin = "reconciler/"

// PollOrigin is the SourceChannel of the envelopes the reconciler's poll
// mode writes for the objects Salesforce streams no changes of: they are
// those objects' changes as the poll finds them.
const PollOrigin = ReconcilerOrigin + "poll"

// Corrective reports whether e is a record's state the reconciler re-read
// from Salesforce to repair a gap or a difference (a verify, repair,
// refetch, backfill or compaction), not a change as it happened: its
// commit timestamp is the record's last modification, so its age
// measures how long the repair came after the change, not lag. The poll
// mode's envelopes are changes, not corrections.
func (e *Envelope) Corrective() bool {
	return strings.HasPrefix(e.SourceChannel, ReconcilerOrigin) && e.SourceChannel != PollOrigin
}

// Validate reports whether e can be encoded: it needs an event id, an
// entity, a record id and a valid change type, and every value must be
// valid (a real date, a time of day within a day, a decimal scale within
// 0 to [MaxDecimalScale]) under a non-empty field name. The error wraps
// [ErrInvalid] and lists every problem.
func (e *Envelope) Validate() error {
	var problems []string
	if e.EventID == "" {
		problems = append(problems, "missing event id")
	}
	if e.Entity == "" {
		problems = append(problems, "missing entity")
	}
	if e.RecordID == "" {
		problems = append(problems, "missing record id")
	}
	if !e.ChangeType.Valid() {
		problems = append(problems, fmt.Sprintf("invalid change type %d", uint8(e.ChangeType)))
	}
	for _, name := range e.badValues() {
		if name == "" {
			problems = append(problems, "value with empty field name")
			continue
		}
		if err := e.Values[name].check(); err != nil {
			problems = append(problems, fmt.Sprintf("field %s: %v", name, err))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
}

// badValues returns the names of the values that do not pass check, or
// whose name is empty, sorted for stable messages; it allocates nothing
// when every value passes, as nearly always.
func (e *Envelope) badValues() []string {
	var names []string
	for name, v := range e.Values {
		if name == "" || v.check() != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}
