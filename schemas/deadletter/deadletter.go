package deadletter

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The headers of a dead letter.
const (
	// HeaderReason says why the record was dead-lettered; it names no
	// secret.
	HeaderReason = "sfsync-dlq-reason"
	// HeaderOrigin says which service dead-lettered the record:
	// [OriginSalesforce] or [OriginConsumer].
	HeaderOrigin = "sfsync-origin"
	// HeaderOriginTopic is the topic the record came from: a Pub/Sub
	// topic such as /data/AccountChangeEvent for the producer, a Kafka
	// topic for the consumer.
	HeaderOriginTopic = "sfsync-origin-topic"
	// HeaderOriginPartition and HeaderOriginOffset locate the Kafka
	// record a consumer dead letter came from.
	HeaderOriginPartition = "sfsync-origin-partition"
	HeaderOriginOffset    = "sfsync-origin-offset"
	// HeaderGroup is the consumer group that dead-lettered the record.
	HeaderGroup = "sfsync-consumer-group"
	// HeaderTime is when the record was dead-lettered, RFC 3339 with
	// nanoseconds, UTC.
	HeaderTime = "sfsync-dlq-time"
	// HeaderReplayID is the Salesforce replay id of a producer dead
	// letter, in lower-case hex.
	HeaderReplayID = "sfsync-replay-id"
	// HeaderEventID is the Salesforce event id (EventUuid) of a producer
	// dead letter; the record's key holds it too.
	HeaderEventID = "sfsync-event-id"
	// HeaderSchemaID is the id of the Salesforce schema that wrote a
	// producer dead letter's payload.
	HeaderSchemaID = "sfsync-schema-id"
	// HeaderReplayedFrom is set on a record that a consumer replay wrote
	// back to its origin topic: the dead letter's [Position].
	HeaderReplayedFrom = "sfsync-replayed-from"
	// HeaderEntity, HeaderRecordIDs (comma-separated) and
	// HeaderChangeType name the records of a producer dead letter whose
	// event decoded. HeaderChangeType is also the header of every
	// envelope record, so a consumer dead letter carries it too.
	HeaderEntity     = "sfsync-entity"
	HeaderRecordIDs  = "sfsync-record-ids"
	HeaderChangeType = "sfsync-change-type"
	// HeaderTrimmed marks a dead letter written without what made it too
	// large for Kafka: [TrimmedPayload] (a producer dead letter without
	// the event's payload) or [TrimmedValue] (a consumer dead letter
	// without the record's value).
	HeaderTrimmed = "sfsync-dlq-trimmed"
	// HeaderSize is the size in bytes of the record Kafka would not take,
	// and HeaderLimit the limit of its topic (max.message.bytes), on a
	// trimmed dead letter.
	HeaderSize  = "sfsync-dlq-size"
	HeaderLimit = "sfsync-dlq-limit"
)

// The values of [HeaderTrimmed].
const (
	TrimmedPayload = "payload"
	TrimmedValue   = "value"
)

// ReasonOversized starts the reason of a dead letter written because its
// record was larger than Kafka takes.
const ReasonOversized = "oversized"

// The values of [HeaderOrigin].
const (
	// OriginSalesforce marks a producer dead letter: a Salesforce event.
	OriginSalesforce = "salesforce"
	// OriginConsumer marks a consumer dead letter: a Kafka record.
	OriginConsumer = "consumer"
)

// Position is where a record is in Kafka.
type Position struct {
	Topic     string
	Partition int
	Offset    int64
}

// String returns p as "topic:partition:offset".
func (p Position) String() string {
	return p.Topic + ":" + strconv.Itoa(p.Partition) + ":" + strconv.FormatInt(p.Offset, 10)
}

// ParsePosition parses "topic:partition:offset". The topic may contain
// colons (Kafka topic names cannot, but the Pub/Sub topics of other
// positions might); the partition and offset are the last two fields.
func ParsePosition(s string) (Position, error) {
	i := strings.LastIndexByte(s, ':')
	j := -1
	if i > 0 {
		j = strings.LastIndexByte(s[:i], ':')
	}
	if j <= 0 {
		return Position{}, fmt.Errorf("%q: want topic:partition:offset", s)
	}
	p, err1 := strconv.Atoi(s[j+1 : i])
	o, err2 := strconv.ParseInt(s[i+1:], 10, 64)
	if err1 != nil || err2 != nil || p < 0 || o < 0 {
		return Position{}, fmt.Errorf("%q: want topic:partition:offset", s)
	}
	return Position{Topic: s[:j], Partition: p, Offset: o}, nil
}

