package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/salesforce/sffake/load"
)

// chaosConfig is the size of TestChaos, from the environment (make chaos).
type chaosConfig struct {
	// faults is the number of faults of each kind: SFSYNC_CHAOS_FAULTS,
	// 2 in `make test`, 20 under SFSYNC_TEST_FULL=1.
	faults int
	// rate is the churn's steady rate in transactions per second:
	// SFSYNC_CHAOS_RATE, 50.
	rate float64
	// settle is the steady time after each fault has been recovered from,
	// and how long a killed leader stays down once the pipeline commits
	// without it: SFSYNC_CHAOS_SETTLE, 2s.
	settle time.Duration
	// seed orders the faults and picks their moments: SFSYNC_CHAOS_SEED,
	// random (and logged) when unset.
	seed uint64
}

func chaosFromEnv(t *testing.T) chaosConfig {
	t.Helper()
	c := chaosConfig{faults: sized(2, 20), rate: 50, settle: 2 * time.Second, seed: uint64(time.Now().UnixNano())}
	bad := func(name, v string, err error) { t.Fatalf("%s=%q: %v", name, v, err) }
	if v := os.Getenv("SFSYNC_CHAOS_FAULTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err == nil && n < 1 {
			err = errors.New("want at least 1")
		}
		if err != nil {
			bad("SFSYNC_CHAOS_FAULTS", v, err)
		}
		c.faults = n
	}
	if v := os.Getenv("SFSYNC_CHAOS_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err == nil && !(r > 0) {
			err = errors.New("want a rate above 0 transactions per second")
		}
		if err != nil {
			bad("SFSYNC_CHAOS_RATE", v, err)
		}
		c.rate = r
	}
	if v := os.Getenv("SFSYNC_CHAOS_SETTLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err == nil && d < 0 {
			err = errors.New("want a duration of 0 or more, such as 2s")
		}
		if err != nil {
			bad("SFSYNC_CHAOS_SETTLE", v, err)
		}
		c.settle = d
	}
	if v := os.Getenv("SFSYNC_CHAOS_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			bad("SFSYNC_CHAOS_SEED", v, err)
		}
		c.seed = s
	}
	return c
}

// chaos is TestChaos's pipeline on a three-node Kafka cluster with a
// private PostgreSQL and Redis, and what it has done to them.
type chaos struct {
	t         *testing.T
	cfg       chaosConfig
	rng       *rand.Rand
	p         *pipeline
	cluster   *harness.KafkaCluster
	pg, redis *harness.Private
	consumers []*proc
	started   int // consumer replicas started, for their names
	// gone sums the counters of the replicas killed, read just before.
	gone applied
	// counts holds the faults done, by kind.
	counts map[string]int
	// stall measures the longest time nothing was committed.
	stall *stallMeter
}

// The kinds of fault, each done cfg.faults times.
const (
	faultLeader    = "leader of the busiest partition killed"
	faultRolling   = "brokers restarted one by one"
	faultProducer  = "producer killed"
	faultConsumers = "consumers killed"
	faultPostgres  = "PostgreSQL restarted"
	faultRedis     = "Redis flushed and stopped"
)

