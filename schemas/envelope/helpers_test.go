package envelope

import (
	"fmt"
	"math/big"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/sfsync/sfsync/schemas/internal/codectest"
)

// sample returns a fully populated UPDATE envelope.
func sample() *Envelope {
	return &Envelope{
		EventID:         "6a2c1b5e-55d2-4a43-9a8e-0e7b3c1d2f40",
		OrgID:           "00D000000000001AAA",
		SourceChannel:   "/data/AccountChangeEvent",
		ReplayID:        []byte{0, 0, 0, 0, 0, 0, 0x30, 0x39},
		Entity:          "Account",
		RecordID:        "001000000000001AAA",
		ChangeType:      ChangeUpdate,
		CommitTimestamp: time.UnixMilli(1_767_225_600_123).UTC(),
		CommitNumber:    10_876_543_210,
		SequenceNumber:  1,
		TransactionKey:  "0004d2a8-7f1e-1b3c-aaaa-000000000001",
		CommitUser:      "005000000000001AAA",
		ChangedFields:   []string{"Industry", "AnnualRevenue", "LastModifiedDate"},
		NulledFields:    []string{"Phone"},
		Values: map[string]Value{
			"Industry":         StringValue("Energy"),
			"AnnualRevenue":    DecimalValue(DecimalFromInt64(1250000050, 2)),
			"LastModifiedDate": DateTimeValue(time.UnixMilli(1_767_225_600_000)),
			"Phone":            NullValue(),
		},
		PartitionKey: "0MI000000000001AAA",
		ProducedAt:   time.UnixMilli(1_767_225_600_456).UTC(),
	}
}

// minimal returns the smallest valid envelope.
func minimal(t ChangeType) *Envelope {
	return &Envelope{EventID: "e", Entity: "Account", RecordID: "001000000000001AAA", ChangeType: t}
}

func newCodec(t testing.TB, opts ...Option) *Codec {
	t.Helper()
	c, err := NewCodec(opts...)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	return c
}

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// diffEnvelope describes the first difference between want and got, or
// returns "". Nil and empty slices and maps are equal; times compare as
// instants.
func diffEnvelope(want, got *Envelope) string {
	type pair struct {
		name      string
		want, got any
	}
	for _, p := range []pair{
		{"EventID", want.EventID, got.EventID},
		{"OrgID", want.OrgID, got.OrgID},
		{"SourceChannel", want.SourceChannel, got.SourceChannel},
		{"ReplayID", fmt.Sprintf("%x", want.ReplayID), fmt.Sprintf("%x", got.ReplayID)},
		{"Entity", want.Entity, got.Entity},
		{"RecordID", want.RecordID, got.RecordID},
		{"ChangeType", want.ChangeType, got.ChangeType},
		{"CommitTimestamp", want.CommitTimestamp.UnixMilli(), got.CommitTimestamp.UnixMilli()},
		{"CommitNumber", want.CommitNumber, got.CommitNumber},
		{"SequenceNumber", want.SequenceNumber, got.SequenceNumber},
		{"TransactionKey", want.TransactionKey, got.TransactionKey},
		{"CommitUser", want.CommitUser, got.CommitUser},
		{"ChangedFields", fmt.Sprint(want.ChangedFields), fmt.Sprint(got.ChangedFields)},
		{"NulledFields", fmt.Sprint(want.NulledFields), fmt.Sprint(got.NulledFields)},
		{"PartitionKey", want.PartitionKey, got.PartitionKey},
		{"ProducedAt", want.ProducedAt.UnixMilli(), got.ProducedAt.UnixMilli()},
	} {
		if p.want != p.got {
			return fmt.Sprintf("%s: got %v, want %v", p.name, p.got, p.want)
		}
	}
	if len(want.Values) != len(got.Values) {
		return fmt.Sprintf("Values: got %d entries %v, want %d %v", len(got.Values), got.Values, len(want.Values), want.Values)
	}
	names := make([]string, 0, len(want.Values))
	for name := range want.Values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		g, ok := got.Values[name]
		if !ok {
			return fmt.Sprintf("Values[%q]: missing", name)
		}
		if w := want.Values[name]; !w.Equal(g) {
			return fmt.Sprintf("Values[%q]: got %v (%v), want %v (%v)", name, g, g.Kind(), w, w.Kind())
		}
	}
	return ""
}

func bigInt(s string) *big.Int {
	x, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("bad test integer " + s)
	}
	return x
}

// allKinds lists every Kind.
var allKinds = []Kind{KindNull, KindBool, KindInt, KindLong, KindFloat, KindDouble, KindString, KindBytes, KindDate, KindDateTime, KindTime, KindDecimal}

// roundTrip encodes want with c, decodes the frame, reports how what it
// decoded differs from want, and returns it.
func roundTrip(t *testing.T, c *Codec, want *Envelope) *Envelope {
	t.Helper()
	got := codectest.RoundTrip(t, c.Encode, c.Decode, want)
	if d := diffEnvelope(want, got); d != "" {
		t.Error(d)
	}
	return got
}
