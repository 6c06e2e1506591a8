package dlq

import (
	"encoding/hex"
	"strings"
	"time"

	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/schemas/deadletter"
)

// Letter is one record of the producer's dead-letter topic.
type Letter struct {
	// Origin is the dead letter's own position, TOPIC:PARTITION:OFFSET
	// of the dead-letter topic, the form --origin-offset takes: the event
	// came from Salesforce, not from a Kafka record.
	Origin    string    `json:"origin"`
	Partition int       `json:"partition"`
	Offset    int64     `json:"offset"`
	Time      time.Time `json:"time"`
	// Channel, ReplayID (hex), EventID and SchemaID identify the event in
	// Salesforce.
	Channel  string `json:"channel"`
	ReplayID string `json:"replay_id"`
	EventID  string `json:"event_id"`
	SchemaID string `json:"schema_id"`
	// Entity, ChangeType and RecordIDs come from the dead letter's
	// headers, the decoded payload, or the entity from the channel of a
	// change event; empty when unknown.
	Entity     string   `json:"entity,omitempty"`
	ChangeType string   `json:"change_type,omitempty"`
	RecordIDs  []string `json:"record_ids,omitempty"`
	// Reason says why the producer dead-lettered it.
	Reason string `json:"reason"`
	// Size is the payload's length in bytes.
	Size int `json:"size"`
	// Trimmed is "payload" for a dead letter written without its payload
	// (its event's envelopes were too large for Kafka): there is nothing
	// to replay, and the producer requested a reconciliation instead.
	Trimmed string `json:"trimmed,omitempty"`
	// Producer is false for a record of the topic that the producer did
	// not write (its origin header is not "salesforce"): it is listed,
	// never replayed.
	Producer bool `json:"producer"`
	// Replayed says whether a replay wrote it; false when the ledger
	// could not be read.
	Replayed bool `json:"replayed"`

	payload []byte
}

// letterOf describes a record of the dead-letter topic from its headers.
func letterOf(topic string, r record) Letter {
	// A malformed header is left out; the producer's dead letters carry
	// no origin position, and their time falls back to the record's.
	h, _ := deadletter.Parse(r.headers)
	l := Letter{
		Origin:    deadletter.Position{Topic: topic, Partition: r.partition, Offset: r.offset}.String(),
		Partition: r.partition, Offset: r.offset, Time: r.time,
		Channel: h.OriginTopic, ReplayID: h.ReplayID, EventID: h.EventID, SchemaID: h.SchemaID,
		Reason: h.Reason, Size: len(r.value), Producer: h.Origin == deadletter.OriginSalesforce, payload: r.value,
	}
	if l.EventID == "" {
		l.EventID = string(r.key) // the key holds it too
	}
	if !h.Time.IsZero() {
		l.Time = h.Time
	}
	l.Entity, l.ChangeType, l.RecordIDs, l.Trimmed = h.Entity, h.ChangeType, h.RecordIDs, h.Trimmed
	if l.Entity == "" {
		l.Entity = entityOfChannel(l.Channel)
	}
	return l
}

// entityOfChannel returns the object of a single-entity change event
// channel (/data/AccountChangeEvent: Account; /data/Foo__ChangeEvent:
// Foo__c), or "".
func entityOfChannel(channel string) string {
	name, ok := strings.CutPrefix(channel, "/data/")
	if !ok {
		return ""
	}
	if obj, ok := strings.CutSuffix(name, "__ChangeEvent"); ok && obj != "" {
		return obj + "__c"
	}
	if obj, ok := strings.CutSuffix(name, "ChangeEvent"); ok && obj != "" {
		return obj
	}
	return ""
}

// event returns the Pub/Sub event the dead letter holds, undecoded; ok
// is false when its replay id header is not hex.
func (l *Letter) event() (ev pubsub.Event, ok bool) {
	id, err := hex.DecodeString(l.ReplayID)
	if err != nil {
		return pubsub.Event{}, false
	}
	return pubsub.Event{ReplayID: id, ID: l.EventID, SchemaID: l.SchemaID, Topic: l.Channel, Payload: l.payload}, true
}
