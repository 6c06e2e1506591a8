//go:build unix

package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

// benchEvents is the number of change events BenchmarkProducer streams:
// SFSYNC_BENCH_EVENTS, 100,000 by default (about 25 s on two cores).
func benchEvents(b *testing.B) int {
	s := os.Getenv("SFSYNC_BENCH_EVENTS")
	if s == "" {
		return 100_000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 {
		b.Fatalf("SFSYNC_BENCH_EVENTS=%q: want a number >= 100", s)
	}
	return n
}

// cpuTime returns the CPU time (user and system) the process used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkProducer streams SFSYNC_BENCH_EVENTS Account change events
// (creates, then updates of a few fields), stored in sffake beforehand,
// through the producer — Subscribe over a real gRPC listener, decode,
// normalise, Kafka writes acknowledged by the local stack's broker,
// checkpoints — and reports, in one run, three costs per event:
//
//   - decode: pubsub.DecodeEvent over the same payloads, in a loop: the
//     floor any consumer of these events pays;
//   - subscribe: a bare pubsub subscription taking every event, decoded,
//     with sffake serving it in this process;
//   - pipeline: the producer at steady state (from 10% to 100% of the
//     events acknowledged by Kafka), sffake included.
//
// CPU is the process's (getrusage), so subscribe and pipeline include
// sffake's share; Kafka runs in its own process and is not counted.
// pipeline/decode is the ratio of the pipeline's CPU per event to the
// decode floor. One iteration is the whole run: use -benchtime=1x.
func BenchmarkProducer(b *testing.B) {
	n := benchEvents(b)
	r := newRig(b, map[string]string{"SFSYNC_PRODUCER_SALESFORCE_LIMITS_POLL_INTERVAL": "-1s"},
		sffake.WithLimit(sffake.LimitDailyDeliveredPlatformEvents, 1<<40))
	preload(b, r.s, n)

	payloads, subscribeCPU := benchSubscribe(b, r.s, n)
	decodeCPU := benchDecode(b, r.s, payloads)

	b.ResetTimer()
	stop := r.start(slog.New(slog.DiscardHandler))
	warm := float64(n / 10)
	poll := func(want float64) (float64, time.Time, time.Duration) {
		deadline := time.Now().Add(10 * time.Minute)
		for {
			if got := r.written(b); got >= want {
				return got, time.Now(), cpuTime(b)
			}
			if time.Now().After(deadline) {
				b.Fatalf("timed out with %v of %v envelopes written", r.written(b), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	from, t0, cpu0 := poll(warm)
	to, t1, cpu1 := poll(float64(n))
	b.StopTimer()
	if err := stop(); err != nil {
		b.Fatal(err)
	}

	events := to - from
	pipelineCPU := (cpu1 - cpu0).Seconds() / events
	b.ReportMetric(events/t1.Sub(t0).Seconds(), "events/s")
	b.ReportMetric(pipelineCPU*1e6, "pipeline-cpu-µs/event")
	b.ReportMetric(subscribeCPU*1e6, "subscribe-cpu-µs/event")
	b.ReportMetric(decodeCPU*1e6, "decode-cpu-µs/event")
	b.ReportMetric(pipelineCPU/decodeCPU, "pipeline/decode")
	b.Logf("%d events: pipeline %.0f events/s at %.1f µs CPU/event; subscribe only %.1f µs; decode only %.1f µs; pipeline/decode %.1f×",
		n, events/t1.Sub(t0).Seconds(), pipelineCPU*1e6, subscribeCPU*1e6, decodeCPU*1e6, pipelineCPU/decodeCPU)
}

// preload stores n Account change events in s: creates of accounts
// spread over 50 territories (a tenth of n), then updates of a few
// fields of them.
func preload(b *testing.B, s *sffake.Server, n int) {
	b.Helper()
	accounts := max(1, n/10)
	ids := make([]string, accounts)
	cities := []string{"Lyon", "Paris", "Lille", "Nantes", "Nice"}
	for i := range accounts {
		id, err := s.Create("Account", map[string]any{
			"Name": fmt.Sprintf("Account %06d", i), "Rating": "Warm", "AnnualRevenue": float64(i) * 1000,
			"NumberOfEmployees": i % 500, "BillingCity": cities[i%len(cities)],
			"Territory_Key__c": fmt.Sprintf("0MI0000000%05dAAA", i%50),
		})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = id
	}
	for i := range n - accounts {
		err := s.Update(ids[i%accounts], map[string]any{
			"NumberOfEmployees": i % 1000, "AnnualRevenue": float64(i) * 10, "BillingCity": cities[i%len(cities)],
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// rawEvent is an event as it came off the wire.
type rawEvent struct {
	schemaID string
	payload  []byte
}

// benchSubscribe takes n events from s on a bare subscription, keeping
// their payloads as they arrived, and returns them with the CPU per
// event it took.
func benchSubscribe(b *testing.B, s *sffake.Server, n int) ([]rawEvent, float64) {
	b.Helper()
	var mu sync.Mutex
	raw := make([]rawEvent, 0, n)
	capture := grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		cs, err := streamer(ctx, desc, cc, method, opts...)
		return &capturing{ClientStream: cs, mu: &mu, raw: &raw}, err
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	client, err := pubsub.Dial(ctx, pubsub.Config{
		Endpoint: s.PubSubAddr(), Plaintext: true, DialOptions: []grpc.DialOption{capture},
		Credentials: pubsub.StaticCredentials(pubsub.Token{AccessToken: oauth.Secret(s.AccessToken()), InstanceURL: s.URL(), TenantID: s.OrgID()}),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	sub, err := client.Subscribe(ctx, pubsub.SubscribeRequest{Topic: accountTopic, Preset: pubsub.Earliest})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	cpu0 := cpuTime(b)
	for range n {
		ev, err := sub.Next(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if ev.DecodeErr != nil {
			b.Fatal(ev.DecodeErr)
		}
	}
	perEvent := (cpuTime(b) - cpu0).Seconds() / float64(n)
	_ = sub.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(raw) < n {
		b.Fatalf("captured %d payloads of %d", len(raw), n)
	}
	return raw[:n], perEvent
}

// capturing keeps the events of the Subscribe responses it receives.
type capturing struct {
	grpc.ClientStream
	mu  *sync.Mutex
	raw *[]rawEvent
}

func (c *capturing) RecvMsg(m any) error {
	err := c.ClientStream.RecvMsg(m)
	if resp, ok := m.(*eventbus.FetchResponse); ok && err == nil {
		c.mu.Lock()
		for _, ce := range resp.GetEvents() {
			*c.raw = append(*c.raw, rawEvent{schemaID: ce.GetEvent().GetSchemaId(), payload: ce.GetEvent().GetPayload()})
		}
		c.mu.Unlock()
	}
	return err
}

// benchDecode decodes the payloads with pubsub.DecodeEvent, the path a
// subscription decodes with, until at least a second of CPU is spent,
// and returns the CPU per event.
func benchDecode(b *testing.B, s *sffake.Server, raw []rawEvent) float64 {
	b.Helper()
	schemas := map[string]*pubsub.Schema{}
	for _, e := range raw {
		if _, ok := schemas[e.schemaID]; ok {
			continue
		}
		text, ok := s.Schema(e.schemaID)
		if !ok {
			b.Fatalf("schema %s unknown", e.schemaID)
		}
		sch, err := pubsub.ParseSchema(e.schemaID, text)
		if err != nil {
			b.Fatal(err)
		}
		schemas[e.schemaID] = sch
	}
	cpu0 := cpuTime(b)
	decoded := 0
	for decoded == 0 || cpuTime(b)-cpu0 < time.Second {
		for _, e := range raw {
			ev := pubsub.Event{SchemaID: e.schemaID, Payload: e.payload}
			pubsub.DecodeEvent(schemas[e.schemaID], &ev)
			if ev.DecodeErr != nil {
				b.Fatal(ev.DecodeErr)
			}
		}
		decoded += len(raw)
	}
	return (cpuTime(b) - cpu0).Seconds() / float64(decoded)
}
