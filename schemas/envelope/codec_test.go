package envelope

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestRoundTripChangeTypes(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	for _, ct := range ChangeTypes() {
		t.Run(ct.String(), func(t *testing.T) {
			t.Parallel()
			want := sample()
			want.ChangeType = ct
			if ct.IsGap() {
				want.Values, want.ChangedFields, want.NulledFields = nil, nil, nil
			}
			roundTrip(t, c, want)
		})
	}
}

func TestRoundTripValues(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	tests := []struct {
		scenario string
		value    Value
	}{
		{"null", NullValue()},
		{"zero value is null", Value{}},
		{"true", BoolValue(true)},
		{"false", BoolValue(false)},
		{"int zero", IntValue(0)},
		{"int min", IntValue(math.MinInt32)},
		{"int max", IntValue(math.MaxInt32)},
		{"long min", LongValue(math.MinInt64)},
		{"long max", LongValue(math.MaxInt64)},
		{"long above 2^53", LongValue(1<<53 + 1)},
		{"float", FloatValue(-1.5)},
		{"float smallest", FloatValue(math.SmallestNonzeroFloat32)},
		{"float infinity", FloatValue(float32(math.Inf(-1)))},
		{"float NaN", FloatValue(float32(math.NaN()))},
		{"double", DoubleValue(12345.678)},
		{"double max", DoubleValue(math.MaxFloat64)},
		{"double negative zero", DoubleValue(math.Copysign(0, -1))},
		{"double NaN", DoubleValue(math.NaN())},
		{"empty string", StringValue("")},
		{"unicode string", StringValue("Zürich — 東京 🚀")},
		{"string with NUL", StringValue("a\x00b")},
		{"empty bytes", BytesValue([]byte{})},
		{"nil bytes", BytesValue(nil)},
		{"bytes", BytesValue([]byte{0, 1, 0xfe, 0xff})},
		{"date epoch", DateValue(Date{1970, time.January, 1})},
		{"date before 1970", DateValue(Date{1969, time.December, 31})},
		{"date long before 1970", DateValue(Date{1700, time.January, 1})},
		{"date leap day", DateValue(Date{2024, time.February, 29})},
		{"date Salesforce max", DateValue(Date{4000, time.December, 31})},
		{"date year 1", DateValue(Date{1, time.January, 1})},
		{"datetime epoch", DateTimeValue(time.Unix(0, 0))},
		{"datetime before 1970", DateTimeValue(time.UnixMilli(-1))},
		{"datetime with millis", DateTimeValue(time.Date(2026, 3, 29, 1, 30, 15, 999_000_000, time.UTC))},
		{"time midnight", TimeValue(0)},
		{"time last millisecond", TimeValue(24*time.Hour - time.Millisecond)},
		{"time afternoon", TimeValue(13*time.Hour + 45*time.Minute + 30*time.Second + 250*time.Millisecond)},
		{"decimal zero", DecimalValue(Decimal{})},
		{"decimal zero with scale", DecimalValue(DecimalFromInt64(0, 4))},
		{"decimal negative", DecimalValue(DecimalFromInt64(-12345, 2))},
		{"decimal minus one", DecimalValue(DecimalFromInt64(-1, 0))},
		{"decimal -128", DecimalValue(DecimalFromInt64(-128, 0))},
		{"decimal 128", DecimalValue(DecimalFromInt64(128, 0))},
		{"decimal high scale", DecimalValue(NewDecimal(bigInt("123456789012345678901234567890"), 28))},
		{"decimal max scale", DecimalValue(DecimalFromInt64(7, MaxDecimalScale))},
		{"decimal beyond int64", DecimalValue(NewDecimal(bigInt("-98765432109876543210987654321098765432109876543210"), 3))},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			want := minimal(ChangeCreate)
			want.Values = map[string]Value{"Field__c": tt.value}
			roundTrip(t, c, want)
		})
	}
}