// Headers are the dead-letter headers of one record, as [Parse] reads
// them; a header the record lacks is the zero value.
type Headers struct {
	Reason      string
	Origin      string // OriginSalesforce or OriginConsumer
	OriginTopic string
	// OriginPartition and OriginOffset locate a consumer dead letter's
	// record; OriginPosition is false when either is missing or
	// malformed, and both are then 0, which is no position: check
	// OriginPosition before using them.
	OriginPartition int
	OriginOffset    int64
	OriginPosition  bool
	Group           string
	// Time is zero when the header is missing or not RFC 3339.
	Time     time.Time
	ReplayID string // hex
	EventID  string
	SchemaID string
	// Entity, RecordIDs and ChangeType name the records, when known.
	Entity     string
	RecordIDs  []string
	ChangeType string
	// Trimmed is what a trimmed dead letter left out ([TrimmedPayload],
	// [TrimmedValue]), empty otherwise; Size and Limit are then the
	// refused record's size and its topic's limit (0 when missing).
	Trimmed     string
	Size, Limit int
}

// Header is a record header as Kafka clients hold it: kafka-go's
// kafka.Header, or any type of the same two fields, which [Parse] takes
// so that this contract needs no Kafka client.
type Header interface {
	~struct {
		Key   string
		Value []byte
	}
}

// header is the struct every [Header] type converts to.
type header = struct {
	Key   string
	Value []byte
}

// Parse reads the dead-letter headers of a record's headers, ignoring
// the others. A partition or offset header that is not a non-negative
// decimal number, a time header that is not RFC 3339, or a position
// header given twice is an error naming the header; the Headers returned
// with it hold every header that did parse, and OriginPosition is false.
func Parse[H Header](headers []H) (Headers, error) {
	var h Headers
	var partitionOK, offsetOK bool
	var bad []string
	text := map[string]*string{
		HeaderReason: &h.Reason, HeaderOrigin: &h.Origin, HeaderOriginTopic: &h.OriginTopic, HeaderGroup: &h.Group,
		HeaderReplayID: &h.ReplayID, HeaderEventID: &h.EventID, HeaderSchemaID: &h.SchemaID,
		HeaderEntity: &h.Entity, HeaderChangeType: &h.ChangeType, HeaderTrimmed: &h.Trimmed,
	}
	seen := map[string]bool{}
	for _, rh := range headers {
		kh := header(rh)
		v := string(kh.Value)
		if dst, ok := text[kh.Key]; ok {
			*dst = v
			continue
		}
		switch kh.Key {
		case HeaderOriginPartition, HeaderOriginOffset:
			if seen[kh.Key] {
				bad = append(bad, kh.Key+" given twice")
				partitionOK, offsetOK = false, false
				continue
			}
			seen[kh.Key] = true
			n, ok := number(v)
			if !ok || kh.Key == HeaderOriginPartition && n > math.MaxInt32 {
				bad = append(bad, fmt.Sprintf("%s %q is not a partition or offset", kh.Key, v))
				continue
			}
			if kh.Key == HeaderOriginPartition {
				h.OriginPartition, partitionOK = int(n), true
			} else {
				h.OriginOffset, offsetOK = n, true
			}
		case HeaderTime:
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s %q is not RFC 3339", kh.Key, v))
				continue
			}
			h.Time = t
		case HeaderRecordIDs:
			if v != "" {
				h.RecordIDs = strings.Split(v, ",")
			}
		case HeaderSize:
			h.Size, _ = strconv.Atoi(v)
		case HeaderLimit:
			h.Limit, _ = strconv.Atoi(v)
		}
	}
	h.OriginPosition = partitionOK && offsetOK && len(bad) == 0
	if !h.OriginPosition {
		h.OriginPartition, h.OriginOffset = 0, 0
	}
	if len(bad) > 0 {
		return h, fmt.Errorf("dead-letter headers: %s", strings.Join(bad, "; "))
	}
	return h, nil
}

// number parses a non-negative decimal number as the services write
// partitions and offsets: digits only, no sign, no leading zero.
func number(s string) (int64, bool) {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
