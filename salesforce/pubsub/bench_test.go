package pubsub_test

import (
	"testing"

	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

// BenchmarkSubscribeThroughput measures events per second on one
// subscription from sffake: Account change events already stored,
// received, decoded and expanded. The delivery allocation is raised so
// that large b.N do not exhaust a real org's 25,000 a day.
func BenchmarkSubscribeThroughput(b *testing.B) {
	s := start(b, sffake.WithLimit(sffake.LimitDailyDeliveredPlatformEvents, 1<<40))
	c := dial(b, s, nil)
	ctx := ctxOf(b)
	id, err := s.Create("Account", map[string]any{"Name": "Acme"})
	must(b, err)
	for i := range b.N {
		must(b, s.Update(id, map[string]any{"NumberOfEmployees": i + 1, "BillingCity": "Lyon"}))
	}
	sub, err := c.Subscribe(ctx, pubsub.SubscribeRequest{Topic: accountTopic, Preset: pubsub.Earliest})
	must(b, err)
	defer sub.Close()
	next(b, ctx, sub) // the CREATE
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if ev := next(b, ctx, sub); ev.DecodeErr != nil {
			b.Fatal(ev.DecodeErr)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
