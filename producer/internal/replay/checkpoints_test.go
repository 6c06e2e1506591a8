package replay

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sfsync/sfsync/schemas/checkpoint"
)

// memStore keeps checkpoints in memory; Store is ours.
type memStore struct {
	saved map[string]checkpoint.Checkpoint
	err   error
}

func (m *memStore) Load(context.Context) (map[string]checkpoint.Checkpoint, error) {
	return m.saved, m.err
}

func (m *memStore) Save(_ context.Context, cp checkpoint.Checkpoint) error {
	m.saved[cp.Key()] = cp
	return m.err
}

// TestCheckpoints: Start returns the loaded position of an org's
// subscription (a copy), nil for one never stored; a Saver stores its
// subscription's position stamped with the org and the producer.
func TestCheckpoints(t *testing.T) {
	t.Parallel()
	stored := []byte{1, 2}
	store := &memStore{saved: map[string]checkpoint.Checkpoint{
		checkpoint.Key("00Dorg", "/data/AccountChangeEvent"): {OrgID: "00Dorg", Subscription: "/data/AccountChangeEvent", ReplayID: stored},
	}}
	c := NewCheckpoints(store, "host/1")
	c.now = func() time.Time { return time.UnixMilli(1_700_000_000_000) }
	if err := c.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	start := c.Start("00Dorg", "/data/AccountChangeEvent")
	if !bytes.Equal(start, stored) {
		t.Fatalf("Start = %x, want %x", start, stored)
	}
	start[0] = 9
	if stored[0] != 1 {
		t.Error("Start returned the stored slice, not a copy")
	}
	if got := c.Start("00Dother", "/data/AccountChangeEvent"); got != nil {
		t.Errorf("Start of another org = %x, want nil", got)
	}
	if err := c.Saver("00Dorg", "/data/ContactChangeEvent").Save(context.Background(), []byte{3}); err != nil {
		t.Fatal(err)
	}
	got := store.saved[checkpoint.Key("00Dorg", "/data/ContactChangeEvent")]
	want := checkpoint.Checkpoint{OrgID: "00Dorg", Subscription: "/data/ContactChangeEvent", ReplayID: []byte{3}, UpdatedAt: c.now(), ProducerID: "host/1"}
	if got.OrgID != want.OrgID || got.Subscription != want.Subscription || !bytes.Equal(got.ReplayID, want.ReplayID) ||
		!got.UpdatedAt.Equal(want.UpdatedAt) || got.ProducerID != want.ProducerID || got.GapSuspected {
		t.Errorf("saved %+v, want %+v", got, want)
	}
}

func TestCheckpointsLoadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("kafka down")
	if err := NewCheckpoints(&memStore{err: boom}, "host/1").Load(context.Background()); !errors.Is(err, boom) {
		t.Errorf("Load = %v, want %v", err, boom)
	}
}