// TestChaos streams churn at a steady rate through the producer and two
// consumer replicas on a three-node Kafka cluster (replication factor 3,
// min.insync.replicas 2) while it SIGKILLs the leader of the busiest
// partition, restarts the brokers one by one, SIGKILLs the producer and
// the consumers, restarts PostgreSQL, and flushes and stops Redis: each
// SFSYNC_CHAOS_FAULTS times, in rounds of one fault of each kind in a
// random order. It ends with PostgreSQL equal to Salesforce field by
// field, fails when a service exits on its own, and reports the
// duplicates and the longest time the consumers committed nothing
// (make chaos).
func TestChaos(t *testing.T) {
	t.Parallel()
	cfg := chaosFromEnv(t)
	begin := time.Now()
	c := &chaos{t: t, cfg: cfg, rng: rand.New(rand.NewPCG(cfg.seed, 13)), counts: map[string]int{}}
	t.Logf("chaos: %d faults of each kind, churn at %v tx/s, settle %s, seed %d (SFSYNC_CHAOS_SEED)", cfg.faults, cfg.rate, cfg.settle, cfg.seed)
	c.cluster = harness.StartKafkaCluster(t, 3)
	c.pg = harness.StartPrivatePostgres(t)
	c.redis = harness.StartPrivateRedis(t)
	c.p = newPipeline(t, 200, services{kafka: harness.KafkaAt(t, c.cluster.Brokers), dbURL: c.pg.URL, redisURL: c.redis.URL})
	c.consumers = []*proc{c.newConsumer(), c.newConsumer()}
	c.p.waitAssigned(c.consumers...)
	t.Logf("cluster, services and pipeline started in %s", time.Since(begin).Round(100*time.Millisecond))

	ctx, stopChurn := context.WithCancel(context.Background())
	defer stopChurn() // when the test fails before the end
	churned := make(chan error, 1)
	go func() {
		mix := load.DefaultMix
		mix.Gap = 0 // GAP events are the reconciler's
		_, err := c.p.world.Churn(ctx, load.Churn{Rate: cfg.rate, Mix: mix})
		churned <- err
	}()
	c.stall = startStallMeter(c.p)
	defer c.stall.halt()
	c.waitProgress("the consumers commit the churn")
	time.Sleep(cfg.settle)

	kinds := []string{faultLeader, faultRolling, faultProducer, faultConsumers, faultPostgres, faultRedis}
	for round := range cfg.faults {
		c.rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
		for _, kind := range kinds {
			c.stall.during(kind)
			at := time.Now()
			c.fault(kind)
			c.counts[kind]++
			recovered := time.Now()
			c.waitProgress("the consumers commit again after: " + kind)
			c.stall.during("")
			t.Logf("round %d: %s in %s, commits again %s later", round+1, kind,
				recovered.Sub(at).Round(100*time.Millisecond), time.Since(recovered).Round(100*time.Millisecond))
			time.Sleep(c.cfg.settle)
			c.alive()
		}
	}
	stopChurn()
	if err := <-churned; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("churn: %v", err)
	}
	converging := time.Now()
	c.p.converge(5 * time.Minute)
	c.alive()
	t.Logf("converged %s after the churn stopped", time.Since(converging).Round(100*time.Millisecond))
	longest, during := c.stall.stop()
	dup := addApplied(c.gone, appliedBy(c.consumers...))
	var faults, stalls []string
	for _, k := range []string{faultLeader, faultRolling, faultProducer, faultConsumers, faultPostgres, faultRedis} {
		faults = append(faults, fmt.Sprintf("%d %s", c.counts[k], k))
		stalls = append(stalls, fmt.Sprintf("%s %s", k, c.stall.longestIn(k).Round(10*time.Millisecond)))
	}
	stalls = append(stalls, fmt.Sprintf("between faults %s", c.stall.longestIn("").Round(10*time.Millisecond)))
	t.Logf("chaos: longest stall by the fault it began in: %s", strings.Join(stalls, ", "))
	t.Logf("chaos summary: PostgreSQL equals Salesforce after %s; faults: %s (%d broker restarts, %d consumer SIGKILLs); "+
		"no service exited on its own; envelopes applied %.0f, duplicates %.0f without effect and %.0f skipped by Redis; "+
		"longest stall %s (%s); %v tx/s, settle %s, seed %d",
		time.Since(begin).Round(time.Second), strings.Join(faults, ", "), 3*c.counts[faultRolling], 2*c.counts[faultConsumers],
		dup.applied, dup.unchanged, dup.skipped, longest.Round(10*time.Millisecond), orSteady(during), cfg.rate, cfg.settle, cfg.seed)
}

func orSteady(during string) string {
	if during == "" {
		return "between faults"
	}
	return "during: " + during
}

