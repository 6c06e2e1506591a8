package checkpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/schemas/avroframe"
	"github.com/sfsync/sfsync/schemas/internal/codectest"
)

// fingerprintV1 pins checkpoint_v1.avsc: a published schema must never
// change, as checkpoints written with it stay in Kafka. If this fails,
// revert the edit and add checkpoint_v2.avsc.
const fingerprintV1 uint64 = 0x5196957849b825b9

func sample() Checkpoint {
	return Checkpoint{
		OrgID:        "00D000000000001AAA",
		Subscription: "/data/AccountChangeEvent",
		ReplayID:     []byte{0, 0, 0, 0, 0, 0, 0x30, 0x39},
		UpdatedAt:    time.UnixMilli(1_767_225_600_123).UTC(),
		ProducerID:   "sfsync-producer-7d9f-abcde",
	}
}

func newCodec(t testing.TB) *Codec {
	t.Helper()
	c, err := NewCodec()
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	return c
}

func equal(a, b Checkpoint) bool {
	return a.OrgID == b.OrgID && a.Subscription == b.Subscription && bytes.Equal(a.ReplayID, b.ReplayID) &&
		a.UpdatedAt.Equal(b.UpdatedAt) && a.ProducerID == b.ProducerID &&
		a.GapSuspected == b.GapSuspected && a.GapReason == b.GapReason
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	tests := []struct {
		scenario string
		edit     func(cp *Checkpoint)
	}{
		{"full", func(*Checkpoint) {}},
		{"platform event channel", func(cp *Checkpoint) { cp.Subscription = "/event/Territory_Change__e" }},
		{"all change events", func(cp *Checkpoint) { cp.Subscription = "/data/ChangeEvents" }},
		{"15-character org id", func(cp *Checkpoint) { cp.OrgID = "00D000000000001" }},
		{"long replay id", func(cp *Checkpoint) { cp.ReplayID = bytes.Repeat([]byte{0xff, 0x00}, 64) }},
		{"one-byte replay id", func(cp *Checkpoint) { cp.ReplayID = []byte{0} }},
		{"no producer id", func(cp *Checkpoint) { cp.ProducerID = "" }},
		{"zero time", func(cp *Checkpoint) { cp.UpdatedAt = time.Time{} }},
		{"time before 1970", func(cp *Checkpoint) { cp.UpdatedAt = time.UnixMilli(-1).UTC() }},
		{"gap suspected", func(cp *Checkpoint) {
			cp.GapSuspected = true
			cp.GapReason = "stored replay id expired (subscription.fetch.replayid.corrupted); resumed from EARLIEST"
		}},
		{"unicode producer id", func(cp *Checkpoint) { cp.ProducerID = "Zürich 🚀" }},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			want := sample()
			tt.edit(&want)
			got := codectest.RoundTrip(t, c.Encode, c.Decode, want)
			if !equal(want, got) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
			}
			if !want.UpdatedAt.IsZero() && got.UpdatedAt.Location() != time.UTC {
				t.Errorf("decoded time is not UTC: %v", got.UpdatedAt.Location())
			}
		})
	}
}

func TestDecodeSharesNoMemory(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	frame, err := c.Encode(nil, sample())
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	for i := range frame {
		frame[i] = 0
	}
	if !bytes.Equal(got.ReplayID, sample().ReplayID) {
		t.Errorf("replay id changed with the frame: %x", got.ReplayID)
	}
}

func TestTimeKeepsMilliseconds(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	cp := sample()
	cp.UpdatedAt = time.Date(2026, 3, 29, 1, 30, 15, 999_999_999, time.FixedZone("CEST", 7200))
	frame, err := c.Encode(nil, cp)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	if want := cp.UpdatedAt.Truncate(time.Millisecond).UTC(); !got.UpdatedAt.Equal(want) || got.UpdatedAt.Location() != time.UTC {
		t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, want)
	}
}

func TestKey(t *testing.T) {
	t.Parallel()
	cp := sample()
	if got, want := cp.Key(), "00D000000000001AAA|/data/AccountChangeEvent"; got != want {
		t.Errorf("Key() = %q, want %q", got, want)
	}
}

