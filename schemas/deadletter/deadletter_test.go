package deadletter

import (
	"reflect"
	"strconv"
	"testing"
	"time"
)

func TestParsePosition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario, in string
		want         Position
		bad          bool
	}{
		{scenario: "plain", in: "sfsync.account:3:1234", want: Position{"sfsync.account", 3, 1234}},
		{scenario: "zeros", in: "t:0:0", want: Position{"t", 0, 0}},
		{scenario: "colon in topic", in: "a:b:1:2", want: Position{"a:b", 1, 2}},
		{scenario: "no topic", in: ":1:2", bad: true},
		{scenario: "two fields", in: "t:1", bad: true},
		{scenario: "negative partition", in: "t:-1:2", bad: true},
		{scenario: "negative offset", in: "t:1:-2", bad: true},
		{scenario: "not a number", in: "t:x:2", bad: true},
		{scenario: "empty", in: "", bad: true},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePosition(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("ParsePosition(%q) = %v, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParsePosition(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			if got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func FuzzParsePosition(f *testing.F) {
	f.Add("sfsync.account:3:1234")
	f.Add("a:b:c")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePosition(s)
		if err != nil {
			return
		}
		q, err := ParsePosition(p.String())
		if err != nil || q != p {
			t.Fatalf("%q parsed as %v, whose String %q parses as %v, %v", s, p, p.String(), q, err)
		}
	})
}

func TestParse(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 15, 4, 5, 6, time.UTC)
	h, err := Parse([]kafkaHeader{
		{Key: "own", Value: []byte("kept out")},
		{Key: HeaderReason, Value: []byte("decode: bad")},
		{Key: HeaderOrigin, Value: []byte(OriginSalesforce)},
		{Key: HeaderOriginTopic, Value: []byte("/data/AccountChangeEvent")},
		{Key: HeaderReplayID, Value: []byte("00ff")},
		{Key: HeaderEventID, Value: []byte("e-1")},
		{Key: HeaderSchemaID, Value: []byte("s-1")},
		{Key: HeaderTime, Value: []byte(at.Format(time.RFC3339Nano))},
	})
	want := Headers{Reason: "decode: bad", Origin: OriginSalesforce, OriginTopic: "/data/AccountChangeEvent",
		ReplayID: "00ff", EventID: "e-1", SchemaID: "s-1", Time: at}
	if err != nil || !reflect.DeepEqual(h, want) {
		t.Errorf("got %+v, want %+v", h, want)
	}
	h, err = Parse([]kafkaHeader{
		{Key: HeaderOrigin, Value: []byte(OriginConsumer)}, {Key: HeaderOriginTopic, Value: []byte("t")},
		{Key: HeaderOriginPartition, Value: []byte("3")}, {Key: HeaderOriginOffset, Value: []byte("1234")},
		{Key: HeaderGroup, Value: []byte("g")},
	})
	want = Headers{Origin: OriginConsumer, OriginTopic: "t", OriginPartition: 3, OriginOffset: 1234, OriginPosition: true, Group: "g"}
	if err != nil || !reflect.DeepEqual(h, want) {
		t.Errorf("got %+v, %v; want %+v", h, err, want)
	}
	h, err = Parse([]kafkaHeader{
		{Key: HeaderEntity, Value: []byte("Account")}, {Key: HeaderChangeType, Value: []byte("UPDATE")},
		{Key: HeaderRecordIDs, Value: []byte("001A,001B")}, {Key: HeaderTrimmed, Value: []byte(TrimmedPayload)},
		{Key: HeaderSize, Value: []byte("70000")}, {Key: HeaderLimit, Value: []byte("65536")},
	})
	want = Headers{Entity: "Account", ChangeType: "UPDATE", RecordIDs: []string{"001A", "001B"}, Trimmed: TrimmedPayload, Size: 70000, Limit: 65536}
	if err != nil || !reflect.DeepEqual(h, want) {
		t.Errorf("trimmed: got %+v, %v; want %+v", h, err, want)
	}
	if h, err := Parse([]kafkaHeader{{Key: HeaderOriginPartition, Value: []byte("3")}}); err != nil || h.OriginPosition {
		t.Errorf("a partition without an offset is a position: %+v, %v", h, err)
	}
}

