package replay

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/sfsync/sfsync/schemas/checkpoint"
)

// Store keeps checkpoints durably; *checkpointstore.Store is one.
type Store interface {
	Load(ctx context.Context) (map[string]checkpoint.Checkpoint, error)
	Save(ctx context.Context, cp checkpoint.Checkpoint) error
}

// Checkpoints stores the replay positions of one producer. Load them
// once, before the first Start; after that it is safe for concurrent use
// when its Store is.
type Checkpoints struct {
	store    Store
	producer string
	saved    map[string]checkpoint.Checkpoint
	now      func() time.Time
}

// NewCheckpoints returns the checkpoints of store, written by the
// producer producerID (see [ProducerID]).
func NewCheckpoints(store Store, producerID string) *Checkpoints {
	return &Checkpoints{store: store, producer: producerID, now: time.Now}
}

// Load reads the stored positions, which Start returns.
func (c *Checkpoints) Load(ctx context.Context) error {
	saved, err := c.store.Load(ctx)
	if err != nil {
		return err
	}
	c.saved = saved
	return nil
}

// Start returns the stored replay id of orgID's subscription, which its
// stream resumes after, or nil when none was stored.
func (c *Checkpoints) Start(orgID, subscription string) []byte {
	if cp, ok := c.saved[checkpoint.Key(orgID, subscription)]; ok {
		return bytes.Clone(cp.ReplayID)
	}
	return nil
}

// Save stores replayID as the position of orgID's subscription.
func (c *Checkpoints) Save(ctx context.Context, orgID, subscription string, replayID []byte) error {
	return c.store.Save(ctx, checkpoint.Checkpoint{
		OrgID: orgID, Subscription: subscription, ReplayID: replayID, UpdatedAt: c.now(), ProducerID: c.producer,
	})
}

// Saver returns the saver of the position of orgID's subscription, for
// its stream.
func (c *Checkpoints) Saver(orgID, subscription string) *Saver {
	return &Saver{checkpoints: c, orgID: orgID, subscription: subscription}
}

// Saver stores the position of one subscription. It is safe for
// concurrent use when its Checkpoints are.
type Saver struct {
	checkpoints         *Checkpoints
	orgID, subscription string
}

// Save stores replayID as the subscription's position.
func (s *Saver) Save(ctx context.Context, replayID []byte) error {
	return s.checkpoints.Save(ctx, s.orgID, s.subscription, replayID)
}

// ProducerID names this process in the checkpoints and reconcile
// requests it writes: "<host name>/<pid>".
func ProducerID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}
