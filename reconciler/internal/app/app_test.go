package app

import (
	"bytes"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sfsync/sfsync/reconciler/internal/config"
	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

const testMapping = `version: 1
objects:
  Account:
    kafka_topic: sfsync.account
    fields:
      Id: varchar(18)
      Name: text
  Territory2:
    sync: poll
    kafka_topic: sfsync.territory2
    fields:
      Id: varchar(18)
      Name: text
`

func testMappingOf(t *testing.T, doc string) *mapping.Mapping {
	t.Helper()
	m, err := mapping.Parse("test.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func names(objs []*mapping.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Name
	}
	return out
}

func TestObjects(t *testing.T) {
	t.Parallel()
	m := testMappingOf(t, testMapping)
	for _, tc := range []struct {
		scenario string
		names    []string
		want     []string
		err      string
	}{
		{scenario: "every object", want: []string{"Account", "Territory2"}},
		{scenario: "some", names: []string{"Territory2"}, want: []string{"Territory2"}},
		{scenario: "unknown ones named", names: []string{"Account", "Lead", "Case"}, err: "[Lead Case]"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			got, err := Objects(m, tc.names)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "test.yaml") {
					t.Fatalf("Objects = %v, %v; want an error naming %s and the mapping", names(got), err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(names(got), tc.want) {
				t.Errorf("Objects = %v, %v; want %v", names(got), err, tc.want)
			}
		})
	}
}

func TestStreamedAndPolled(t *testing.T) {
	t.Parallel()
	m := testMappingOf(t, testMapping)
	if got := names(streamedObjects(m)); !slices.Equal(got, []string{"Account"}) {
		t.Errorf("streamedObjects = %v, want [Account]", got)
	}
	if !hasPolled(m) {
		t.Error("hasPolled = false with a poll-only object")
	}
	streamOnly := testMappingOf(t, strings.Split(testMapping, "  Territory2:")[0])
	if hasPolled(streamOnly) {
		t.Error("hasPolled = true without a poll-only object")
	}
}

// TestVerifyDefaults checks that the command line's verify options win
// over the configuration, except the grace period, which only the
// configuration sets.
func TestVerifyDefaults(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	got := VerifyOptions{}.WithDefaults(&cfg)
	if got.Window != config.DefaultVerifyWindow || got.Grace != config.DefaultVerifyGrace || got.MaxDeletes != config.DefaultMaxDeletesPerPass {
		t.Errorf("defaults: %+v", got)
	}
	got = VerifyOptions{Window: time.Hour, Grace: time.Hour, MaxDeletes: -1}.WithDefaults(&cfg)
	if got.Window != time.Hour || got.Grace != config.DefaultVerifyGrace || got.MaxDeletes != -1 {
		t.Errorf("given: %+v", got)
	}
}

func TestServeOptionsFrom(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	*cfg.Verify.Repair = false
	cfg.Poll.Interval = 3 * time.Second
	got := ServeOptionsFrom(&cfg)
	want := ServeOptions{
		VerifyInterval: config.DefaultVerifyInterval, VerifyWindow: config.DefaultVerifyWindow, FullEvery: config.DefaultFullEvery,
		Grace: config.DefaultVerifyGrace, Repair: false, MaxDeletes: config.DefaultMaxDeletesPerPass,
		RefetchTopic: config.DefaultRefetchTopic, ReconcileTopic: config.DefaultReconcileTopic, GroupID: config.DefaultGroup,
		PollInterval: 3 * time.Second, HardDeleteEvery: config.DefaultDeleteCheckEvery,
	}
	if got.Compact != nil {
		t.Error("ServeOptionsFrom set Compact")
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ServeOptionsFrom = %+v\nwant %+v", got, want)
	}
}

// TestPublisherTooLarge checks that an envelope Kafka refuses as too
// large is counted by object in one counter shared by every publisher,
// and logged without its values.
func TestPublisherTooLarge(t *testing.T) {
	t.Parallel()
	m := testMappingOf(t, testMapping)
	reg := prometheus.NewRegistry()
	var logs bytes.Buffer
	d := &Deps{Mapping: m, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Registry: reg}
	a, b := d.publisher("reconciler/verify"), d.publisher("reconciler/poll")
	change := publish.Change{Object: m.Object("Account"), RecordID: "001000000000001AAA", Type: envelope.ChangeSnapshot,
		Values: map[string]envelope.Value{"Name": envelope.StringValue("secret name")}}
	a.OnTooLarge(change, 2<<20)
	b.OnTooLarge(change, 2<<20)
	if got := testutil.ToFloat64(d.tooLarge.WithLabelValues("Account")); got != 2 {
		t.Errorf("too large = %v, want 2", got)
	}
	if n, err := testutil.GatherAndCount(reg, "sfsync_reconciler_envelopes_too_large_total"); err != nil || n != 1 {
		t.Errorf("registered series: %d, %v", n, err)
	}
	if !strings.Contains(logs.String(), "origin=reconciler/poll") || strings.Contains(logs.String(), "secret name") {
		t.Errorf("log:\n%s", logs.String())
	}
}
