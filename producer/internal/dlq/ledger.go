package dlq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/platform/kafkaconf"
)

// Mark is the ledger's record of one replayed dead letter, stored as JSON
// under the dead letter's position.
type Mark struct {
	// EventID is the dead letter's Salesforce event id; a mark counts
	// only for a dead letter with the same one.
	EventID string `json:"event_id"`
	// Channel and ReplayID are the event's Pub/Sub topic and replay id
	// (hex), for people reading the ledger.
	Channel  string `json:"channel"`
	ReplayID string `json:"replay_id"`
	// Envelopes is how many envelopes the replay wrote, and Topics to
	// which Kafka topics.
	Envelopes int      `json:"envelopes"`
	Topics    []string `json:"topics,omitempty"`
	// ReplayedAt is when Kafka acknowledged them.
	ReplayedAt time.Time `json:"replayed_at"`
}

// ledger is the compacted topic of [Mark]s.
type ledger struct {
	topic  string
	client *kafka.Client
}

// load returns the marks of the ledger by position; none when the topic
// does not exist yet. A record that is not a mark is skipped.
func (l *ledger) load(ctx context.Context) (map[string]Mark, error) {
	recs, err := readTopic(ctx, l.client, l.topic, 0)
	if err != nil {
		return nil, err
	}
	marks := map[string]Mark{}
	for _, r := range recs {
		var m Mark
		switch {
		case r.value == nil:
			delete(marks, string(r.key))
		case json.Unmarshal(r.value, &m) == nil && m.EventID != "":
			marks[string(r.key)] = m
		}
	}
	return marks, nil
}

// ensureTopic creates the ledger topic, compacted, when it is missing,
// with the replication of the cluster's other topics (up to 3), and
// waits until its partition has a leader.
func (l *ledger) ensureTopic(ctx context.Context) error {
	md, err := l.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{l.topic}})
	if err != nil {
		return fmt.Errorf("replay ledger %s: metadata: %w", l.topic, err)
	}
	if len(md.Topics) == 1 && md.Topics[0].Error == nil {
		return nil
	}
	resp, err := l.client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: l.topic, NumPartitions: 1, ReplicationFactor: kafkaconf.ClusterReplication,
		ConfigEntries: []kafka.ConfigEntry{
			// compact alone: Kafka keeps the newest mark of every dead
			// letter for as long as the topic lives.
			{ConfigName: "cleanup.policy", ConfigValue: "compact"},
		},
	}}})
	if err == nil {
		err = resp.Errors[l.topic]
	}
	if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		return fmt.Errorf("create replay ledger %s: %w", l.topic, err)
	}
	_, err = backoff.Retry(ctx, func() (struct{}, error) {
		md, err := l.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{l.topic}})
		if err == nil && len(md.Topics) == 1 && md.Topics[0].Error == nil &&
			len(md.Topics[0].Partitions) > 0 && md.Topics[0].Partitions[0].Leader.Host != "" {
			return struct{}{}, nil
		}
		return struct{}{}, errNoLeader
	}, backoff.WithBackOff(leaderBackoff()), backoff.WithMaxElapsedTime(0))
	if err != nil {
		return fmt.Errorf("replay ledger %s: waiting for its leader: %w", l.topic, err)
	}
	return nil
}

// errNoLeader is a ledger topic whose partition has no leader yet.
var errNoLeader = errors.New("no leader yet")

// leaderBackoff paces the wait for the ledger topic's leader: from
// 100 ms, growing by half each time up to 1 s, jittered by half either
// way; the caller's context bounds it.
func leaderBackoff() *backoff.ExponentialBackOff {
	return &backoff.ExponentialBackOff{
		InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second, Multiplier: 1.5, RandomizationFactor: 0.5,
	}
}

// record writes marks, keyed by position, and returns once every in-sync
// replica holds them.
func (l *ledger) record(ctx context.Context, w *kafka.Writer, marks map[string]Mark) error {
	if len(marks) == 0 {
		return nil
	}
	msgs := make([]kafka.Message, 0, len(marks))
	for pos, m := range marks {
		value, err := json.Marshal(m)
		if err != nil {
			return err
		}
		msgs = append(msgs, kafka.Message{Topic: l.topic, Key: []byte(pos), Value: value})
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("record replays in %s: %w", l.topic, err)
	}
	return nil
}