func TestRoundTripEnvelopeEdges(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	tests := []struct {
		scenario string
		edit     func(e *Envelope)
	}{
		{"commit number above 2^53", func(e *Envelope) { e.CommitNumber = 1<<53 + 3 }},
		{"commit number max", func(e *Envelope) { e.CommitNumber = math.MaxInt64 }},
		{"negative commit number", func(e *Envelope) { e.CommitNumber = -1 }},
		{"sequence number max", func(e *Envelope) { e.SequenceNumber = math.MaxInt32 }},
		{"empty arrays and map", func(e *Envelope) {
			e.ChangedFields, e.NulledFields, e.Values = []string{}, []string{}, map[string]Value{}
		}},
		{"nil arrays and map", func(e *Envelope) { e.ChangedFields, e.NulledFields, e.Values = nil, nil, nil }},
		{"empty replay id", func(e *Envelope) { e.ReplayID = []byte{} }},
		{"nil replay id", func(e *Envelope) { e.ReplayID = nil }},
		{"zero times", func(e *Envelope) { e.CommitTimestamp, e.ProducedAt = time.Time{}, time.Time{} }},
		{"times before 1970", func(e *Envelope) {
			e.CommitTimestamp = time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC)
			e.ProducedAt = time.UnixMilli(-1)
		}},
		{"unicode everywhere", func(e *Envelope) {
			e.Entity, e.RecordID, e.PartitionKey = "Ünïcödé__c", "ид-記録", "🚀"
			e.ChangedFields = []string{"Größe__c", "名前__c"}
			e.Values = map[string]Value{"Größe__c": StringValue("groß"), "名前__c": StringValue("山田")}
		}},
		{"many values", func(e *Envelope) {
			e.Values = map[string]Value{}
			for i := range 500 {
				e.Values[strings.Repeat("F", i%40+1)+string(rune('a'+i%26))+"__c"] = LongValue(int64(i))
			}
		}},
		{"every kind in one map", func(e *Envelope) {
			e.Values = map[string]Value{
				"a": NullValue(), "b": BoolValue(true), "c": IntValue(-7), "d": LongValue(1 << 60),
				"e": FloatValue(0.25), "f": DoubleValue(-0.125), "g": StringValue("s"), "h": BytesValue([]byte("b")),
				"i": DateValue(Date{1900, 3, 1}), "j": DateTimeValue(time.UnixMilli(42)), "k": TimeValue(time.Second),
				"l": DecimalValue(DecimalFromInt64(-5, 1)),
			}
		}},
		{"overflow record id", func(e *Envelope) {
			e.ChangeType, e.RecordID, e.Values = ChangeGapOverflow, "000000000000000AAA", nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			want := sample()
			tt.edit(want)
			got := roundTrip(t, c, want)
			if got.CommitTimestamp.Location() != time.UTC || got.ProducedAt.Location() != time.UTC {
				t.Errorf("decoded times are not UTC: %v, %v", got.CommitTimestamp.Location(), got.ProducedAt.Location())
			}
		})
	}
}

func TestEveryKindIsCovered(t *testing.T) {
	t.Parallel()
	// The union of the values map must have one branch per Kind; a new Kind
	// needs a new schema version.
	var schema struct {
		Fields []struct {
			Name string          `json:"name"`
			Type json.RawMessage `json:"type"`
		} `json:"fields"`
	}
	if err := json.Unmarshal([]byte(CurrentSchema()), &schema); err != nil {
		t.Fatal(err)
	}
	var union []json.RawMessage
	for _, f := range schema.Fields {
		if f.Name == "values" {
			var m struct {
				Values []json.RawMessage `json:"values"`
			}
			if err := json.Unmarshal(f.Type, &m); err != nil {
				t.Fatal(err)
			}
			union = m.Values
		}
	}
	if len(union) != len(allKinds) {
		t.Fatalf("values union has %d branches, want one per Kind (%d)", len(union), len(allKinds))
	}
}

func TestEncodeAppendsToDst(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	prefix := []byte("prefix")
	frame, err := c.Encode(prefix, sample())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(frame, prefix) {
		t.Fatalf("frame %x lost the prefix", frame[:8])
	}
	if _, err := c.Decode(frame[len(prefix):]); err != nil {
		t.Fatal(err)
	}
	bad := sample()
	bad.Entity = ""
	out, err := c.Encode(prefix, bad)
	if err == nil || !bytes.Equal(out, prefix) {
		t.Fatalf("Encode(invalid) = %q, %v; want the prefix back and an error", out, err)
	}
}

