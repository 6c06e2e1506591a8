package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/integration/harness/sfrig"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

// reconcilerConfig writes the reconciler's configuration for p and
// returns its path.
func (p *pipeline) reconcilerConfig(extra string) string {
	p.t.Helper()
	path := filepath.Join(p.dir, "reconciler.yaml")
	harness.WriteFile(p.t, path, p.reconcilerYAML("mapping.yaml", "reconciler", p.topic("checkpoints"), p.dbURL,
		"verify:\n  interval: 2s\n  window: 10m\n  grace: 1s\n"+extra))
	return path
}

// startReconciler starts the reconciler with the configuration
// reconcilerConfig writes for extra, and returns it and the
// configuration's path.
func (p *pipeline) startReconciler(extra string) (*proc, string) {
	p.t.Helper()
	cfg := p.reconcilerConfig(extra)
	return p.start("reconciler", filepath.Join(bins, "sfsync-reconciler"), "--config", cfg), cfg
}

// newReconciled returns a pipeline of accounts records with a consumer
// and a reconciler, converged after churn changes, and the reconciler's
// configuration.
func newReconciled(t *testing.T, accounts, churn int) (*pipeline, string) {
	t.Helper()
	p := newPipeline(t, accounts, services{})
	p.consumer("consumer", true)
	_, cfg := p.startReconciler("")
	p.churn(context.Background(), churn, 0)
	p.converge(2 * time.Minute)
	return p, cfg
}

// reconcilerYAML returns a reconciler's configuration for p: the
// mapping file mappingFile, the consumer group named group, the
// checkpoint topic checkpoints, the database at dbURL, and metrics on a
// free port, followed by extra top-level lines.
func (p *pipeline) reconcilerYAML(mappingFile, group, checkpoints, dbURL, extra string) string {
	return fmt.Sprintf(`mapping: %s
%skafka:
%s  group: %s
  refetch_topic: %s
  reconcile_topic: %s
  checkpoint_topic: %s
postgres:
  url: %q
shutdown_timeout: 10s
metrics_addr: 127.0.0.1:%d
%s`, mappingFile, sfrig.SalesforceYAML(p.srv), p.kafkaConn("reconciler"), p.groupName(group),
		p.topic("refetch"), p.topic("reconcile"), checkpoints, dbURL, freePort(p.t), extra)
}

// verifyReport is the part of `verify --format json` the tests read.
type verifyReport struct {
	Objects []struct {
		Object    string `json:"object"`
		Compared  int    `json:"compared"`
		Missing   int    `json:"missing"`
		Extra     int    `json:"extra"`
		Different int    `json:"different"`
		Repaired  int    `json:"repaired"`
	} `json:"objects"`
}

// verify runs `sfsync-reconciler verify` and returns its report and exit
// status.
func (p *pipeline) verify(cfg string, args ...string) (verifyReport, int) {
	p.t.Helper()
	cmd := exec.Command(filepath.Join(bins, "sfsync-reconciler"), append([]string{"verify", "--config", cfg, "--format", "json"}, args...)...)
	cmd.Env = p.env(cmd.Path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatal(err)
	}
	var r verifyReport
	if code != 2 {
		if err := json.Unmarshal(out, &r); err != nil {
			p.t.Fatalf("verify output is not the JSON report (%v):\n%s\nstderr:\n%s", err, out, stderr.String())
		}
	} else {
		p.t.Logf("verify exited 2:\n%s", stderr.String())
	}
	return r, code
}

func (r verifyReport) totals() (missing, extra, different, repaired int) {
	for _, o := range r.Objects {
		missing += o.Missing
		extra += o.Extra
		different += o.Different
		repaired += o.Repaired
	}
	return
}

