package deadletter

import (
	"reflect"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
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
	h := Parse([]kafka.Header{
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
	if !reflect.DeepEqual(h, want) {
		t.Errorf("got %+v, want %+v", h, want)
	}
	h = Parse([]kafka.Header{
		{Key: HeaderOrigin, Value: []byte(OriginConsumer)}, {Key: HeaderOriginTopic, Value: []byte("t")},
		{Key: HeaderOriginPartition, Value: []byte("3")}, {Key: HeaderOriginOffset, Value: []byte("1234")},
		{Key: HeaderGroup, Value: []byte("g")}, {Key: HeaderTime, Value: []byte("yesterday")},
	})
	want = Headers{Origin: OriginConsumer, OriginTopic: "t", OriginPartition: 3, OriginOffset: 1234, OriginPosition: true, Group: "g"}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("got %+v, want %+v", h, want)
	}
	h = Parse([]kafka.Header{
		{Key: HeaderEntity, Value: []byte("Account")}, {Key: HeaderChangeType, Value: []byte("UPDATE")},
		{Key: HeaderRecordIDs, Value: []byte("001A,001B")}, {Key: HeaderTrimmed, Value: []byte(TrimmedPayload)},
		{Key: HeaderSize, Value: []byte("70000")}, {Key: HeaderLimit, Value: []byte("65536")},
	})
	want = Headers{Entity: "Account", ChangeType: "UPDATE", RecordIDs: []string{"001A", "001B"}, Trimmed: TrimmedPayload, Size: 70000, Limit: 65536}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("trimmed: got %+v, want %+v", h, want)
	}
	if h := Parse([]kafka.Header{{Key: HeaderOriginPartition, Value: []byte("3")}}); h.OriginPosition {
		t.Errorf("a partition without an offset is a position: %+v", h)
	}
}
