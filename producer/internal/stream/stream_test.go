package stream_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/integration/harness/sfrig"
	"github.com/sfsync/sfsync/producer/internal/normalize"
	"github.com/sfsync/sfsync/producer/internal/replay"
	"github.com/sfsync/sfsync/producer/internal/sink"
	"github.com/sfsync/sfsync/producer/internal/stream"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/schemas/deadletter"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// changes is the number of record changes the end-to-end test makes:
// 2,000 in `make test`, 10,000 in `make test-full` (SFSYNC_TEST_FULL=1).
func changes() int {
	if os.Getenv("SFSYNC_TEST_FULL") == "1" {
		return 10_000
	}
	return 2_000
}

// reconcilerFunc is a stream.Reconciler calling itself.
type reconcilerFunc func(ctx context.Context, r replay.ReconcileRequest) error

func (f reconcilerFunc) Request(ctx context.Context, r replay.ReconcileRequest) error {
	return f(ctx, r)
}

// memSaver keeps checkpoints in memory: the Saver interface is ours, and
// its Kafka-backed implementation has tests of its own.
type memSaver struct {
	mu    sync.Mutex
	last  []byte
	saves int
}

func (m *memSaver) Save(_ context.Context, id []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last, m.saves = bytes.Clone(id), m.saves+1
	return nil
}

func (m *memSaver) get() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

// sinkWindow is the fixture sink's MaxInFlight.
const sinkWindow = 500

type fixture struct {
	t        *testing.T
	s        *sffake.Server
	k        *harness.Kafka
	topic    string // the Kafka topic of Account envelopes
	dlq      string
	client   *pubsub.Client
	sink     *sink.Sink
	mapping  *mapping.Mapping
	saver    *memSaver
	registry *prometheus.Registry
	metrics  *stream.Metrics
}

// metric returns the sum of a metric family's counters, gauges or
// histogram counts.
func (f *fixture) metric(name string) float64 {
	f.t.Helper()
	v, _ := harness.MetricValue(f.t, f.registry, name)
	return v
}

func newFixture(t *testing.T, opts ...sffake.Option) *fixture {
	t.Helper()
	return newFixtureOn(t, harness.NewKafka(t), opts...)
}

// newFixtureOn is newFixture on the Kafka cluster k.
func newFixtureOn(t *testing.T, k *harness.Kafka, opts ...sffake.Option) *fixture {
	t.Helper()
	s := sfrig.StartSalesforce(t, opts...)
	f := &fixture{t: t, s: s, k: k, topic: k.Topic("account", 4), dlq: k.Topic("dlq", 1), saver: &memSaver{}}
	var err error
	f.mapping, err = mapping.Parse("test.yaml", []byte(sfrig.AccountMapping(f.topic,
		"Rating: text", "AnnualRevenue: numeric(18,2)", "BillingCity: {source: BillingAddress.City, type: text}")))
	if err != nil {
		t.Fatal(err)
	}
	f.client = sfrig.DialPubSub(t, s)
	f.sink, err = sink.New(sink.Config{Brokers: k.Brokers, MaxInFlight: sinkWindow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.sink.Close() })
	return f
}

// run starts a stream resuming after start; the returned stop cancels it
// and waits for Run to return.
func (f *fixture) run(start []byte) (stop func()) {
	f.t.Helper()
	return f.runWith(stream.Config{Start: start})
}

// runWith starts a stream with the fixture's dependencies filled into
// cfg.
func (f *fixture) runWith(cfg stream.Config) (stop func()) {
	f.t.Helper()
	if f.metrics == nil {
		f.registry = prometheus.NewRegistry()
		f.metrics = stream.NewMetrics(f.registry)
	}
	cfg.Metrics = f.metrics
	cfg.Topic, cfg.Mapping = "/data/AccountChangeEvent", f.mapping
	cfg.Normalizer, cfg.DeadLetterTopic = normalize.New(f.mapping, f.s.OrgID()), f.dlq
	cfg.Subscriber, cfg.Writer, cfg.Saver = f.client, f.sink, f.saver
	cfg.CheckpointInterval = 20 * time.Millisecond
	cfg.BackoffMin, cfg.BackoffMax = 10*time.Millisecond, 100*time.Millisecond
	st, err := stream.New(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- st.Run(ctx) }()
	return func() {
		cancel()
		if err := <-errc; err != nil {
			f.t.Errorf("Run: %v", err)
		}
	}
}