// TestDriftRepaired edits, deletes and adds rows by hand in PostgreSQL;
// verify finds exactly those, repairs them through Kafka, and then finds
// nothing. The consumer counts the repairs in their own series, not as
// freshness.
func TestDriftRepaired(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, 200, services{})
	c := p.consumer("consumer", true)
	p.churn(context.Background(), 300, 0)
	p.converge(2 * time.Minute)
	cfg := p.reconcilerConfig("")
	if r, code := p.verify(cfg, "--full"); code != 0 {
		t.Fatalf("verify of converged data exited %d: %+v", code, r)
	}
	ctx := context.Background()
	accounts := p.srv.Records("Account", false)
	for _, q := range []string{
		fmt.Sprintf(`UPDATE account SET name = 'edited by hand' WHERE id = '%s'`, accounts[0].ID),
		fmt.Sprintf(`DELETE FROM account WHERE id = '%s'`, accounts[1].ID),
		`INSERT INTO account (id, name) VALUES ('001000000000XYZAAA', 'not in Salesforce')`,
	} {
		if _, err := p.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	r, code := p.verify(cfg, "--full", "--dry-run")
	missing, extra, different, repaired := r.totals()
	if code != 1 || missing != 1 || extra != 1 || different != 1 || repaired != 0 {
		t.Fatalf("dry run: exit %d, missing %d extra %d different %d repaired %d; want 1, 1 1 1 0", code, missing, extra, different, repaired)
	}
	fresh := c.metric("sfsync_consumer_freshness_seconds_count")
	r, code = p.verify(cfg, "--full")
	if _, _, _, repaired := r.totals(); code != 1 || repaired != 3 {
		t.Fatalf("repair: exit %d, repaired %d; want 1 and 3", code, repaired)
	}
	p.converge(time.Minute)
	if got := c.metric("sfsync_consumer_repair_age_seconds_count"); got < 1 {
		t.Errorf("the consumer counted %v repairs in sfsync_consumer_repair_age_seconds; want the repairs there", got)
	}
	if got := c.metric("sfsync_consumer_freshness_seconds_count"); got != fresh {
		t.Errorf("the repairs moved sfsync_consumer_freshness_seconds_count from %v to %v; they must not count as freshness", fresh, got)
	}
	if r, code := p.verify(cfg, "--full"); code != 0 {
		t.Fatalf("verify after repair exited %d: %+v", code, r)
	}
}

