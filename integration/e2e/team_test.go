package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/schemas/latest"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// teamMapping is a second team's mapping: two of the five objects, and a
// few of their fields, on the pipeline's topics.
const teamMapping = `version: 1
objects:
  Territory2:
    kafka_topic: %s
    fields:
      Id: varchar(18)
      Name: text
      ParentTerritory2Id: varchar(18)
  Account:
    kafka_topic: %s
    fields:
      Id: varchar(18)
      Name: text
      Industry: text
      AnnualRevenue: numeric(18,2)
      BillingCity: {source: BillingAddress.City, type: text}
      Territory_Key__c: {column: territory_key, type: varchar(18)}
      LastModifiedDate: timestamptz
`

// TestTeamBootstrapsAndFollows runs the pipeline (producer, consumer,
// reconciler keeping the latest-state topics) on a seeded org; then,
// while changes keep coming, a second team with its own mapping (a
// subset of the objects and fields), consumer group and database
// bootstraps from the latest-state topics, without Salesforce, and
// follows the stream. Its database must end equal to Salesforce for its
// fields, with no dead letter. In the same run a backfill of the team's
// objects from the emulator gives the rate to compare the bootstrap's
// with. Accounts: 2,000 (make test-full: 100,000).
func TestTeamBootstrapsAndFollows(t *testing.T) {
	t.Parallel()
	accounts := sized(2000, 100_000)
	p := newPipeline(t, accounts, services{})
	p.consumer("consumer", true)
	_, rcfg := p.startReconciler("")
	p.converge(3*time.Minute + time.Duration(accounts)*3*time.Millisecond)
	p.waitCompacted(rcfg)

	// The team's consumer: its mapping, group and database.
	text := fmt.Sprintf(teamMapping, p.topic("territory2"), p.topic("account"))
	team, err := mapping.Parse("team-mapping.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	harness.WriteFile(t, filepath.Join(p.dir, "team-mapping.yaml"), text)
	pg := harness.NewPostgres(t)
	port := freePort(t)
	cfg := filepath.Join(p.dir, "team.yaml")
	harness.WriteFile(t, cfg, p.consumerYAML("team-mapping.yaml", p.groupName("team"), p.topic("team-dlq"), pg.URL, port,
		"batch:\n  size: 1000\n  wait: 20ms\n"))
	p.waitPosition(team)

	// It joins while the org keeps changing.
	wait := p.background(sized(1000, 20000), float64(sized(100, 400)))
	start := time.Now()
	boot := p.start("team-bootstrap", filepath.Join(bins, "sfsync-consumer"), "bootstrap", "--config", cfg, "--no-follow")
	<-boot.done
	bootTook := time.Since(start)
	if boot.waitErr != nil {
		t.Fatalf("bootstrap: %v\n%s", boot.waitErr, tail(boot.logs.String(), 3000))
	}
	m := regexp.MustCompile(`latest-state topics read" records=(\d+) seconds=([0-9.e+-]+)`).FindStringSubmatch(boot.logs.String())
	if m == nil {
		t.Fatalf("the bootstrap logged no count:\n%s", tail(boot.logs.String(), 3000))
	}
	read, _ := strconv.Atoi(m[1])
	readSeconds, _ := strconv.ParseFloat(m[2], 64)
	follower := p.start("team", filepath.Join(bins, "sfsync-consumer"), "--config", cfg)
	follower.metrics = fmt.Sprintf("http://127.0.0.1:%d", port)
	wait()
	p.converge(3*time.Minute + time.Duration(accounts)*time.Millisecond)
	deadline := time.Now().Add(3*time.Minute + time.Duration(accounts)*time.Millisecond)
	for {
		diffs, err := Compare(context.Background(), pg.Pool(), p.srv, team, 20)
		if err == nil && len(diffs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the team's database does not equal Salesforce (%v): %v", err, diffs)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if n := follower.metric("sfsync_consumer_dead_letters_total"); n != 0 {
		t.Errorf("the team's consumer dead-lettered %v records", n)
	}
	var tables int
	if err := pg.Pool().QueryRow(context.Background(), `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT LIKE 'sfsync\_%'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 2 {
		t.Errorf("the team's database has %d tables, want its 2", tables)
	}

	// A backfill of the same objects from the emulator, to topics of its
	// own, for the rate.
	bf := p.backfillTeam(text)
	records, took := parseBackfill(t, bf)
	bootRate := float64(read) / readSeconds
	bfRate := float64(records) / took.Seconds()
	t.Logf("bootstrap: %d latest-state records read into PostgreSQL in %.2fs (%.0f records/s; %s from process start to exit); "+
		"backfill of the same objects from the emulator into Kafka: %d records in %s (%.0f records/s); bootstrap/backfill = %.2f",
		read, readSeconds, bootRate, bootTook.Round(time.Millisecond), records, took.Round(time.Millisecond), bfRate, bootRate/bfRate)
}

// waitPosition waits until the reconciler has committed the position of
// the latest-state topics for every topic of m.
func (p *pipeline) waitPosition(m *mapping.Mapping) {
	p.t.Helper()
	req := &kafka.OffsetFetchRequest{GroupID: latest.PositionGroup, Topics: map[string][]int{}}
	for _, o := range m.Objects {
		req.Topics[o.KafkaTopic] = []int{0, 1, 2, 3, 4, 5}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := p.kafka.Client().OffsetFetch(context.Background(), req)
		if err == nil && resp.Error == nil && len(resp.Topics) == len(req.Topics) {
			ok := true
			for _, parts := range resp.Topics {
				for _, x := range parts {
					ok = ok && x.Error == nil && x.CommittedOffset >= 0
				}
			}
			if ok {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no position of the latest-state topics after 2 minutes (%v)", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// backfillTeam runs `sfsync-reconciler backfill` of mapping text's
// objects, to topics and a database of their own, and returns it ended.
func (p *pipeline) backfillTeam(text string) *proc {
	p.t.Helper()
	for _, name := range []string{"territory2", "account"} {
		text = strings.Replace(text, "kafka_topic: "+p.topic(name), "kafka_topic: "+p.topic("bf-"+name), 1)
		p.kafka.CreateTopic(p.topic("bf-"+name), 6)
	}
	harness.WriteFile(p.t, filepath.Join(p.dir, "bf-mapping.yaml"), text)
	cfg := filepath.Join(p.dir, "bf.yaml")
	harness.WriteFile(p.t, cfg, p.reconcilerYAML("bf-mapping.yaml", "bf", p.topic("bf-checkpoints"), harness.NewPostgres(p.t).URL, ""))
	p.kafka.DeleteAtCleanup(p.topic("bf-checkpoints"))
	bf := p.start("backfill", filepath.Join(bins, "sfsync-reconciler"), "backfill", "--config", cfg)
	<-bf.done
	if bf.waitErr != nil {
		p.t.Fatalf("backfill: %v\n%s", bf.waitErr, tail(bf.logs.String(), 3000))
	}
	return bf
}

// parseBackfill returns the records a backfill published and its time,
// from its summary line.
func parseBackfill(t *testing.T, bf *proc) (int, time.Duration) {
	t.Helper()
	m := regexp.MustCompile(`(\d+) records published in (\S+)`).FindStringSubmatch(bf.logs.String())
	if m == nil {
		t.Fatalf("no backfill summary:\n%s", tail(bf.logs.String(), 3000))
	}
	n, _ := strconv.Atoi(m[1])
	d, err := time.ParseDuration(m[2])
	if err != nil {
		t.Fatal(err)
	}
	return n, d
}
