package envelope

import "fmt"

// ChangeType says what happened to a record. Its zero value is invalid, so
// that an unset change type is caught by [Envelope.Validate].
type ChangeType uint8

// The change types of Salesforce Change Data Capture, in the order of the
// Avro enum symbols of the envelope schema.
const (
	// ChangeCreate is a new record; the values hold the fields set on it.
	ChangeCreate ChangeType = iota + 1
	// ChangeUpdate is a change to a record; the values hold the changed fields.
	ChangeUpdate
	// ChangeDelete is a deleted record; no values.
	ChangeDelete
	// ChangeUndelete is a record restored from the recycle bin.
	ChangeUndelete
	// ChangeGapCreate is a create that Salesforce could not describe; re-read the record.
	ChangeGapCreate
	// ChangeGapUpdate is an update that Salesforce could not describe; re-read the record.
	ChangeGapUpdate
	// ChangeGapDelete is a delete that Salesforce could not describe; re-read the record.
	ChangeGapDelete
	// ChangeGapUndelete is an undelete that Salesforce could not describe; re-read the record.
	ChangeGapUndelete
	// ChangeGapOverflow says a transaction changed more records of the entity
	// than Salesforce reports one by one; re-synchronise the entity.
	ChangeGapOverflow
	// ChangeSnapshot is the full state of a record, published by the reconciler.
	ChangeSnapshot
)

var changeTypeNames = [...]string{
	ChangeCreate:      "CREATE",
	ChangeUpdate:      "UPDATE",
	ChangeDelete:      "DELETE",
	ChangeUndelete:    "UNDELETE",
	ChangeGapCreate:   "GAP_CREATE",
	ChangeGapUpdate:   "GAP_UPDATE",
	ChangeGapDelete:   "GAP_DELETE",
	ChangeGapUndelete: "GAP_UNDELETE",
	ChangeGapOverflow: "GAP_OVERFLOW",
	ChangeSnapshot:    "SNAPSHOT",
}

// ChangeTypes returns every valid change type in enum order.
func ChangeTypes() []ChangeType {
	types := make([]ChangeType, 0, len(changeTypeNames)-1)
	for t := ChangeCreate; t <= ChangeSnapshot; t++ {
		types = append(types, t)
	}
	return types
}

// ParseChangeType returns the change type named by its Salesforce symbol,
// such as "UPDATE" or "GAP_OVERFLOW". Symbols are case-sensitive.
func ParseChangeType(s string) (ChangeType, error) {
	for t := ChangeCreate; t <= ChangeSnapshot; t++ {
		if changeTypeNames[t] == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown change type %q", s)
}

// Valid reports whether t is one of the defined change types.
func (t ChangeType) Valid() bool {
	return t >= ChangeCreate && t <= ChangeSnapshot
}

// IsGap reports whether t is a gap event (GAP_CREATE, GAP_UPDATE,
// GAP_DELETE, GAP_UNDELETE or GAP_OVERFLOW), whose values are empty and
// whose records must be re-read from Salesforce.
func (t ChangeType) IsGap() bool {
	return t >= ChangeGapCreate && t <= ChangeGapOverflow
}

// String returns the Salesforce symbol of t, such as "CREATE", or
// "ChangeType(n)" for an invalid value.
func (t ChangeType) String() string {
	if !t.Valid() {
		return fmt.Sprintf("ChangeType(%d)", uint8(t))
	}
	return changeTypeNames[t]
}

// MarshalText returns the Salesforce symbol of t. It fails for an invalid t.
func (t ChangeType) MarshalText() ([]byte, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("marshal change type: invalid value %d", uint8(t))
	}
	return []byte(changeTypeNames[t]), nil
}

// UnmarshalText sets t from its Salesforce symbol.
func (t *ChangeType) UnmarshalText(text []byte) error {
	parsed, err := ParseChangeType(string(text))
	if err != nil {
		return err
	}
	*t = parsed
	return nil
}
