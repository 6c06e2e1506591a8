package keys_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/integration/harness/sfrig"
	"github.com/sfsync/sfsync/producer/internal/keys"
	"github.com/sfsync/sfsync/producer/internal/normalize"
	"github.com/sfsync/sfsync/producer/internal/sink"
	"github.com/sfsync/sfsync/producer/internal/stream"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// memSaver keeps the checkpoint in memory.
type memSaver struct {
	mu   sync.Mutex
	last []byte
}

func (m *memSaver) Save(_ context.Context, id []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last = bytes.Clone(id)
	return nil
}

func (m *memSaver) get() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.last)
}

// pipeline is sffake, a producer stream of Account changes and its
// Kafka topic.
type pipeline struct {
	t       *testing.T
	s       *sffake.Server
	k       *harness.Kafka
	topic   string
	dlq     string
	mapping *mapping.Mapping
	client  *pubsub.Client
	rest    *rest.Client
	sink    *sink.Sink
	saver   *memSaver
}

func newPipeline(t *testing.T) *pipeline {
	t.Helper()
	k := harness.NewKafka(t)
	s := sfrig.StartSalesforce(t)
	p := &pipeline{t: t, s: s, k: k, topic: k.Topic("account", 8), dlq: k.Topic("dlq", 1), saver: &memSaver{}}
	var err error
	p.mapping, err = mapping.Parse("test.yaml", []byte(sfrig.AccountMapping(p.topic)))
	if err != nil {
		t.Fatal(err)
	}
	p.client = sfrig.DialPubSub(t, s)
	p.rest, err = rest.New(rest.Config{
		Credentials: rest.StaticCredentials(rest.Token{AccessToken: oauth.Secret(s.AccessToken()), InstanceURL: s.URL()}),
		MaxRetries:  -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	p.sink, err = sink.New(sink.Config{Brokers: k.Brokers})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.sink.Close() })
	return p
}

// run starts a producer stream with a new resolver, whose cache is
// empty, resuming after the saved checkpoint. stop stops it and returns
// the registry of its metrics.
func (p *pipeline) run() (stop func() *prometheus.Registry) {
	p.t.Helper()
	reg := prometheus.NewRegistry()
	r, err := keys.New(keys.Config{Mapping: p.mapping, Salesforce: p.rest, Registerer: reg})
	if err != nil {
		p.t.Fatal(err)
	}
	st, err := stream.New(stream.Config{
		Topic: "/data/AccountChangeEvent", Mapping: p.mapping, Normalizer: normalize.New(p.mapping, p.s.OrgID()),
		DeadLetterTopic: p.dlq, Subscriber: p.client, Writer: p.sink, Saver: p.saver, Start: p.saver.get(),
		CheckpointInterval: 20 * time.Millisecond, BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
		Metrics: stream.NewMetrics(reg), Keys: r,
	})
	if err != nil {
		p.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- st.Run(ctx) }()
	return func() *prometheus.Registry {
		cancel()
		if err := <-errc; err != nil {
			p.t.Errorf("Run: %v", err)
		}
		return reg
	}
}

// record is an envelope and its Kafka key and partition.
type record struct {
	env       *envelope.Envelope
	key       string
	partition int
}

// read reads the topic from the start until it holds want records.
func (p *pipeline) read(want int) []record {
	p.t.Helper()
	codec, err := envelope.NewCodec()
	if err != nil {
		p.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: p.k.Brokers, GroupTopics: []string{p.topic}, GroupID: p.k.Group(fmt.Sprint("read-", want)), StartOffset: kafka.FirstOffset, MaxWait: 50 * time.Millisecond})
	defer r.Close()
	var out []record
	for len(out) < want {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			p.t.Fatalf("read with %d of %d records: %v", len(out), want, err)
		}
		e, err := codec.Decode(m.Value)
		if err != nil {
			p.t.Fatal(err)
		}
		out = append(out, record{env: e, key: string(m.Key), partition: m.Partition})
	}
	return out
}