// churn makes n changes over 50 accounts in 8 territories, several per
// transaction, and returns the accounts' ids.
func (f *fixture) churn(n int) []string {
	f.t.Helper()
	var ids []string
	for i := range 50 {
		id, err := f.s.Create("Account", map[string]any{
			"Name": fmt.Sprintf("Account %d", i), "Territory_Key__c": fmt.Sprintf("0MI00000000000%dAAA", i%8),
		})
		if err != nil {
			f.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for done := 50; done < n; {
		_, err := f.s.Transact(func(tx *sffake.Tx) error {
			for j := 0; j < 5 && done < n; j++ {
				id := ids[(done*7)%len(ids)]
				fields := map[string]any{"AnnualRevenue": float64(done), "Rating": []string{"Hot", "Warm", "Cold"}[done%3]}
				if done%10 == 0 {
					fields["Territory_Key__c"] = fmt.Sprintf("0MI00000000000%dAAA", done%8)
				}
				if err := tx.Update(id, fields); err != nil {
					return err
				}
				done++
			}
			return nil
		})
		if err != nil {
			f.t.Fatal(err)
		}
	}
	return ids
}

// collect reads the Account topic from the start until it holds want
// distinct events, and returns how many records it read.
func (f *fixture) collect(want int) (records int, byRecord map[string][]envelope.Envelope) {
	f.t.Helper()
	codec, err := envelope.NewCodec()
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: f.k.Brokers, GroupTopics: []string{f.topic}, GroupID: f.k.Group(fmt.Sprint("collect-", want)), StartOffset: kafka.FirstOffset, MaxWait: 50 * time.Millisecond})
	defer r.Close()
	byRecord = map[string][]envelope.Envelope{}
	seen := map[string]bool{}
	for len(seen) < want {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			f.t.Fatalf("read with %d of %d events seen: %v", len(seen), want, err)
		}
		e, err := codec.Decode(m.Value)
		if err != nil {
			f.t.Fatalf("offset %d: %v", m.Offset, err)
		}
		records++
		seen[e.RecordID+"/"+fmt.Sprint(e.CommitNumber, "/", e.SequenceNumber)] = true
		byRecord[fmt.Sprint(m.Partition, "/", e.RecordID)] = append(byRecord[fmt.Sprint(m.Partition, "/", e.RecordID)], *e)
	}
	return records, byRecord
}

// TestEveryChangeArrivesInOrder streams generated changes through the
// producer into Kafka: none is missing, and each record's changes on each
// partition are in Salesforce commit order. (A record's changes reach two
// partitions when an update does not carry its territory key; the
// consumer's version guards order them across partitions.)
func TestEveryChangeArrivesInOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	stop := f.run(nil)
	n := changes()
	f.churn(n)
	records, byRecord := f.collect(n)
	stop()
	for key, envs := range byRecord {
		for i := 1; i < len(envs); i++ {
			a, b := envs[i-1], envs[i]
			if b.CommitNumber < a.CommitNumber || (b.CommitNumber == a.CommitNumber && b.SequenceNumber <= a.SequenceNumber) {
				t.Fatalf("%s: change (%d, %d) after (%d, %d)", key, b.CommitNumber, b.SequenceNumber, a.CommitNumber, a.SequenceNumber)
			}
		}
	}
	t.Logf("%d changes, %d records read (%d duplicates)", n, records, records-n)
	if f.saver.get() == nil {
		t.Error("no checkpoint saved")
	}
	for name, atLeast := range map[string]float64{
		"sfsync_producer_events_received_total":        float64(n),
		"sfsync_producer_records_written_total":        float64(n),
		"sfsync_producer_commit_to_kafka_seconds":      float64(n),
		"sfsync_producer_hop_seconds":                  2 * float64(n), // both hops of each
		"sfsync_producer_checkpoint_timestamp_seconds": 1,
	} {
		if got := f.metric(name); got < atLeast {
			t.Errorf("%s = %v, want at least %v", name, got, atLeast)
		}
	}
}

// TestResumesFromTheCheckpoint stops the producer, changes more records,
// and starts it again from the saved replay id: the new changes arrive,
// and nothing before the checkpoint is sent again.
func TestResumesFromTheCheckpoint(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	stop := f.run(nil)
	f.churn(200)
	f.collect(200)
	stop() // drains and saves the checkpoint
	checkpoint := f.saver.get()
	if checkpoint == nil {
		t.Fatal("no checkpoint after a drained stop")
	}
	f.churn(300) // 50 more creates and 250 updates while stopped
	stop = f.run(checkpoint)
	defer stop()
	records, _ := f.collect(500)
	if records != 500 {
		t.Errorf("read %d records for 500 changes: the restart repeated %d events before its checkpoint", records, records-500)
	}
}

