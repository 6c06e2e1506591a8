package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sfsync/sfsync/integration/harness"
)

// report logs what the replicas did, duplicates included.
func report(t *testing.T, what string, replicas ...*proc) {
	t.Helper()
	a := appliedBy(replicas...)
	t.Logf("%s: PostgreSQL equals Salesforce; the last replicas applied %.0f envelopes, %.0f of them without effect (duplicates or older), and skipped %.0f as seen by Redis",
		what, a.applied, a.unchanged, a.skipped)
}

// applied counts what consumer replicas did with the envelopes they read,
// from their metrics.
type applied struct {
	applied   float64 // applied to PostgreSQL, with or without effect
	unchanged float64 // applied without effect: duplicates or older
	skipped   float64 // skipped as seen by Redis
}

// appliedBy sums the counters of replicas; a replica whose metrics cannot
// be read counts nothing.
func appliedBy(replicas ...*proc) applied {
	var a applied
	for _, r := range replicas {
		a.applied += max(r.metric(`sfsync_consumer_envelopes_applied_total`), 0)
		a.unchanged += max(r.metricWith(`sfsync_consumer_envelopes_applied_total`, `result="unchanged"`), 0)
		a.skipped += max(r.metric(`sfsync_consumer_dedup_hits_total`), 0)
	}
	return a
}

// streamingConsumer starts a consumer and, once it holds its partitions,
// churn in the background (see background); it returns the consumer and
// the churn's wait.
func (p *pipeline) streamingConsumer() (*proc, func()) {
	c := p.consumer("consumer", true)
	p.waitAssigned(c)
	return c, p.background(sized(1500, 20000), 300)
}

// background runs the churn in the background and returns a wait.
func (p *pipeline) background(n int, rate float64) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.churn(context.Background(), n, rate)
	}()
	return func() { <-done }
}

// downUntilCounted keeps changes coming, with a service stopped, until
// replica c's counter metric counts the outage: a client finds a stopped
// service gone only once its own retries are spent, which no fixed outage
// outlasts on a busy machine. wait is the background churn's; more changes
// are made once it is over. It fails the test after a minute.
func (p *pipeline) downUntilCounted(c *proc, metric string, wait func()) {
	p.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for c.metric(metric) < 1 {
		if time.Now().After(deadline) {
			p.t.Fatalf("%s counted no %s in a minute with the service stopped", c.name, metric)
		}
		wait()
		p.churn(context.Background(), 20, 50)
	}
}

// waitMetric polls replica r's metric until ok accepts it; after a minute
// it fails the test, saying what was expected.
func (p *pipeline) waitMetric(r *proc, metric string, ok func(float64) bool, what string) {
	p.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ok(r.metric(metric)) {
		if time.Now().After(deadline) {
			p.t.Errorf("%s: %s is %v after a minute", what, metric, r.metric(metric))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestEndToEnd streams generated changes through the emulator, the
// producer and two consumer replicas, and checks that every row and field
// in PostgreSQL equals the emulator's records: 2,000 changes in `make
// test`, 100,000 under SFSYNC_TEST_FULL=1 (make test-full).
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, sized(300, 5000), services{})
	a, b := p.consumer("consumer-a", true), p.consumer("consumer-b", true)
	p.waitAssigned(a, b)
	changes := sized(2000, 100000)
	p.churn(context.Background(), changes, 0)
	p.converge(time.Duration(sized(2, 15)) * time.Minute)
	report(t, fmt.Sprintf("%d changes, 2 replicas", changes), a, b)
}

// TestConsumerKilled kills the consumer with SIGKILL at random moments
// while changes stream, restarting it each time.
func TestConsumerKilled(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, 200, services{})
	wait := p.background(sized(1500, 20000), 300)
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	kills := sized(5, 20)
	c := p.consumer("consumer", true)
	for i := range kills {
		time.Sleep(time.Duration(300+rng.IntN(900)) * time.Millisecond)
		c.kill()
		c = p.consumer(fmt.Sprintf("consumer-%d", i+1), true)
	}
	wait()
	p.converge(3 * time.Minute)
	report(t, fmt.Sprintf("%d SIGKILLs", kills), c)
}

