package checkpoint

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalid means a checkpoint breaks a rule of [Checkpoint.Validate].
var ErrInvalid = errors.New("invalid checkpoint")

// KeySeparator separates the org id from the subscription in
// [Checkpoint.Key].
const KeySeparator = "|"

// DefaultTopic is the compacted Kafka topic the checkpoints are kept in
// unless a service is configured otherwise.
const DefaultTopic = "sfsync.checkpoints"

// Checkpoint is the stored replay position of one Pub/Sub API
// subscription. It mirrors the current schema, checkpoint_v1.avsc.
type Checkpoint struct {
	// OrgID is the Salesforce organization id, 15 or 18 characters.
	OrgID string
	// Subscription is the Pub/Sub API topic name, such as
	// /data/AccountChangeEvent.
	Subscription string
	// ReplayID is the opaque replay id to resume after.
	ReplayID []byte
	// UpdatedAt is when the producer stored the checkpoint; it is kept to
	// the millisecond, in UTC.
	UpdatedAt time.Time
	// ProducerID names the producer instance that stored it, such as its
	// host or pod name.
	ProducerID string
	// GapSuspected is true when events may have been skipped: a stored
	// replay id was invalid or expired and the producer fell back to
	// EARLIEST or LATEST. The reconciler must re-check the subscription.
	GapSuspected bool
	// GapReason says why a gap is suspected; it is empty exactly when
	// GapSuspected is false.
	GapReason string
}

// Key returns the Kafka record key of the checkpoint: the org id, "|",
// then the subscription, such as "00D000000000001AAA|/data/AccountChangeEvent".
func (c *Checkpoint) Key() string {
	return Key(c.OrgID, c.Subscription)
}

// Key returns the Kafka record key of the checkpoint of subscription in
// org orgID.
func Key(orgID, subscription string) string {
	return orgID + KeySeparator + subscription
}

// Validate checks the rules every stored checkpoint obeys: an org id
// without "|", a subscription, a replay id, and a gap reason exactly when
// a gap is suspected. The error wraps [ErrInvalid].
func (c *Checkpoint) Validate() error {
	var problem string
	switch {
	case c.OrgID == "":
		problem = "empty org id"
	case strings.Contains(c.OrgID, KeySeparator):
		problem = fmt.Sprintf("org id %q contains %q", c.OrgID, KeySeparator)
	case c.Subscription == "":
		problem = "empty subscription"
	case len(c.ReplayID) == 0:
		problem = "empty replay id"
	case c.GapSuspected && c.GapReason == "":
		problem = "gap suspected without a reason"
	case !c.GapSuspected && c.GapReason != "":
		problem = "gap reason without a suspected gap"
	default:
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalid, problem)
}