func TestEncodeRejectsInvalid(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	tests := []struct {
		scenario string
		edit     func(e *Envelope)
		want     string
	}{
		{"missing event id", func(e *Envelope) { e.EventID = "" }, "missing event id"},
		{"missing entity", func(e *Envelope) { e.Entity = "" }, "missing entity"},
		{"missing record id", func(e *Envelope) { e.RecordID = "" }, "missing record id"},
		{"zero change type", func(e *Envelope) { e.ChangeType = 0 }, "invalid change type 0"},
		{"change type out of range", func(e *Envelope) { e.ChangeType = ChangeSnapshot + 1 }, "invalid change type 11"},
		{"empty field name", func(e *Envelope) { e.Values[""] = IntValue(1) }, "value with empty field name"},
		{"February 30", func(e *Envelope) { e.Values["D"] = DateValue(Date{2024, 2, 30}) }, "field D: invalid date 2024-02-30"},
		{"zero date", func(e *Envelope) { e.Values["D"] = DateValue(Date{}) }, "field D: invalid date 0000-00-00"},
		{"date beyond Avro range", func(e *Envelope) { e.Values["D"] = DateValue(Date{5_890_000, 1, 1}) }, "field D: invalid date 5890000-01-01"},
		{"negative time", func(e *Envelope) { e.Values["T"] = TimeValue(-time.Millisecond) }, "field T: time of day -1ms outside [0, 24h)"},
		{"time of 24h", func(e *Envelope) { e.Values["T"] = TimeValue(24 * time.Hour) }, "field T: time of day 86400000ms outside [0, 24h)"},
		{"negative scale", func(e *Envelope) { e.Values["N"] = DecimalValue(DecimalFromInt64(1, -1)) }, "field N: decimal scale -1 outside 0 to 1000"},
		{"scale too big", func(e *Envelope) { e.Values["N"] = DecimalValue(DecimalFromInt64(1, 1001)) }, "field N: decimal scale 1001 outside 0 to 1000"},
		{"two problems", func(e *Envelope) { e.EventID, e.Entity = "", "" }, "missing event id; missing entity"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			e := sample()
			tt.edit(e)
			_, err := c.Encode(nil, e)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Encode error = %v, want ErrInvalid", err)
			}
			if !strings.HasSuffix(err.Error(), "invalid envelope: "+tt.want) {
				t.Errorf("Encode error = %q, want it to end in %q", err, "invalid envelope: "+tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	good, err := c.Encode(nil, sample())
	if err != nil {
		t.Fatal(err)
	}
	header := good[:10]
	fp := binary.LittleEndian.AppendUint64([]byte{0xC3, 0x01}, 0x0123456789abcdef)
	// body builds a body of the minimal envelope, then appends raw.
	minimalBody := func(t ChangeType) []byte {
		e := minimal(t)
		e.CommitTimestamp, e.ProducedAt = time.UnixMilli(0), time.UnixMilli(0)
		frame, err := c.Encode(nil, e)
		if err != nil {
			panic(err)
		}
		return frame[10:]
	}
	concat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	// A frame whose values map declares 2^31-1 entries: goavro would
	// preallocate a map of that size.
	hugeMap := func() []byte {
		body := minimalBody(ChangeCreate)
		// The minimal body ends with values {} (0), partitionKey "" (0)
		// and producedAt 0 (0).
		body = body[:len(body)-3]
		return concat(header, body, []byte{0xfe, 0xff, 0xff, 0xff, 0x0f, 2, 'k', 0, 0, 0})
	}
	tests := []struct {
		scenario string
		frame    []byte
		sentinel error
		want     string
	}{
		{"empty", nil, ErrBadFrame, "decode envelope: bad frame: 0-byte frame: cannot decode buffer as single-object encoding: short buffer"},
		{"short header", []byte{0xC3, 0x01, 1, 2, 3}, ErrBadFrame, "decode envelope: bad frame: 5-byte frame: cannot decode buffer as single-object encoding: short buffer"},
		{"wrong marker", concat([]byte{0xC3, 0x02}, good[2:]), ErrBadFrame, "decode envelope: bad frame: " + strconv.Itoa(len(good)) + "-byte frame: cannot decode buffer as single-object encoding: unknown SOE prefix: 0xc302"},
		{"no marker", []byte(`{"json": "is not a frame"}`), ErrBadFrame, "unknown SOE prefix: 0x7b22"},
		{"unknown fingerprint", concat(fp, good[10:]), ErrUnknownSchema, "decode envelope: unknown schema: fingerprint 0123456789abcdef"},
		{"header only", header, ErrBadFrame, "bad frame: offset 0: field eventId: truncated string length"},
		{"truncated body", good[:len(good)-1], ErrBadFrame, "field producedAt: truncated long"},
		{"trailing bytes", concat(good, []byte{0}), ErrBadFrame, "bad frame: 1 trailing bytes after the datum"},
		{"string longer than frame", concat(header, []byte{0x80, 0x80, 0x04}), ErrBadFrame, "bad frame: offset 3: field eventId: truncated string"},
		{"negative string length", concat(header, []byte{0x01}), ErrBadFrame, "bad frame: offset 1: field eventId: negative string length -1"},
		{"varint too long", concat(header, bytes.Repeat([]byte{0xff}, 11)), ErrBadFrame, "field eventId: string length varint overflows 64 bits"},
		{"huge map count", hugeMap(), ErrBadFrame, "field values: map block of 2147483647 items in 5 bytes"},
		{"enum index out of range", func() []byte {
			// eventId "e", orgId "", sourceChannel "", replayId "", entity "A", recordId "r", changeType 10
			return concat(header, []byte{2, 'e', 0, 0, 0, 2, 'A', 2, 'r', 20})
		}(), ErrBadFrame, "field changeType: enum dev.sfsync.ChangeType index 10 out of range"},
		{"union index out of range", func() []byte {
			body := minimalBody(ChangeCreate)
			body = body[:len(body)-3]
			return concat(header, body, []byte{2, 2, 'k', 24, 0, 0, 0})
		}(), ErrBadFrame, "field values: union index 12 out of range"},
		{"time of day out of range", func() []byte {
			body := minimalBody(ChangeCreate)
			body = body[:len(body)-3]
			// one entry "k" → union 10 (Time) → millis -1 (zig-zag 1)
			return concat(header, body, []byte{2, 2, 'k', 20, 1, 0, 0, 0})
		}(), ErrInvalid, "invalid envelope: field k: time of day -1ms outside [0, 24h)"},
		{"decimal scale out of range", func() []byte {
			body := minimalBody(ChangeCreate)
			body = body[:len(body)-3]
			// union 11 (Decimal) → unscaled [0x01] → scale -1 (zig-zag 1)
			return concat(header, body, []byte{2, 2, 'k', 22, 2, 1, 1, 0, 0, 0})
		}(), ErrInvalid, "field k: decimal scale -1 outside 0 to 1000"},
		{"empty entity", func() []byte {
			return concat(header, []byte{2, 'e', 0, 0, 0, 0, 2, 'r', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
		}(), ErrInvalid, "invalid envelope: missing entity"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			got, err := c.Decode(tt.frame)
			if err == nil {
				t.Fatalf("Decode = %+v, want an error", got)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("Decode error %q does not wrap %v", err, tt.sentinel)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode error = %q, want it to contain %q", err, tt.want)
			}
			if !utf8.ValidString(err.Error()) {
				t.Errorf("error is not UTF-8: %q", err)
			}
		})
	}
}

func TestDecodeSharesNoMemory(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	want := sample()
	want.Values["Blob"] = BytesValue([]byte("payload"))
	want.Values["Text"] = StringValue("text")
	frame, err := c.Encode(nil, want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	for i := 10; i < len(frame); i++ {
		frame[i] = 'X'
	}
	if d := diffEnvelope(want, got); d != "" {
		t.Errorf("decoded envelope changed with the frame: %s", d)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	done := make(chan error)
	for range 8 {
		go func() {
			for range 50 {
				frame, err := c.Encode(nil, sample())
				if err == nil {
					_, err = c.Decode(frame)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
