package app

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sfsync/sfsync/producer/internal/replay"
	"github.com/sfsync/sfsync/producer/internal/stream"
	"github.com/sfsync/sfsync/schemas/checkpoint"
)

// memStore keeps checkpoints in memory; replay.Store is ours.
type memStore struct {
	mu    sync.Mutex
	saved map[string]checkpoint.Checkpoint
}

func (m *memStore) Load(context.Context) (map[string]checkpoint.Checkpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.saved, nil
}

func (m *memStore) Save(_ context.Context, cp checkpoint.Checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saved[cp.Key()] = cp
	return nil
}

// TestStreamConfig: a stream gets the configuration's settings, resumes
// after its subscription's stored checkpoint and saves its own.
func TestStreamConfig(t *testing.T) {
	t.Parallel()
	cfg := topicsConfig()
	cfg.Replay.Policy = "earliest"
	cfg.Subscription.Start = "latest"
	cfg.Subscription.BackoffMin, cfg.Subscription.BackoffMax = 2*time.Second, 3*time.Minute
	store := &memStore{saved: map[string]checkpoint.Checkpoint{
		checkpoint.Key("00Dorg", "/data/AccountChangeEvent"):   {OrgID: "00Dorg", Subscription: "/data/AccountChangeEvent", ReplayID: []byte{7}},
		checkpoint.Key("00Dother", "/data/ContactChangeEvent"): {OrgID: "00Dother", Subscription: "/data/ContactChangeEvent", ReplayID: []byte{8}},
	}}
	checkpoints := replay.NewCheckpoints(store, "host/1")
	if err := checkpoints.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := streamDeps{orgID: "00Dorg", checkpoints: checkpoints}

	account := streamConfig(cfg, "/data/AccountChangeEvent", d)
	if account.Topic != "/data/AccountChangeEvent" || !bytes.Equal(account.Start, []byte{7}) || !account.StartLatest ||
		account.Policy != stream.PolicyEarliest || account.DeadLetterTopic != cfg.Kafka.DeadLetterTopic ||
		account.BackoffMin != 2*time.Second || account.BackoffMax != 3*time.Minute ||
		account.Capacity != cfg.Subscription.Capacity || account.StallTimeout != cfg.Subscription.StallTimeout ||
		account.CheckpointInterval != cfg.CheckpointInterval || account.DrainTimeout != cfg.ShutdownTimeout {
		t.Errorf("Account's stream config %+v", account)
	}
	if account.Keys != nil {
		t.Errorf("Keys = %v, want none without a resolver", account.Keys)
	}
	// Another org's checkpoint is not this one's.
	if contact := streamConfig(cfg, "/data/ContactChangeEvent", d); contact.Start != nil {
		t.Errorf("Contact starts after %x, want no stored position", contact.Start)
	}
	if err := account.Saver.Save(context.Background(), []byte{9}); err != nil {
		t.Fatal(err)
	}
	got := store.saved[checkpoint.Key("00Dorg", "/data/AccountChangeEvent")]
	if !bytes.Equal(got.ReplayID, []byte{9}) || got.ProducerID != "host/1" || got.GapSuspected {
		t.Errorf("saved %+v", got)
	}
}

// runnerFunc is a runner calling itself.
type runnerFunc func(ctx context.Context) error

func (f runnerFunc) Run(ctx context.Context) error { return f(ctx) }

// untilDone runs until its context is done, then returns nil.
func untilDone(ctx context.Context) error { <-ctx.Done(); return nil }

// TestRunAll: the streams run until the context is done, and then
// runAll returns nil; a stream that fails stops the others, and runAll
// returns its error.
func TestRunAll(t *testing.T) {
	t.Parallel()
	t.Run("stopped", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		var started sync.WaitGroup
		started.Add(2)
		run := func(ctx context.Context) error { started.Done(); return untilDone(ctx) }
		errc := make(chan error, 1)
		go func() { errc <- runAll(ctx, []runner{runnerFunc(run), runnerFunc(run)}) }()
		started.Wait()
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("runAll = %v, want nil", err)
		}
	})
	t.Run("one fails", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("stream /data/X: refused replay id")
		fail := func(context.Context) error { return boom }
		err := runAll(context.Background(), []runner{runnerFunc(untilDone), runnerFunc(fail), runnerFunc(untilDone)})
		if !errors.Is(err, boom) {
			t.Errorf("runAll = %v, want %v", err, boom)
		}
	})
}