func TestEncodeRejectsInvalid(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	tests := []struct {
		scenario string
		edit     func(cp *Checkpoint)
		want     string
	}{
		{"no org id", func(cp *Checkpoint) { cp.OrgID = "" }, "empty org id"},
		{"separator in org id", func(cp *Checkpoint) { cp.OrgID = "00D|x" }, `contains "|"`},
		{"no subscription", func(cp *Checkpoint) { cp.Subscription = "" }, "empty subscription"},
		{"no replay id", func(cp *Checkpoint) { cp.ReplayID = nil }, "empty replay id"},
		{"gap without reason", func(cp *Checkpoint) { cp.GapSuspected = true }, "gap suspected without a reason"},
		{"reason without gap", func(cp *Checkpoint) { cp.GapReason = "why" }, "gap reason without a suspected gap"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			cp := sample()
			tt.edit(&cp)
			prefix := []byte("prefix")
			out, err := c.Encode(prefix, cp)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Encode error = %v, want ErrInvalid saying %q", err, tt.want)
			}
			if !bytes.Equal(out, prefix) {
				t.Errorf("Encode changed dst to %q", out)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	frame, err := c.Encode(nil, sample())
	if err != nil {
		t.Fatal(err)
	}
	unknown := bytes.Clone(frame)
	binary.LittleEndian.PutUint64(unknown[2:10], 0x0123456789abcdef)
	invalid := sample()
	invalid.OrgID = "00D|x" // encoded by hand below, as Encode refuses it
	tests := []struct {
		scenario string
		frame    []byte
		want     error
		says     string
	}{
		{"empty", nil, ErrBadFrame, "0-byte frame"},
		{"marker only", []byte{0xC3, 0x01}, ErrBadFrame, "2-byte frame"},
		{"wrong marker", append([]byte{0xC3, 0x02}, frame[2:]...), ErrBadFrame, ""},
		{"header only", frame[:avroframe.HeaderLen], ErrBadFrame, "truncated"},
		{"truncated body", frame[:len(frame)-3], ErrBadFrame, "truncated"},
		{"trailing bytes", append(bytes.Clone(frame), 0), ErrBadFrame, "trailing"},
		{"unknown fingerprint", unknown, ErrUnknownSchema, "0123456789abcdef"},
		{"envelope frame", envelopeHeader(), ErrUnknownSchema, "10649a3e30b147a0"},
		{"invalid record", encodeUnchecked(t, c, invalid), ErrInvalid, `contains "|"`},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			_, err := c.Decode(tt.frame)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("Decode error = %v, want %v saying %q", err, tt.want, tt.says)
			}
		})
	}
}

// envelopeHeader returns the header of a change envelope frame (schema
// v1), which a checkpoint codec must refuse by fingerprint.
func envelopeHeader() []byte {
	return binary.LittleEndian.AppendUint64([]byte{0xC3, 0x01}, 0x10649a3e30b147a0)
}

// encodeUnchecked encodes cp without validating it.
func encodeUnchecked(t *testing.T, c *Codec, cp Checkpoint) []byte {
	t.Helper()
	out, err := c.writer.Append(nil, map[string]any{
		"orgId": cp.OrgID, "subscription": cp.Subscription, "replayId": cp.ReplayID,
		"updatedAt": cp.UpdatedAt.UnixMilli(), "producerId": cp.ProducerID,
		"gapSuspected": cp.GapSuspected, "gapReason": cp.GapReason,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPublishedSchemasAreFrozen(t *testing.T) {
	t.Parallel()
	want := map[int]uint64{1: fingerprintV1}
	versions, err := publishedSchemas()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range versions {
		if v.Number != i+1 {
			t.Errorf("published versions must be 1, 2, 3, ...: found v%d at position %d", v.Number, i+1)
		}
		canonical, fp, err := avroframe.CanonicalForm(v.Text)
		if err != nil {
			t.Fatalf("v%d: %v", v.Number, err)
		}
		if avroframe.Fingerprint(canonical) != fp {
			t.Errorf("v%d: fingerprint %016x is not the CRC-64-AVRO of its canonical form", v.Number, fp)
		}
		if w, ok := want[v.Number]; !ok {
			t.Errorf("v%d: add its fingerprint %016x to this test", v.Number, fp)
		} else if fp != w {
			t.Errorf("v%d: fingerprint %016x, want %016x: a published schema changed", v.Number, fp, w)
		}
	}
	// The Parsing Canonical Form as the Avro specification defines it: no
	// doc, default or logicalType, so Java readers agree on the fingerprint.
	canonical, _, err := avroframe.CanonicalForm(versions[0].Text)
	if err != nil {
		t.Fatal(err)
	}
	const wantV1 = `{"name":"dev.sfsync.Checkpoint","type":"record","fields":[{"name":"orgId","type":"string"},` +
		`{"name":"subscription","type":"string"},{"name":"replayId","type":"bytes"},{"name":"updatedAt","type":"long"},` +
		`{"name":"producerId","type":"string"},{"name":"gapSuspected","type":"boolean"},{"name":"gapReason","type":"string"}]}`
	if canonical != wantV1 {
		t.Errorf("canonical form of v1:\n got %s\nwant %s", canonical, wantV1)
	}
	if CurrentSchema() != versions[len(versions)-1].Text {
		t.Error("CurrentSchema is not the newest published version")
	}
	frame, err := newCodec(t).Encode(nil, sample())
	if err != nil {
		t.Fatal(err)
	}
	if frame[0] != 0xC3 || frame[1] != 0x01 || binary.LittleEndian.Uint64(frame[2:10]) != fingerprintV1 {
		t.Errorf("frame header %x, want c301 and fingerprint %016x", frame[:10], fingerprintV1)
	}
}