// TestParseMalformed checks that a malformed header is an error, never
// a position at partition 0, offset 0.
func TestParseMalformed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario, partition, offset, time string
	}{
		{scenario: "partition not a number", partition: "three", offset: "1234"},
		{scenario: "offset not a number", partition: "3", offset: "12x"},
		{scenario: "empty offset", partition: "3", offset: ""},
		{scenario: "negative partition", partition: "-1", offset: "1234"},
		{scenario: "negative offset", partition: "3", offset: "-2"},
		{scenario: "signed offset", partition: "3", offset: "+2"},
		{scenario: "leading zero", partition: "03", offset: "2"},
		{scenario: "partition beyond int32", partition: "2147483648", offset: "2"},
		{scenario: "offset beyond int64", partition: "3", offset: "9223372036854775808"},
		{scenario: "time not RFC 3339", partition: "3", offset: "1234", time: "yesterday"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			hs := []kafkaHeader{
				{Key: HeaderOriginTopic, Value: []byte("t")},
				{Key: HeaderOriginPartition, Value: []byte(tc.partition)},
				{Key: HeaderOriginOffset, Value: []byte(tc.offset)},
			}
			if tc.time != "" {
				hs = append(hs, kafkaHeader{Key: HeaderTime, Value: []byte(tc.time)})
			}
			h, err := Parse(hs)
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", h)
			}
			if h.OriginPosition || h.OriginPartition != 0 || h.OriginOffset != 0 || h.OriginTopic != "t" {
				t.Errorf("Parse = %+v, want the topic and no position", h)
			}
		})
	}
	h, err := Parse([]kafkaHeader{
		{Key: HeaderOriginPartition, Value: []byte("3")}, {Key: HeaderOriginOffset, Value: []byte("1")},
		{Key: HeaderOriginOffset, Value: []byte("2")},
	})
	if err == nil || h.OriginPosition {
		t.Errorf("an offset given twice: %+v, %v; want an error", h, err)
	}
}

// FuzzParse checks that Parse reads back what the services write, and
// that a position it reports is one the headers spell exactly.
func FuzzParse(f *testing.F) {
	f.Add("3", "1234", "2026-12-03T15:04:05.000000006Z", "decode: bad")
	f.Add("0", "0", "", "")
	f.Add("x", "1", "yesterday", "r")
	f.Add("-1", "+2", "2026-12-03T15:04:05Z", "")
	f.Add("03", "9223372036854775807", "", "")
	f.Add("2147483648", "1", "", "")
	f.Fuzz(func(t *testing.T, partition, offset, at, reason string) {
		hs := []kafkaHeader{
			{Key: HeaderReason, Value: []byte(reason)},
			{Key: HeaderOriginPartition, Value: []byte(partition)},
			{Key: HeaderOriginOffset, Value: []byte(offset)},
		}
		if at != "" {
			hs = append(hs, kafkaHeader{Key: HeaderTime, Value: []byte(at)})
		}
		h, err := Parse(hs)
		if h.Reason != reason {
			t.Fatalf("reason %q read as %q", reason, h.Reason)
		}
		if err != nil {
			if h.OriginPosition || h.OriginPartition != 0 || h.OriginOffset != 0 {
				t.Fatalf("error %v with a position: %+v", err, h)
			}
			return
		}
		if !h.OriginPosition {
			t.Fatalf("partition %q and offset %q parsed without error and without a position", partition, offset)
		}
		// A position is one the services would have written as is.
		if strconv.Itoa(h.OriginPartition) != partition || strconv.FormatInt(h.OriginOffset, 10) != offset {
			t.Fatalf("partition %q, offset %q read as %d, %d", partition, offset, h.OriginPartition, h.OriginOffset)
		}
		if at != "" && h.Time.IsZero() {
			t.Fatalf("time %q neither parsed nor an error", at)
		}
		// What the consumer writes parses back the same.
		again, err := Parse([]kafkaHeader{
			{Key: HeaderOriginPartition, Value: []byte(strconv.Itoa(h.OriginPartition))},
			{Key: HeaderOriginOffset, Value: []byte(strconv.FormatInt(h.OriginOffset, 10))},
		})
		if err != nil || again.OriginPartition != h.OriginPartition || again.OriginOffset != h.OriginOffset {
			t.Fatalf("%+v written and read back as %+v, %v", h, again, err)
		}
	})
}

// kafkaHeader is a record header of the shape kafka-go's kafka.Header has.
type kafkaHeader struct {
	Key   string
	Value []byte
}
