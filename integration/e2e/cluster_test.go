package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/platform/checkpointstore"
)

// TestCheckpointTopicOnCluster creates checkpoint topics on a three-node
// cluster, as producers starting on a new cluster do. A new topic reaches
// the brokers' metadata one after another, and DescribeConfigs goes to
// another broker than the Metadata that found the topic: the store must
// wait for it there instead of failing (the producer exited with
// "describe configs: Unknown Topic Or Partition" at the chaos test's
// first start).
func TestCheckpointTopicOnCluster(t *testing.T) {
	t.Parallel()
	c := harness.StartKafkaCluster(t, 3)
	k := harness.KafkaAt(t, c.Brokers)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Many at once, so that the brokers have metadata to catch up on.
	errs := make(chan error, 50)
	for i := range cap(errs) {
		go func() {
			s, err := checkpointstore.New(checkpointstore.Config{Brokers: c.Brokers, Topic: k.TopicName(fmt.Sprintf("checkpoints-%d", i))})
			if err == nil {
				err = s.EnsureTopic(ctx)
				_ = s.Close()
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