// fault does one fault of kind and returns once the service it hit runs
// again.
func (c *chaos) fault(kind string) {
	c.t.Helper()
	switch kind {
	case faultLeader:
		topic, partition, node := c.busiestLeader()
		from := c.committed(topic, partition)
		c.t.Logf("SIGKILL kafka node %d", node)
		c.cluster.Kill(node)
		// The pipeline carries on without the node: the partition's
		// leadership moves to an in-sync replica once the controller
		// fences it (broker.session.timeout.ms, 9s by default), and the
		// producer and the consumers follow it there.
		killed := time.Now()
		c.p.eventually(fmt.Sprintf("%s/%d is committed past offset %d with its leader, kafka node %d, down", topic, partition, from, node),
			func() bool { return c.committed(topic, partition) > from }, append([]*proc{c.p.producer}, c.consumers...)...)
		c.t.Logf("%s/%d committed again %s after its leader, kafka node %d, was killed, with the node down",
			topic, partition, time.Since(killed).Round(100*time.Millisecond), node)
		time.Sleep(c.cfg.settle)
		c.cluster.Start(node)
		c.waitInSync()
	case faultRolling:
		for node := 1; node <= len(c.cluster.Brokers); node++ {
			at := time.Now()
			c.cluster.Stop(node)
			stopped := time.Now()
			c.cluster.Start(node)
			started := time.Now()
			c.waitInSync()
			c.t.Logf("kafka node %d: stopped in %s, started in %s, replicas in sync %s later", node, stopped.Sub(at).Round(100*time.Millisecond),
				started.Sub(stopped).Round(100*time.Millisecond), time.Since(started).Round(100*time.Millisecond))
		}
	case faultProducer:
		c.kill(c.p.producer)
		c.p.startProducer()
	case faultConsumers:
		// One after the other, each restarted at once: the group
		// rebalances while a replica dies.
		for i, r := range c.consumers {
			c.gone = addApplied(c.gone, appliedBy(r))
			c.kill(r)
			c.consumers[i] = c.newConsumer()
			time.Sleep(time.Duration(c.rng.IntN(1000)) * time.Millisecond)
		}
	case faultPostgres:
		counted := c.counted("sfsync_consumer_batch_retries_total")
		c.pg.Stop()
		c.downUntilCounted(counted, "PostgreSQL")
		c.pg.Start()
	case faultRedis:
		opts, err := redis.ParseURL(c.redis.URL)
		if err != nil {
			c.t.Fatal(err)
		}
		client := redis.NewClient(opts)
		err = client.FlushAll(context.Background()).Err()
		client.Close()
		if err != nil {
			c.t.Fatalf("flush Redis: %v", err)
		}
		counted := c.counted("sfsync_consumer_dedup_errors_total")
		c.redis.Stop()
		c.downUntilCounted(counted, "Redis")
		c.redis.Start()
	default:
		c.t.Fatalf("unknown fault %q", kind)
	}
}

func addApplied(a, b applied) applied {
	return applied{a.applied + b.applied, a.unchanged + b.unchanged, a.skipped + b.skipped}
}

// newConsumer starts the next consumer replica, with Redis.
func (c *chaos) newConsumer() *proc {
	c.started++
	return c.p.consumer(fmt.Sprintf("consumer-%d", c.started), true)
}

// kill SIGKILLs r after checking that it had not exited on its own.
func (c *chaos) kill(r *proc) {
	c.t.Helper()
	c.alive()
	r.kill()
}

// alive fails the test when the producer or a consumer replica has
// exited on its own, with the end of its log.
func (c *chaos) alive() {
	c.t.Helper()
	for _, r := range append([]*proc{c.p.producer}, c.consumers...) {
		if r.exited() {
			c.t.Fatalf("%s exited on its own (%v):\n%s", r.name, r.waitErr, tail(r.logs.String(), 4000))
		}
	}
}

// counted returns a function reporting whether a consumer replica's
// counter metric has grown since the call.
func (c *chaos) counted(metric string) func() bool {
	before := make([]float64, len(c.consumers))
	for i, r := range c.consumers {
		before[i] = r.metric(metric)
	}
	return func() bool {
		for i, r := range c.consumers {
			if r.metric(metric) > before[i] {
				return true
			}
		}
		return false
	}
}

// downUntilCounted waits, with service stopped and the churn going on,
// until counted reports the outage: a client finds a stopped service gone
// only once its own retries are spent (see [pipeline.downUntilCounted]).
// It fails the test after a minute, or when a service exits meanwhile.
func (c *chaos) downUntilCounted(counted func() bool, service string) {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !counted() {
		c.alive()
		if time.Now().After(deadline) {
			c.t.Fatalf("no consumer replica counted %s's outage in a minute", service)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitProgress waits until the consumers commit offsets again, what
// saying what for; it fails when a service exits meanwhile.
func (c *chaos) waitProgress(what string) {
	c.t.Helper()
	from := c.stall.advances()
	c.p.eventually(what, func() bool { return c.stall.advances() > from },
		append([]*proc{c.p.producer}, c.consumers...)...)
}

// committed returns the next offset of topic's partition that the
// consumer group has committed to PostgreSQL, 0 before any.
func (c *chaos) committed(topic string, partition int) int64 {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var next int64
	err := c.p.pool.QueryRow(ctx, `SELECT coalesce(max(next_offset), 0) FROM sfsync_consumer_offsets
WHERE consumer_group = $1 AND topic = $2 AND partition = $3`, c.p.group, topic, partition).Scan(&next)
	if err != nil {
		c.t.Fatalf("committed offset of %s/%d: %v", topic, partition, err)
	}
	return next
}

// busiestLeader returns the object topics' partition holding the most
// records, and the node that leads it.
func (c *chaos) busiestLeader() (topic string, partition, node int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := c.p.kafka.Client()
	var topics []string
	req := map[string][]kafka.OffsetRequest{}
	for _, o := range c.p.mapping.Objects {
		topics = append(topics, o.KafkaTopic)
		for part := range 6 {
			req[o.KafkaTopic] = append(req[o.KafkaTopic], kafka.LastOffsetOf(part))
		}
	}
	offsets, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: req})
	if err != nil {
		c.t.Fatalf("end offsets: %v", err)
	}
	most := int64(-1)
	for name, parts := range offsets.Topics {
		for _, po := range parts {
			if po.Error == nil && po.LastOffset > most {
				topic, partition, most = name, po.Partition, po.LastOffset
			}
		}
	}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		c.t.Fatalf("metadata: %v", err)
	}
	for _, tm := range md.Topics {
		for _, pm := range tm.Partitions {
			if tm.Name == topic && pm.ID == partition && pm.Leader.ID > 0 {
				c.t.Logf("busiest partition: %s/%d, %d records, led by node %d", topic, partition, most, pm.Leader.ID)
				return topic, partition, pm.Leader.ID
			}
		}
	}
	c.t.Fatalf("no leader for the busiest partition %s/%d: %+v", topic, partition, md.Topics)
	return "", 0, 0
}

