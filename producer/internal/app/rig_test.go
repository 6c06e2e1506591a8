package app

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/integration/harness/sfrig"
	"github.com/sfsync/sfsync/producer/internal/config"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

// accountTopic is the Pub/Sub topic the rig's mapping subscribes to.
const accountTopic = "/data/AccountChangeEvent"

// rig is sffake, the test's own Kafka topics and a producer
// configuration pointing at both, for running [Run] in-process.
type rig struct {
	s        *sffake.Server
	k        *harness.Kafka
	cfg      *config.Config
	reg      *prometheus.Registry
	accounts string // the Account Kafka topic
}

// newRig starts sffake with opts and loads a configuration whose
// mapping sends Account changes to a topic of 6 partitions, keyed by
// Territory_Key__c; env holds SFSYNC_PRODUCER_* overrides.
func newRig(tb testing.TB, env map[string]string, opts ...sffake.Option) *rig {
	tb.Helper()
	k := harness.NewKafka(tb)
	s := sfrig.StartSalesforce(tb, opts...)
	r := &rig{s: s, k: k, reg: prometheus.NewRegistry(), accounts: k.Topic("account", 6)}
	dir := tb.TempDir()
	harness.WriteFile(tb, filepath.Join(dir, "mapping.yaml"), sfrig.AccountMapping(r.accounts, "Rating: text",
		"AnnualRevenue: numeric(18,2)", "NumberOfEmployees: integer", "BillingCity: {source: BillingAddress.City, type: text}"))
	checkpoints := k.TopicName("checkpoints")
	harness.WriteFile(tb, filepath.Join(dir, "producer.yaml"), sfrig.ProducerYAML(s, k.Brokers,
		sfrig.ProducerTopics{Checkpoints: checkpoints, DeadLetters: k.Topic("dlq", 1), Reconcile: k.Topic("reconcile", 1)}, ""))
	k.DeleteAtCleanup(checkpoints)
	var err error
	r.cfg, err = config.Load(filepath.Join(dir, "producer.yaml"), func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// start runs the producer until the returned stop is called; stop
// returns Run's error.
func (r *rig) start(log *slog.Logger) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, r.cfg, Options{Registry: r.reg}, log) }()
	return func() error { cancel(); return <-done }
}

// sum returns the sum of the series of name with labels, and how many
// there are.
func (r *rig) sum(tb testing.TB, name string, labels ...string) (total float64, series int) {
	tb.Helper()
	return harness.MetricValue(tb, r.reg, name, labels...)
}

// written returns the envelopes Kafka acknowledged so far.
func (r *rig) written(tb testing.TB) float64 {
	tb.Helper()
	n, _ := r.sum(tb, "sfsync_producer_records_written_total")
	return n
}
