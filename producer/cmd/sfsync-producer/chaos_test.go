package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/schemas/envelope"
)

// kills is how many times TestKillNineLosesNothing kills the producer: 5
// in `make test`, 20 in `make test-full` (SFSYNC_TEST_FULL=1).
func kills() int {
	if os.Getenv("SFSYNC_TEST_FULL") == "1" {
		return 20
	}
	return 5
}

// TestKillNineLosesNothing runs the real binary while records change,
// kills it with SIGKILL at random moments and starts it again, then checks
// that Kafka holds every change. Duplicates are allowed (the consumer's
// version guards absorb them) and reported.
func TestKillNineLosesNothing(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "sfsync-producer")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	st := newSetup(t)
	rng := rand.New(rand.NewPCG(42, uint64(time.Now().UnixNano())))

	// Changes go on throughout: creates and updates, one change each.
	var made atomic.Int64
	ctx, stopChurn := context.WithCancel(context.Background())
	var churn sync.WaitGroup
	churn.Add(1)
	go func() {
		defer churn.Done()
		var ids []string
		for i := 0; ctx.Err() == nil; i++ {
			if i%3 == 0 || len(ids) == 0 {
				id, err := st.s.Create("Account", map[string]any{"Name": fmt.Sprint("A", i), "Territory_Key__c": fmt.Sprintf("0MI00000000000%dAAA", i%5)})
				if err != nil {
					t.Error(err)
					return
				}
				ids = append(ids, id)
			} else if err := st.s.Update(ids[i%len(ids)], map[string]any{"Name": fmt.Sprint("A", i)}); err != nil {
				t.Error(err)
				return
			}
			made.Add(1)
			time.Sleep(time.Millisecond)
		}
	}()

	start := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, append([]string{"--config", st.config}, args...)...)
		cmd.Stdout, cmd.Stderr = &syncBuffer{}, &syncBuffer{}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	// Every start creates the topics when missing: the first may be
	// killed before it has.
	cmd := start("--create-topics", "3")
	for range kills() {
		time.Sleep(time.Duration(200+rng.IntN(600)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		cmd = start("--create-topics", "3")
	}
	stopChurn()
	churn.Wait()
	want := int(made.Load())

	records := st.readDistinct(t, want)
	t.Logf("%d changes, %d kills, %d records in Kafka (%d duplicates)", want, kills(), records, records-want)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("producer after SIGTERM: %v\n%s", err, cmd.Stderr)
	}
}

// readDistinct reads the Account topic until it holds want distinct
// changes, and returns how many records it read.
func (st *setup) readDistinct(t *testing.T, want int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	st.waitForTopic(ctx, t)
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: st.k.Brokers, GroupTopics: []string{st.accounts}, GroupID: st.k.Group("chaos"), StartOffset: kafka.FirstOffset, MaxWait: 50 * time.Millisecond})
	defer r.Close()
	seen := map[string]bool{}
	records := 0
	for len(seen) < want {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read with %d of %d changes in Kafka: %v", len(seen), want, err)
		}
		e, err := codec.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		records++
		seen[fmt.Sprint(e.RecordID, "/", e.CommitNumber, "/", e.SequenceNumber)] = true
	}
	return records
}