// TestSurvivesDroppedAndStalledStreams drops and stalls the Salesforce
// streams mid-run: the producer resubscribes from its safe position and
// every change still arrives.
func TestSurvivesDroppedAndStalledStreams(t *testing.T) {
	t.Parallel()
	// Keepalives every 50 ms, so a 1 s watchdog only fires on a stall.
	f := newFixture(t, sffake.WithKeepalive(50*time.Millisecond))
	stop := f.runWith(stream.Config{StallTimeout: time.Second})
	defer stop()
	f.churn(300)
	f.collect(300) // the subscription is open: there is a stream to drop
	f.s.DropStreams()
	f.churn(300)
	f.s.DuplicateNext(20)
	f.churn(300)
	f.collect(900)
	f.s.StallStreams()
	f.churn(300)
	records, _ := f.collect(1200)
	t.Logf("1200 changes, %d records read (%d duplicates)", records, records-1200)
	// A dropped stream surfaces as UNAVAILABLE or as a plain end of stream,
	// depending on when the client notices; a stall has its own cause.
	if got := f.resubscribes("transport") + f.resubscribes("ended"); got < 1 {
		t.Errorf("resubscribes after the drop = %v, want at least 1 (auth %v, kafka %v, stalled %v)", got,
			f.resubscribes("auth"), f.resubscribes("kafka"), f.resubscribes("stalled"))
	}
	if got := f.resubscribes("stalled"); got < 1 {
		t.Errorf("resubscribes for the stall = %v, want at least 1", got)
	}
}

// resubscribes returns the resubscribes metric for cause.
func (f *fixture) resubscribes(cause string) float64 {
	f.t.Helper()
	return f.counter("sfsync_producer_resubscribes_total", "cause", cause)
}

// counter returns the sum of the counters of the metric family name
// whose label is value.
func (f *fixture) counter(name, label, value string) float64 {
	f.t.Helper()
	v, _ := harness.MetricValue(f.t, f.registry, name, label, value)
	return v
}

