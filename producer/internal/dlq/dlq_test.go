package dlq

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/grpc/codes"

	"github.com/sfsync/sfsync/integration/harness/sfrig"
	"github.com/sfsync/sfsync/producer/internal/keys"
	"github.com/sfsync/sfsync/producer/internal/normalize"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/schemas/deadletter"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

const (
	dlqTopic  = "sfsync.producer.dead-letter"
	territory = "0MI000000000001AAA"
)

// letter returns the dead letter at offset that the producer would have
// written for ev, with the headers of sink.WriteDeadLetter.
func letter(offset int64, ev pubsub.Event, reason string) Letter {
	return letterOf(dlqTopic, record{offset: offset, time: time.Now(), key: []byte(ev.ID), value: ev.Payload, headers: []kafka.Header{
		{Key: deadletter.HeaderReason, Value: []byte(reason)},
		{Key: deadletter.HeaderOrigin, Value: []byte(deadletter.OriginSalesforce)},
		{Key: deadletter.HeaderOriginTopic, Value: []byte(ev.Topic)},
		{Key: deadletter.HeaderReplayID, Value: fmt.Appendf(nil, "%x", ev.ReplayID)},
		{Key: deadletter.HeaderEventID, Value: []byte(ev.ID)},
		{Key: deadletter.HeaderSchemaID, Value: []byte(ev.SchemaID)},
	}})
}