// waitInSync waits until every partition of the cluster has a leader and
// all its replicas in sync, after a node's restart; it fails the test
// after three minutes, or when a service exits meanwhile.
func (c *chaos) waitInSync() {
	c.t.Helper()
	client := c.p.kafka.Client()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		md, err := client.Metadata(ctx, &kafka.MetadataRequest{})
		cancel()
		last := ""
		if err != nil {
			last = err.Error()
		} else {
			for _, tm := range md.Topics {
				for _, pm := range tm.Partitions {
					if last == "" && (pm.Error != nil || pm.Leader.ID == 0 || len(pm.Isr) != len(pm.Replicas)) {
						last = fmt.Sprintf("%s/%d has leader %d and %d of %d replicas in sync (%v)", tm.Name, pm.ID, pm.Leader.ID, len(pm.Isr), len(pm.Replicas), pm.Error)
					}
				}
			}
		}
		if last == "" {
			return
		}
		c.alive()
		if time.Now().After(deadline) {
			c.t.Fatalf("replicas not in sync three minutes after a restart: %s", last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stallMeter samples, every 100 ms, the sum of the offsets the consumer
// group has committed to PostgreSQL, and keeps the longest interval
// between two advances: the longest time the consumers committed nothing
// while the churn kept changes pending. An outage of PostgreSQL itself
// counts, as nothing can be committed.
type stallMeter struct {
	mu      sync.Mutex
	count   int           // advances seen
	last    time.Time     // of the last advance
	longest time.Duration // between two advances
	fault   string        // the fault under way now
	lastIn  string        // the fault under way at the last advance
	in      string        // the fault under way when the longest began
	// byFault holds the longest stall that began in each fault, ""
	// between faults.
	byFault map[string]time.Duration
	done    chan struct{}
	stopped chan struct{}
}

func startStallMeter(p *pipeline) *stallMeter {
	m := &stallMeter{done: make(chan struct{}), stopped: make(chan struct{}), byFault: map[string]time.Duration{}}
	go func() {
		defer close(m.stopped)
		prev := int64(-1)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-m.done:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			var sum int64
			err := p.pool.QueryRow(ctx, `SELECT coalesce(sum(next_offset), 0) FROM sfsync_consumer_offsets WHERE consumer_group = $1`, p.group).Scan(&sum)
			cancel()
			if err != nil || sum <= prev {
				continue
			}
			now := time.Now()
			m.mu.Lock()
			if prev >= 0 {
				gap := now.Sub(m.last)
				if gap > m.longest {
					m.longest, m.in = gap, m.lastIn
				}
				m.byFault[m.lastIn] = max(m.byFault[m.lastIn], gap)
			}
			prev, m.last, m.lastIn = sum, now, m.fault
			m.count++
			m.mu.Unlock()
		}
	}()
	return m
}

// during records the fault under way, "" between faults.
func (m *stallMeter) during(fault string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fault = fault
	if fault != "" {
		// The time since the last advance, should it become the longest
		// stall, is the fault's.
		m.lastIn = fault
	}
}

// advances returns the number of advances seen.
func (m *stallMeter) advances() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.count
}

// stop ends the sampling and returns the longest stall and the fault under
// way when it began. The time after the last advance is not a stall: the
// pipeline has converged by then.
func (m *stallMeter) stop() (time.Duration, string) {
	m.halt()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.longest, m.in
}

// longestIn returns the longest stall that began in fault.
func (m *stallMeter) longestIn(fault string) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.byFault[fault]
}

// halt ends the sampling.
func (m *stallMeter) halt() {
	select {
	case <-m.done:
	default:
		close(m.done)
	}
	<-m.stopped
}