// TestRefusedReplayID starts from a replay id Salesforce refuses, under
// each policy.
func TestRefusedReplayID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario  string
		policy    stream.Policy
		wantErr   bool
		wantEvent bool
	}{
		{scenario: "fail stops with advice", policy: stream.PolicyFail, wantErr: true},
		{scenario: "earliest replays and requests reconciliation", policy: stream.PolicyEarliest, wantEvent: true},
		{scenario: "latest requests reconciliation", policy: stream.PolicyLatest},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ids := f.churn(60)
			var mu sync.Mutex
			var requests []string
			st, err := stream.New(stream.Config{
				Topic: "/data/AccountChangeEvent", Mapping: f.mapping,
				Normalizer: normalize.New(f.mapping, f.s.OrgID()), DeadLetterTopic: f.dlq,
				Subscriber: f.client, Writer: f.sink, Saver: f.saver,
				Start:  []byte{0xde, 0xad}, // not a replay id sffake ever issued
				Policy: tc.policy,
				Reconciler: reconcilerFunc(func(_ context.Context, r replay.ReconcileRequest) error {
					mu.Lock()
					defer mu.Unlock()
					requests = append(requests, r.Subscription+": "+r.Reason)
					return nil
				}),
				BackoffMin: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
				CheckpointInterval: 20 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() { errc <- st.Run(ctx) }()
			if tc.wantErr {
				err := <-errc
				cancel()
				if err == nil || !strings.Contains(err.Error(), "replay.policy") || !errors.Is(err, pubsub.ErrReplayIDCorrupted) {
					t.Fatalf("Run = %v, want the refused replay id with advice", err)
				}
				return
			}
			if tc.wantEvent {
				f.collect(60) // the retained events, replayed
			} else {
				// Change records until one streams: the subscription from
				// LATEST sees only changes made after it is established.
				deadline := time.Now().Add(time.Minute)
				for f.saver.get() == nil {
					if time.Now().After(deadline) {
						t.Fatal("no change streamed after resubscribing from LATEST")
					}
					if err := f.s.Update(ids[0], map[string]any{"Rating": "Hot"}); err != nil {
						t.Fatal(err)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			cancel()
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(requests) != 1 || !strings.Contains(requests[0], "/data/AccountChangeEvent") {
				t.Fatalf("reconciliation requests %q, want one for the topic", requests)
			}
		})
	}
}

// TestBadEventGoesToTheDeadLetterTopic publishes an undecodable payload
// to a platform event topic: it lands on the dead-letter topic with its
// reason and origin, and the stream goes on past it.
func TestBadEventGoesToTheDeadLetterTopic(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sffake.WithEvent(sffake.EventDefinition{
		Name: "Order_Event__e", Fields: []sffake.Field{{Name: "OrderId__c", Type: sffake.TypeString}},
	}))
	const topic = "/event/Order_Event__e"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := f.client.Publish(ctx, topic, pubsub.ProducerEvent{ID: "bad-event-1", Payload: []byte{0xff, 0xff, 0xff, 0x01}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("publish: %v %+v", err, res)
	}
	st, err := stream.New(stream.Config{
		Topic: topic, Mapping: f.mapping, Normalizer: normalize.New(f.mapping, f.s.OrgID()), DeadLetterTopic: f.dlq,
		Subscriber: f.client, Writer: f.sink, Saver: f.saver, CheckpointInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- st.Run(rctx) }()

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: f.k.Brokers, Topic: f.dlq, Partition: 0, MaxWait: 50 * time.Millisecond})
	defer r.Close()
	m, err := r.ReadMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	headers := map[string]string{}
	for _, h := range m.Headers {
		headers[h.Key] = string(h.Value)
	}
	if string(m.Key) != "bad-event-1" || !bytes.Equal(m.Value, []byte{0xff, 0xff, 0xff, 0x01}) ||
		headers[deadletter.HeaderOriginTopic] != topic || headers[deadletter.HeaderEventID] != "bad-event-1" ||
		!strings.Contains(headers[deadletter.HeaderReason], "decode") || headers[deadletter.HeaderReplayID] == "" {
		t.Errorf("dead letter key %q value %x headers %v", m.Key, m.Value, headers)
	}
	// The stream moves past the dead letter: its replay id is saved.
	deadline := time.Now().Add(time.Minute)
	for f.saver.get() == nil {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint past the dead letter")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// TestTokenExpiryRefreshes streams with OAuth client-credentials tokens
// from sffake's token endpoint. The token expires and the stream drops:
// the new subscription is refused, the client fetches a fresh token, and
// every change still arrives.
func TestTokenExpiryRefreshes(t *testing.T) {
	t.Parallel()
	clock := sffake.NewManualClock(time.Now())
	f := newFixture(t, sffake.WithClock(clock), sffake.WithTokenTTL(time.Hour),
		sffake.WithConnectedApp(sffake.App{ConsumerKey: "sfsync-test", ConsumerSecret: "test-secret", Username: "integration@example.com"}))
	oc, err := oauth.NewClient(oauth.Config{
		Grant: oauth.GrantClientCredentials, LoginURL: f.s.URL(), ClientID: "sfsync-test", ClientSecret: "test-secret",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f.client, err = pubsub.Dial(ctx, pubsub.Config{
		Endpoint: f.s.PubSubAddr(), Plaintext: true, Credentials: pubsub.OAuthCredentials(oauth.NewTokenSource(oc)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.client.Close() })
	stop := f.run(nil)
	defer stop()
	f.churn(100)
	f.collect(100)
	clock.Advance(2 * time.Hour) // the token expires
	f.s.DropStreams()
	f.churn(100)
	f.collect(200)
	if got := f.resubscribes("auth"); got < 1 {
		t.Errorf("resubscribes for auth = %v, want at least 1: the expired token was never refused", got)
	}
}

// outage is how long TestKafkaOutage keeps the broker down: 5 s in `make
// test`, 30 s in `make test-full` (SFSYNC_TEST_FULL=1).
func outage() time.Duration {
	if os.Getenv("SFSYNC_TEST_FULL") == "1" {
		return 30 * time.Second
	}
	return 5 * time.Second
}

// TestKafkaOutage stops the producer's Kafka broker mid-run while records
// keep changing, then starts it again: every change arrives, and while the
// broker is down the producer holds the stream instead of buffering, with
// never more records in flight than its window.
func TestKafkaOutage(t *testing.T) {
	t.Parallel()
	broker := harness.StartPrivateKafka(t)
	f := newFixtureOn(t, harness.KafkaAt(t, broker.Brokers))
	stop := f.runWith(stream.Config{})
	defer stop()
	f.churn(300)
	f.collect(300)

	broker.Stop()
	var peak atomic.Int64
	watch, stopWatch := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for watch.Err() == nil {
			if n := int64(f.sink.InFlight()); n > peak.Load() {
				peak.Store(n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	made := 300
	for end := time.Now().Add(outage()); time.Now().Before(end); {
		f.churn(50) // 50 more creates each round
		made += 50
		time.Sleep(100 * time.Millisecond)
	}
	broker.Start()
	records, _ := f.collect(made)
	stopWatch()
	<-watched
	t.Logf("%d changes across a %s outage, %d records read (%d duplicates), at most %d records in flight",
		made, outage(), records, records-made, peak.Load())
	if peak.Load() > sinkWindow {
		t.Errorf("%d records in flight, window %d", peak.Load(), sinkWindow)
	}
}

// TestWaitsOutAUsedUpAllocation uses up the org's delivery allocation
// mid-run: the stream waits and subscribes again instead of stopping, and
// once the allocation is back every change arrives.
func TestWaitsOutAUsedUpAllocation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	stop := f.runWith(stream.Config{AllocationRetry: 100 * time.Millisecond})
	defer stop()
	f.churn(100)
	f.collect(100)
	f.s.ExhaustLimit(sffake.LimitDailyDeliveredPlatformEvents)
	f.s.DropStreams()
	f.churn(100)
	deadline := time.Now().Add(30 * time.Second)
	for f.resubscribes("allocation") < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the stream did not wait out the used-up allocation")
		}
		time.Sleep(50 * time.Millisecond)
	}
	f.s.ResetLimits()
	if records, _ := f.collect(200); records < 200 {
		t.Fatalf("read %d records for 200 changes", records)
	}
}

// TestOversizedEventIsDeadLetteredTrimmed changes an account's name to
// 100 KB of text on a topic that takes 64 KiB a batch: the producer
// dead-letters the event without its payload (its ids, the sizes and the
// reason in headers), requests a reconciliation, moves its checkpoint
// past it and streams the changes after it, without resubscribing.
func TestOversizedEventIsDeadLetteredTrimmed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const limit = 64 << 10
	f.k.SetTopicConfig(f.topic, "max.message.bytes", strconv.Itoa(limit))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	limits, err := sink.ReadLimits(ctx, f.k.Client(), []string{f.topic, f.dlq})
	if err != nil || limits.Topics[f.topic] != limit {
		t.Fatalf("ReadLimits = %+v, %v; want %s to take %d bytes", limits, err, f.topic, limit)
	}
	snk, err := sink.New(sink.Config{Brokers: f.k.Brokers, Limits: limits.Topics, DefaultLimit: limits.Default})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = snk.Close() })
	f.sink = snk

	var mu sync.Mutex
	var requests []string
	var requested []byte
	stop := sync.OnceFunc(f.runWith(stream.Config{Reconciler: reconcilerFunc(func(_ context.Context, r replay.ReconcileRequest) error {
		mu.Lock()
		defer mu.Unlock()
		requests, requested = append(requests, r.Subscription+": "+r.Reason), bytes.Clone(r.ReplayID)
		return nil
	})}))
	defer stop()
	ids := f.churn(60)
	if err := f.s.Update(ids[3], map[string]any{"Name": strings.Repeat("n", 100_000)}); err != nil {
		t.Fatal(err)
	}
	f.churn(60) // 50 creates and 10 updates after the big one
	f.collect(120)

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: f.k.Brokers, Topic: f.dlq, Partition: 0, MaxWait: 50 * time.Millisecond})
	defer r.Close()
	m, err := r.ReadMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h, err := deadletter.Parse(m.Headers)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Value) != 0 || h.Trimmed != deadletter.TrimmedPayload || h.Entity != "Account" || h.ChangeType != "UPDATE" ||
		len(h.RecordIDs) != 1 || h.RecordIDs[0] != ids[3] || h.Size <= limit || h.Limit != limit ||
		!strings.HasPrefix(h.Reason, deadletter.ReasonOversized) || h.EventID == "" || string(m.Key) != h.EventID || h.ReplayID == "" {
		t.Errorf("dead letter: %d bytes of value, headers %+v", len(m.Value), h)
	}
	// The checkpoint moves past the oversized event.
	for {
		mu.Lock()
		req := requested
		mu.Unlock()
		if saved := f.saver.get(); req != nil && saved != nil && fmt.Sprintf("%x", req) == h.ReplayID && bytes.Compare(saved, req) > 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("checkpoint %x not past the oversized event %s", f.saver.get(), h.ReplayID)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	if len(requests) != 1 || !strings.Contains(requests[0], "/data/AccountChangeEvent") || !strings.Contains(requests[0], ids[3]) {
		t.Errorf("reconciliation requests %q, want one naming the record", requests)
	}
	if got := f.resubscribes("kafka"); got != 0 {
		t.Errorf("%v resubscribes after Kafka failures, want none", got)
	}
	if got := f.counter("sfsync_producer_dead_letters_total", "reason", "oversized"); got != 1 {
		t.Errorf("oversized dead letters counted %v, want 1", got)
	}
}