// TestGapsRepaired changes records in transactions whose events
// Salesforce replaced by GAP_* and GAP_OVERFLOW events; the consumer
// forwards them, the reconciler re-reads the records, and PostgreSQL ends
// equal to Salesforce.
func TestGapsRepaired(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, 200, services{})
	p.consumer("consumer", true)
	p.startReconciler("")
	accounts := p.srv.Records("Account", false)
	for i, acct := range accounts[:20] {
		if _, err := p.srv.Transact(func(tx *sffake.Tx) error {
			tx.Unannounced()
			if err := tx.Update(acct.ID, map[string]any{"Name": fmt.Sprintf("gap %d", i)}); err != nil {
				return err
			}
			return tx.Gap("Account", "GAP_UPDATE", acct.ID)
		}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for _, acct := range accounts[20:60] {
		ids = append(ids, acct.ID)
	}
	if _, err := p.srv.Transact(func(tx *sffake.Tx) error {
		tx.Unannounced()
		if err := tx.UpdateMany(ids, map[string]any{"Rating": "Hot"}); err != nil {
			return err
		}
		return tx.Overflow("Account")
	}); err != nil {
		t.Fatal(err)
	}
	p.converge(3 * time.Minute)
}

// TestExpiredReplayConverges stops the producer while Salesforce keeps
// changing and then loses its retained events; the producer resumes from
// the earliest retained event and asks for a reconciliation, which the
// reconciler serves; PostgreSQL converges and verify is clean.
func TestExpiredReplayConverges(t *testing.T) {
	t.Parallel()
	p, cfg := newReconciled(t, 200, 200)
	p.producer.stop()
	p.churn(context.Background(), sized(300, 5000), 0)
	p.srv.Purge() // past the retention window: the stored replay id is gone
	p.churn(context.Background(), 100, 0)
	p.startProducer()
	p.converge(3 * time.Minute)
	if r, code := p.verify(cfg, "--full"); code != 0 {
		t.Fatalf("verify after the reconciliation exited %d: %+v", code, r)
	}
}

// TestBackfillResumesThenStreams loads an org that existed before sfsync
// with a backfill that is killed half-way through its accounts and run
// again; the second run must resume rather than start over. The
// producer then starts from the position the backfill recorded, and
// PostgreSQL ends equal to Salesforce, changes made during and after the
// backfill included. SFSYNC_TEST_BACKFILL_ACCOUNTS sets the number of
// accounts (make test-full: 1,000,000).
func TestBackfillResumesThenStreams(t *testing.T) {
	t.Parallel()
	accounts := sized(3000, 20000)
	if n, err := strconv.Atoi(os.Getenv("SFSYNC_TEST_BACKFILL_ACCOUNTS")); err == nil && n > 0 {
		accounts = n
	}
	p := newPipeline(t, accounts, services{noProducer: true})
	p.consumer("consumer", true)
	// Bulk API 2.0 for every object, as only a bulk job resumes.
	cfg := p.reconcilerConfig("backfill:\n  page_size: 200\n  bulk_threshold: 1\n")
	bf := p.start("backfill", filepath.Join(bins, "sfsync-reconciler"), "backfill", "--config", cfg)
	done := p.waitBackfilled(bf, "Account", int64(accounts/2))
	bf.kill()
	t.Logf("backfill killed with %d of %d accounts published", done, accounts)
	bf = p.start("backfill-again", filepath.Join(bins, "sfsync-reconciler"), "backfill", "--config", cfg)
	p.churn(context.Background(), 200, 0) // during the backfill
	<-bf.done
	if bf.waitErr != nil {
		t.Fatalf("second backfill: %v\n%s", bf.waitErr, tail(bf.logs.String(), 3000))
	}
	if !strings.Contains(bf.logs.String(), "backfill Account: resuming at") {
		t.Fatalf("the second backfill did not resume the accounts:\n%s", tail(bf.logs.String(), 3000))
	}
	p.startProducer()
	p.churn(context.Background(), 300, 0) // after it
	p.converge(3*time.Minute + time.Duration(accounts)*time.Millisecond)
}

// waitBackfilled waits until the backfill has saved at least n published
// records of object and returns how many; it fails the test if the
// backfill ends first.
func (p *pipeline) waitBackfilled(bf *proc, object string, n int64) int64 {
	p.t.Helper()
	for {
		var done int64
		err := p.pool.QueryRow(context.Background(),
			"SELECT records_done FROM sfsync_reconciler_backfill WHERE object = $1", object).Scan(&done)
		switch {
		case err == nil && done >= n:
			return done
		case err != nil && !errors.Is(err, pgx.ErrNoRows) && !strings.Contains(err.Error(), "does not exist"):
			p.t.Fatalf("read the backfill's progress: %v", err)
		case bf.exited():
			p.t.Fatalf("the backfill ended (%v) before it published %d %s records:\n%s", bf.waitErr, n, object, tail(bf.logs.String(), 3000))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPollOnlyObject keeps Territory2 in sync without change events:
// the reconciler polls it, and creates, updates and deletes reach
// PostgreSQL.
func TestPollOnlyObject(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, 100, services{poll: []string{"Territory2"}})
	p.consumer("consumer", true)
	p.startReconciler("poll:\n  interval: 1s\n  delete_check_every: 1\n")
	p.converge(2 * time.Minute)
	terrs := p.srv.Records("Territory2", false)
	if err := p.srv.Update(terrs[0].ID, map[string]any{"Description": "changed by a poll test"}); err != nil {
		t.Fatal(err)
	}
	rec, _ := p.srv.Record(terrs[1].ID)
	fields := map[string]any{}
	for _, f := range []string{"Name", "DeveloperName", "Territory2ModelId", "Territory2TypeId"} {
		fields[f] = rec.Fields[f]
	}
	fields["Name"], fields["DeveloperName"] = "Polled", "Polled"
	if _, err := p.srv.Create("Territory2", fields); err != nil {
		t.Fatal(err)
	}
	p.converge(time.Minute)
}

// TestCompactedEqualsSalesforce checks the compacted latest-state topics,
// read from the beginning, against Salesforce once the stream has caught
// up.
func TestCompactedEqualsSalesforce(t *testing.T) {
	t.Parallel()
	p, cfg := newReconciled(t, 150, 300)
	p.waitCompacted(cfg)
}

// waitCompacted runs `verify --full --against compacted` until the
// compacted latest-state topics equal Salesforce, which the reconciler
// reaches in its own time after PostgreSQL; it fails the test after 2
// minutes.
func (p *pipeline) waitCompacted(cfg string) {
	p.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r, code := p.verify(cfg, "--full", "--against", "compacted")
		if code == 0 {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the compacted topics still differ from Salesforce (exit %d): %+v", code, r)
		}
		time.Sleep(2 * time.Second)
	}
}