// TestRedisFlushedAndStopped empties Redis, then stops it, while changes
// stream; the consumer carries on without it and uses it again when it
// returns.
func TestRedisFlushedAndStopped(t *testing.T) {
	t.Parallel()
	rd := harness.StartPrivateRedis(t)
	p := newPipeline(t, 200, services{redisURL: rd.URL})
	// Streaming before the outage, so that the consumer calls Redis
	// while it is down.
	c, wait := p.streamingConsumer()
	opts, err := redis.ParseURL(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	defer client.Close()
	time.Sleep(time.Second)
	if err := client.FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	rd.Stop()
	p.downUntilCounted(c, "sfsync_consumer_dedup_errors_total", wait)
	rd.Start()
	wait()
	p.converge(3 * time.Minute)
	report(t, "Redis flushed, stopped until the consumer counted a failure, and started", c)
}

// TestPostgresRestarted restarts PostgreSQL while changes stream; batches
// in flight are retried, never dead-lettered.
func TestPostgresRestarted(t *testing.T) {
	t.Parallel()
	pg := harness.StartPrivatePostgres(t)
	p := newPipeline(t, 200, services{dbURL: pg.URL})
	// Applying before the restart, so that batches are in flight across it.
	c, wait := p.streamingConsumer()
	time.Sleep(2 * time.Second)
	pg.Stop()
	p.downUntilCounted(c, "sfsync_consumer_batch_retries_total", wait)
	pg.Start()
	wait()
	p.converge(3 * time.Minute)
	if n := c.metric("sfsync_consumer_dead_letters_total"); n > 0 {
		t.Errorf("%v records dead-lettered during a PostgreSQL restart", n)
	}
	report(t, "PostgreSQL restarted", c)
}

// TestRebalance grows the group from one replica to two and back while
// changes stream. Each step waits for the group's state itself, as the
// replicas' partitions_assigned gauges report it (0 between generations),
// never for a time: a rebalance on a busy machine takes as long as the
// replicas take to drain their batches and rejoin.
func TestRebalance(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, 200, services{})
	a := p.consumer("consumer-a", true)
	p.waitAssigned(a)
	wait := p.background(sized(1500, 20000), 300)
	// b joins while a applies, so that batches are in flight across the
	// rebalance.
	p.eventually("replica a applies changes", func() bool { return a.metric("sfsync_consumer_envelopes_applied_total") > 0 }, a)
	b := p.consumer("consumer-b", true)
	p.waitOwners("both replicas share the 30 partitions", 30, a, b)
	b.stop()
	wait()
	p.converge(3 * time.Minute)
	p.waitOwners("replica a owns all 30 partitions after b left", 30, a)
	report(t, "1 -> 2 -> 1 replicas", a)
}

// waitOwners waits until every replica owns partitions and together they
// own total: one generation, seen by all of them.
func (p *pipeline) waitOwners(what string, total float64, replicas ...*proc) {
	p.t.Helper()
	p.eventually(what, func() bool {
		sum := 0.0
		for _, r := range replicas {
			n := r.metric("sfsync_consumer_partitions_assigned")
			if n < 1 {
				return false
			}
			sum += n
		}
		return sum == total
	}, replicas...)
}

// eventually polls cond until it holds. It fails the test when one of
// running exits first, or when the test's own deadline (go test -timeout)
// is a minute away, saying what it waited for and what the replicas'
// gauges say.
func (p *pipeline) eventually(what string, cond func() bool, running ...*proc) {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	if t, ok := p.t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := t.Deadline(); ok {
			deadline = d
		}
	}
	deadline = deadline.Add(-time.Minute)
	for !cond() {
		for _, r := range running {
			if r.exited() {
				p.t.Fatalf("%s exited (%v) while waiting until %s", r.name, r.waitErr, what)
			}
		}
		if time.Now().After(deadline) {
			var state []string
			for _, r := range running {
				state = append(state, fmt.Sprintf("%s owns %v partitions", r.name, r.metric("sfsync_consumer_partitions_assigned")))
			}
			p.t.Fatalf("still waiting until %s near the test's deadline (%s)", what, strings.Join(state, ", "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