func (p *pipeline) check(recs []record, id, key string, types ...envelope.ChangeType) {
	p.t.Helper()
	if len(recs) != len(types) {
		p.t.Fatalf("%d records, want %d", len(recs), len(types))
	}
	for i, r := range recs {
		if r.env.RecordID != id || r.env.ChangeType != types[i] || r.key != key || r.env.PartitionKey != key || r.partition != recs[0].partition {
			p.t.Errorf("record %d: %s %s keyed %q (envelope %q) on partition %d; want %s %s keyed %q on partition %d",
				i, r.env.ChangeType, r.env.RecordID, r.key, r.env.PartitionKey, r.partition, types[i], id, key, recs[0].partition)
		}
	}
}

const territory = "0MI000000000001AAA"

// TestStreamKeysEveryChangeByTerritory: an account created in a
// territory, then renamed and deleted, gives three Kafka records keyed by
// the territory, whether the producer saw the create (its cache) or
// started after it (a queryAll; for the delete, of a deleted record), and
// through transient Salesforce failures.
func TestStreamKeysEveryChangeByTerritory(t *testing.T) {
	t.Parallel()
	types := []envelope.ChangeType{envelope.ChangeCreate, envelope.ChangeUpdate, envelope.ChangeDelete}

	t.Run("the producer saw the create", func(t *testing.T) {
		t.Parallel()
		p := newPipeline(t)
		stop := p.run()
		id, err := p.s.Create("Account", map[string]any{"Name": "Acme", "Territory_Key__c": territory})
		if err != nil {
			t.Fatal(err)
		}
		p.read(1)
		if err := p.s.Update(id, map[string]any{"Name": "Acme Corp"}); err != nil {
			t.Fatal(err)
		}
		if err := p.s.Delete(id); err != nil {
			t.Fatal(err)
		}
		p.check(p.read(3), id, territory, types...)
		reg := stop()
		if n := metricValue(t, reg, "sfsync_producer_partition_key_lookups_total"); n != 0 {
			t.Errorf("%v lookups in Salesforce, want none", n)
		}
		if n := metricValue(t, reg, "sfsync_producer_partition_keys_resolved_total", "source", "cache"); n != 2 {
			t.Errorf("%v keys from the cache, want 2", n)
		}
	})

	t.Run("the producer started after the create", func(t *testing.T) {
		t.Parallel()
		p := newPipeline(t)
		stop := p.run()
		id, err := p.s.Create("Account", map[string]any{"Name": "Acme", "Territory_Key__c": territory})
		if err != nil {
			t.Fatal(err)
		}
		p.read(1)
		stop()

		// A new producer sees only the update: it asks Salesforce.
		if err := p.s.Update(id, map[string]any{"Name": "Acme Corp"}); err != nil {
			t.Fatal(err)
		}
		stop = p.run()
		p.read(2)
		reg := stop()
		if n := metricValue(t, reg, "sfsync_producer_partition_keys_resolved_total", "source", "salesforce"); n != 1 {
			t.Errorf("update: %v keys from Salesforce, want 1", n)
		}

		// Another sees only the delete, and Salesforce fails twice
		// first: the stream retries the event and loses nothing.
		if err := p.s.Delete(id); err != nil {
			t.Fatal(err)
		}
		p.s.FailNextHTTP(2, sffake.HTTPFault{Status: 503})
		stop = p.run()
		recs := p.read(3)
		reg = stop()
		p.check(recs, id, territory, types...)
		if n := metricValue(t, reg, "sfsync_producer_partition_keys_resolved_total", "source", "salesforce"); n != 1 {
			t.Errorf("delete: %v keys from Salesforce, want 1", n)
		}
		if n := metricValue(t, reg, "sfsync_producer_resubscribes_total", "cause", "partition_keys"); n != 2 {
			t.Errorf("%v resubscriptions after failed lookups, want 2", n)
		}
		if n := metricValue(t, reg, "sfsync_producer_partition_keys_resolved_total", "source", "unknown"); n != 0 {
			t.Errorf("%v records keyed as unknown", n)
		}
	})
}