func TestLetterOf(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	l := letterOf(dlqTopic, record{partition: 2, offset: 7, key: []byte("e-1"), value: []byte{1, 2, 3}, headers: []kafka.Header{
		{Key: deadletter.HeaderOrigin, Value: []byte(deadletter.OriginSalesforce)},
		{Key: deadletter.HeaderOriginTopic, Value: []byte("/data/Territory_Plan__ChangeEvent")},
		{Key: deadletter.HeaderReplayID, Value: []byte("0a0b")},
		{Key: deadletter.HeaderTime, Value: []byte(at.Format(time.RFC3339Nano))},
		{Key: deadletter.HeaderReason, Value: []byte("bad value")},
	}})
	if l.Origin != dlqTopic+":2:7" || l.EventID != "e-1" || l.Size != 3 || !l.Producer || !l.Time.Equal(at) ||
		l.Entity != "Territory_Plan__c" || l.ReplayID != "0a0b" || l.Reason != "bad value" {
		t.Errorf("letter %+v", l)
	}
	ev, ok := l.event()
	if !ok || string(ev.ReplayID) != "\x0a\x0b" || ev.Topic != "/data/Territory_Plan__ChangeEvent" {
		t.Errorf("event %+v, %t", ev, ok)
	}
	// A trimmed dead letter names its records in headers.
	l = letterOf(dlqTopic, record{key: []byte("e-2"), headers: []kafka.Header{
		{Key: deadletter.HeaderOrigin, Value: []byte(deadletter.OriginSalesforce)},
		{Key: deadletter.HeaderOriginTopic, Value: []byte("/data/ChangeEvents")},
		{Key: deadletter.HeaderEntity, Value: []byte("Account")},
		{Key: deadletter.HeaderChangeType, Value: []byte("UPDATE")},
		{Key: deadletter.HeaderRecordIDs, Value: []byte("001A,001B")},
		{Key: deadletter.HeaderTrimmed, Value: []byte(deadletter.TrimmedPayload)},
	}})
	if l.Entity != "Account" || l.ChangeType != "UPDATE" || fmt.Sprint(l.RecordIDs) != "[001A 001B]" || l.Trimmed != deadletter.TrimmedPayload || l.Size != 0 {
		t.Errorf("trimmed letter %+v", l)
	}
	for channel, want := range map[string]string{
		"/data/AccountChangeEvent": "Account", "/data/ChangeEvents": "", "/event/Territory_Change__e": "", "/data/Foo__ChangeEvent": "Foo__c",
	} {
		if got := entityOfChannel(channel); got != want {
			t.Errorf("entityOfChannel(%q) = %q, want %q", channel, got, want)
		}
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	mk := func(offset int64, id string, producer bool) Letter {
		return Letter{Origin: fmt.Sprintf("%s:0:%d", dlqTopic, offset), Offset: offset, EventID: id, Producer: producer}
	}
	trimmed := mk(4, "e4", true)
	trimmed.Trimmed = deadletter.TrimmedPayload
	letters := []Letter{mk(0, "e0", true), mk(1, "e1", true), mk(2, "", false), mk(3, "e3", true), trimmed}
	marks := map[string]Mark{
		dlqTopic + ":0:1": {EventID: "e1"},
		dlqTopic + ":0:3": {EventID: "an event of an earlier topic of that name"},
	}
	at := func(offset int) string { return fmt.Sprintf("%s:0:%d", dlqTopic, offset) }
	for _, tc := range []struct {
		scenario string
		opts     ReplayOptions
		chosen   []int64
		skipped  int
		problem  string
	}{
		{scenario: "all", opts: ReplayOptions{All: true}, chosen: []int64{0, 3}, skipped: 1},
		{scenario: "by origin", opts: ReplayOptions{Origins: []string{at(3), at(0)}}, chosen: []int64{0, 3}},
		{scenario: "already replayed", opts: ReplayOptions{Origins: []string{at(1)}}, skipped: 1},
		{scenario: "not the producer's", opts: ReplayOptions{Origins: []string{at(2)}}, problem: "was not written by the producer"},
		{scenario: "trimmed", opts: ReplayOptions{Origins: []string{at(4)}}, problem: "holds no payload to replay"},
		{scenario: "missing", opts: ReplayOptions{Origins: []string{at(9), at(0), at(8), at(9)}}, problem: "no dead letter at " + at(9) + ", " + at(8) + " in"},
		{scenario: "malformed", opts: ReplayOptions{Origins: []string{"sfsync.account:3"}}, problem: "want topic:partition:offset"},
		{scenario: "neither", opts: ReplayOptions{}, problem: "choose --all or --origin-offset"},
		{scenario: "both", opts: ReplayOptions{All: true, Origins: []string{at(0)}}, problem: "choose --all or --origin-offset"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			chosen, skipped, err := Select(dlqTopic, letters, marks, tc.opts)
			if tc.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tc.problem) {
					t.Fatalf("err %v, want %q", err, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, l := range chosen {
				got = append(got, l.Offset)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.chosen) || skipped != tc.skipped {
				t.Errorf("chose %v skipping %d, want %v skipping %d", got, skipped, tc.chosen, tc.skipped)
			}
		})
	}
}

// accountMapping maps Account with Name as the column type given.
func accountMapping(t *testing.T, nameType string) *mapping.Mapping {
	t.Helper()
	m, err := mapping.Parse("test.yaml", fmt.Appendf(nil, `
objects:
  Account:
    kafka_topic: sfsync.account
    partition_key: Territory_Key__c
    fields:
      Id: varchar(18)
      Name: %s
      Territory_Key__c: varchar(18)
`, nameType))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// salesforceEvents starts sffake, creates an Account, renames it, and
// returns the client and the two change events, CREATE and UPDATE.
func salesforceEvents(t *testing.T) (*sffake.Server, *pubsub.Client, []pubsub.Event) {
	t.Helper()
	s := sfrig.StartSalesforce(t)
	client := sfrig.DialPubSub(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, err := s.Create("Account", map[string]any{"Name": "Acme", "Territory_Key__c": territory})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(id, map[string]any{"Name": "Acme Corp"}); err != nil {
		t.Fatal(err)
	}
	sub := sfrig.Subscribe(t, ctx, client, "/data/AccountChangeEvent")
	return s, client, []pubsub.Event{sfrig.NextEvent(t, ctx, sub), sfrig.NextEvent(t, ctx, sub)}
}

// TestConvert converts dead letters of real change events from sffake
// again: with the mapping that refused them, with a fixed one, with one
// that no longer names their object, and broken ones.
func TestConvert(t *testing.T) {
	t.Parallel()
	s, client, evs := salesforceEvents(t)
	create, update := evs[0], evs[1]
	sf, err := rest.New(rest.Config{
		Credentials: rest.StaticCredentials(rest.Token{AccessToken: oauth.Secret(s.AccessToken()), InstanceURL: s.URL()}),
	})
	if err != nil {
		t.Fatal(err)
	}
	other, err := mapping.Parse("other.yaml", []byte("objects:\n  Contact:\n    kafka_topic: sfsync.contact\n    fields:\n      Id: varchar(18)\n"))
	if err != nil {
		t.Fatal(err)
	}
	truncated := create
	truncated.Payload = create.Payload[:len(create.Payload)/2]
	unknownSchema := create
	unknownSchema.SchemaID = "no-such-schema"
	for _, tc := range []struct {
		scenario string
		mapping  *mapping.Mapping
		ev       pubsub.Event
		replayID string // overrides the header
		// want: the envelopes' change type and partition key, or what
		// failed or none say.
		change, key, failed, none string
	}{
		{scenario: "mapping still refuses it", mapping: accountMapping(t, "integer"), ev: create, failed: "field Name (integer): bad value"},
		{scenario: "fixed mapping", mapping: accountMapping(t, "text"), ev: create, change: "CREATE", key: territory},
		{scenario: "update keyed from salesforce", mapping: accountMapping(t, "text"), ev: update, change: "UPDATE", key: territory},
		{scenario: "object no longer mapped", mapping: other, ev: create, none: "entity not in the mapping"},
		{scenario: "undecodable payload", mapping: accountMapping(t, "text"), ev: truncated, failed: "decode event"},
		{scenario: "unknown schema", mapping: accountMapping(t, "text"), ev: unknownSchema, failed: "no-such-schema"},
		{scenario: "replay id not hex", mapping: accountMapping(t, "text"), ev: create, replayID: "zz", failed: `replay id header "zz" is not hex`},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			resolver, err := keys.New(keys.Config{Mapping: tc.mapping, Salesforce: sf})
			if err != nil {
				t.Fatal(err)
			}
			tool := &Tool{Topic: dlqTopic, Mapping: tc.mapping, Normalizer: normalize.New(tc.mapping, s.OrgID()), Schemas: client, Keys: resolver}
			l := letter(0, tc.ev, "bad value")
			if tc.replayID != "" {
				l.ReplayID = tc.replayID
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c, err := tool.convert(ctx, &l)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.failed != "":
				if c.failed == nil || !strings.Contains(c.failed.Error(), tc.failed) || len(c.envs) > 0 {
					t.Errorf("failed %v with %d envelopes, want %q", c.failed, len(c.envs), tc.failed)
				}
			case tc.none != "":
				if c.failed != nil || len(c.envs) > 0 || !strings.Contains(c.none, tc.none) {
					t.Errorf("failed %v, %d envelopes, none %q; want none %q", c.failed, len(c.envs), c.none, tc.none)
				}
			default:
				if c.failed != nil || len(c.envs) != 1 || c.topic != "sfsync.account" {
					t.Fatalf("failed %v, %d envelopes to %s", c.failed, len(c.envs), c.topic)
				}
				e := c.envs[0]
				if e.ChangeType.String() != tc.change || e.PartitionKey != tc.key || e.EventID != tc.ev.ID || string(e.ReplayID) != string(tc.ev.ReplayID) {
					t.Errorf("envelope %s key %s event %s, want %s key %s event %s", e.ChangeType, e.PartitionKey, e.EventID, tc.change, tc.key, tc.ev.ID)
				}
				if tc.change == "UPDATE" && (len(e.ChangedFields) != 1 || e.Values["Name"] != envelope.StringValue("Acme Corp")) {
					t.Errorf("update changed %v values %v", e.ChangedFields, e.Values)
				}
			}
		})
	}
}

// TestConvertStopsWhenSalesforceFails: a schema Salesforce does not give
// for a reason that may pass is an error, not a dead letter that does not
// convert, so that nothing is written and a later replay tries again.
func TestConvertStopsWhenSalesforceFails(t *testing.T) {
	t.Parallel()
	s, client, evs := salesforceEvents(t)
	m := accountMapping(t, "text")
	tool := &Tool{Topic: dlqTopic, Mapping: m, Normalizer: normalize.New(m, s.OrgID()), Schemas: client}
	l := letter(0, evs[0], "bad value")
	l.SchemaID = "not-cached-yet"
	s.FailNext(1, sffake.Fault{Code: codes.Unavailable, ErrorCode: "service.unavailable"})
	c, err := tool.convert(context.Background(), &l)
	if err == nil || !pubsub.IsRetryable(err) {
		t.Fatalf("err %v (conversion %+v), want a retryable error", err, c)
	}
	if errors.Is(err, ErrNotConverted) {
		t.Error("a Salesforce failure counts as a dead letter that does not convert")
	}
}
