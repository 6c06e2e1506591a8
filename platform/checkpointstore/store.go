package checkpointstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/platform/kafkaconf"
	"github.com/sfsync/sfsync/schemas/checkpoint"
)

// Errors of [Store], for errors.Is.
var (
	// ErrNotCompacted means the checkpoint topic exists with a cleanup
	// policy other than compact alone, so that Kafka would delete the
	// checkpoints of quiet subscriptions after the retention time.
	ErrNotCompacted = errors.New("checkpoint topic is not compacted")
	// ErrCorrupt means a record of the checkpoint topic cannot be decoded
	// or is stored under the wrong key. Load never skips such a record:
	// resuming from an older checkpoint, or none, would be a silent guess.
	ErrCorrupt = errors.New("corrupt checkpoint record")
)

// DefaultPartitions is the default of [Config.Partitions].
const DefaultPartitions = 1

// Settings of a checkpoint topic that [Store.EnsureTopic] creates.
const (
	// cleanupPolicy keeps the newest record of every key forever; delete
	// (alone or with compact) would drop the checkpoint of a subscription
	// that saw no event within retention.ms.
	cleanupPolicy = "compact"
	// minCleanableDirtyRatio lets the cleaner compact once a tenth of the
	// log is superseded checkpoints (Kafka's default is half): the topic is
	// tiny, so compacting often is cheap and keeps Load short.
	minCleanableDirtyRatio = "0.1"
	// segmentMS rolls a segment every hour. The active segment is never
	// compacted, and a checkpoint topic gets too few bytes to fill the
	// default 1 GiB segment, so without it nothing would ever be compacted.
	segmentMS = "3600000"
)

// Config configures a [Store].
type Config struct {
	// Brokers holds the Kafka bootstrap addresses, host:port. Required.
	Brokers []string
	// Topic is the compacted checkpoint topic. Default "sfsync.checkpoints".
	Topic string
	// Partitions is the partition count [Store.EnsureTopic] creates the
	// topic with. Default 1: checkpoints are few and small.
	Partitions int
	// ReplicationFactor is the replication factor [Store.EnsureTopic]
	// creates the topic with, capped to the number of brokers, with
	// min.insync.replicas 2, or 1 with a single replica. Default 0: the
	// cluster's default.replication.factor and min.insync.replicas.
	ReplicationFactor int
	// Transport carries the Kafka requests, with TLS and SASL as
	// configured. Default kafka.DefaultTransport (plaintext).
	Transport kafka.RoundTripper
}

// Validate reports a missing broker or a negative count.
func (c *Config) Validate() error {
	switch {
	case len(c.Brokers) == 0:
		return errors.New("checkpoint store: no brokers")
	case c.Partitions < 0:
		return fmt.Errorf("checkpoint store: partitions %d is negative", c.Partitions)
	case c.ReplicationFactor < 0:
		return fmt.Errorf("checkpoint store: replication factor %d is negative", c.ReplicationFactor)
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.Topic == "" {
		c.Topic = checkpoint.DefaultTopic
	}
	if c.Partitions == 0 {
		c.Partitions = DefaultPartitions
	}
	if c.Transport == nil {
		c.Transport = kafka.DefaultTransport
	}
}

// Store keeps the checkpoint of every subscription in a compacted Kafka
// topic, one record per subscription under the key [checkpoint.Checkpoint.Key], whose
// value is the checkpoint framed by the schemas module's codec. It is safe
// for concurrent use; Saves and Deletes are written one at a time, in the
// order they are called.
type Store struct {
	cfg    Config
	client *kafka.Client
	writer *kafka.Writer
	codec  *checkpoint.Codec

	mu sync.Mutex // serialises writes so that the last call wins
}

// New returns a store for cfg. It does not connect; call
// [Store.EnsureTopic] before the first Load or Save.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	codec, err := checkpoint.NewCodec()
	if err != nil {
		return nil, fmt.Errorf("checkpoint store: %w", err)
	}
	addr := kafka.TCP(cfg.Brokers...)
	return &Store{
		cfg:    cfg,
		client: &kafka.Client{Addr: addr, Transport: cfg.Transport},
		writer: &kafka.Writer{
			Addr:         addr,
			Topic:        cfg.Topic,
			Balancer:     &kafka.Murmur2Balancer{},
			RequiredAcks: kafka.RequireAll,
			BatchSize:    1, // each Save is flushed at once; no batch timeout to wait out
			Transport:    cfg.Transport,
		},
		codec: codec,
	}, nil
}

// Topic returns the name of the checkpoint topic.
func (s *Store) Topic() string { return s.cfg.Topic }

// EnsureTopic creates the checkpoint topic when it is missing, compacted
// (see the package's constants for the settings), and waits until every
// partition has a leader. An existing topic must have cleanup.policy
// compact; otherwise the error wraps [ErrNotCompacted] and names the topic,
// its policy and the command that fixes it.
func (s *Store) EnsureTopic(ctx context.Context) error {
	topic := s.cfg.Topic
	md, err := s.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return fmt.Errorf("checkpoint topic %s: metadata: %w", topic, err)
	}
	if len(md.Topics) != 1 {
		return fmt.Errorf("checkpoint topic %s: metadata lists %d topics", topic, len(md.Topics))
	}
	switch terr := md.Topics[0].Error; {
	case terr == nil:
	case errors.Is(terr, kafka.UnknownTopicOrPartition):
		if err := s.createTopic(ctx, len(md.Brokers)); err != nil {
			return err
		}
	default:
		return fmt.Errorf("checkpoint topic %s: metadata: %w", topic, terr)
	}
	return s.verifyCompacted(ctx)
}

func (s *Store) createTopic(ctx context.Context, brokers int) error {
	topic := s.cfg.Topic
	config := []kafka.ConfigEntry{
		{ConfigName: "cleanup.policy", ConfigValue: cleanupPolicy},
		{ConfigName: "min.cleanable.dirty.ratio", ConfigValue: minCleanableDirtyRatio},
		{ConfigName: "segment.ms", ConfigValue: segmentMS},
	}
	rf := kafkaconf.ClusterReplication
	if s.cfg.ReplicationFactor > 0 {
		rf = max(min(s.cfg.ReplicationFactor, brokers), 1)
		config = append(config, kafka.ConfigEntry{ConfigName: "min.insync.replicas", ConfigValue: strconv.Itoa(min(rf, 2))})
	}
	resp, err := s.client.CreateTopics(ctx, &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: s.cfg.Partitions, ReplicationFactor: rf, ConfigEntries: config}},
	})
	if err == nil {
		err = resp.Errors[topic]
	}
	if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		return fmt.Errorf("create checkpoint topic %s: %w", topic, err)
	}
	return s.waitForLeaders(ctx)
}

// waitForLeaders polls metadata until every partition of the topic has a
// leader, so that the first Save after creation succeeds.
func (s *Store) waitForLeaders(ctx context.Context) error {
	topic := s.cfg.Topic
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		md, err := s.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
		if err == nil && len(md.Topics) == 1 && md.Topics[0].Error == nil && len(md.Topics[0].Partitions) > 0 &&
			!slices.ContainsFunc(md.Topics[0].Partitions, func(p kafka.Partition) bool { return p.Error != nil || p.Leader.Host == "" }) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("checkpoint topic %s: waiting for partition leaders: %w", topic, ctx.Err())
		case <-tick.C:
		}
	}
}

// topicPropagation bounds how long [Store.EnsureTopic] waits for a topic
// that metadata lists to be known to the broker answering DescribeConfigs.
const topicPropagation = 30 * time.Second

// verifyCompacted checks that the topic's cleanup.policy is compact alone.
func (s *Store) verifyCompacted(ctx context.Context) error {
	topic := s.cfg.Topic
	policy, found, err := s.describePolicy(ctx)
	// The brokers of a cluster learn of a new topic one after another,
	// and DescribeConfigs goes to another broker (kafka-go's choice of
	// controller) than the Metadata that found the topic: a topic that
	// broker does not know yet is asked again.
	deadline := time.Now().Add(topicPropagation)
	for errors.Is(err, kafka.UnknownTopicOrPartition) && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("checkpoint topic %s: describe configs: %w (last: %w)", topic, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
		policy, found, err = s.describePolicy(ctx)
	}
	if err != nil {
		return fmt.Errorf("checkpoint topic %s: describe configs: %w", topic, err)
	}
	if !found {
		return fmt.Errorf("checkpoint topic %s: the broker did not report its cleanup.policy", topic)
	}
	if strings.TrimSpace(policy) != cleanupPolicy {
		return fmt.Errorf("checkpoint topic %s: %w: cleanup.policy is %q, want %q (Kafka would delete the checkpoints of quiet subscriptions); "+
			"run: kafka-configs.sh --bootstrap-server <broker> --alter --entity-type topics --entity-name %s --add-config cleanup.policy=compact",
			topic, ErrNotCompacted, policy, cleanupPolicy, topic)
	}
	return nil
}

// describePolicy returns the topic's cleanup.policy and whether the
// broker reported one.
func (s *Store) describePolicy(ctx context.Context) (policy string, found bool, err error) {
	resp, err := s.client.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{
		Resources: []kafka.DescribeConfigRequestResource{{
			ResourceType: kafka.ResourceTypeTopic,
			ResourceName: s.cfg.Topic,
			ConfigNames:  []string{"cleanup.policy"},
		}},
	})
	if err != nil {
		return "", false, err
	}
	for _, r := range resp.Resources {
		if r.Error != nil {
			return "", false, r.Error
		}
		for _, e := range r.ConfigEntries {
			if e.ConfigName == "cleanup.policy" {
				policy, found = e.ConfigValue, true
			}
		}
	}
	return policy, found, nil
}

// Save stores cp as the checkpoint of its subscription and returns once
// every in-sync replica has acknowledged it. Saving the same checkpoint
// twice is harmless. The error wraps [checkpoint.ErrInvalid] when cp breaks
// a rule of [checkpoint.Checkpoint.Validate].
func (s *Store) Save(ctx context.Context, cp checkpoint.Checkpoint) error {
	value, err := s.codec.Encode(nil, cp)
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return s.write(ctx, cp.Key(), value)
}

// Delete removes the checkpoint of subscription in org orgID by writing a
// tombstone, and returns once every in-sync replica has acknowledged it.
// The next Load no longer returns it.
func (s *Store) Delete(ctx context.Context, orgID, subscription string) error {
	return s.write(ctx, checkpoint.Key(orgID, subscription), nil)
}

func (s *Store) write(ctx context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writer.WriteMessages(ctx, kafka.Message{Key: []byte(key), Value: value}); err != nil {
		return fmt.Errorf("write checkpoint %s to %s: %w", key, s.cfg.Topic, err)
	}
	return nil
}

// fetchMaxBytes bounds one fetch response; Kafka still returns a larger
// record batch whole.
const fetchMaxBytes = 1 << 20

// fetchMaxWait bounds how long the broker holds a fetch that has no data.
const fetchMaxWait = 500 * time.Millisecond

// Load reads the checkpoint topic from its first offset to the high-water
// mark of every partition, as of the call, and returns the newest
// checkpoint of every key; a tombstone removes its key. A key found in
// more than one partition (after the partition count changed) takes the
// record with the newest Kafka timestamp. A record that cannot be decoded,
// or whose key is not its checkpoint's, is an error wrapping [ErrCorrupt]
// that names the topic, partition and offset.
func (s *Store) Load(ctx context.Context) (map[string]checkpoint.Checkpoint, error) {
	return retryTemporary(ctx, loadAttempts, s.load)
}

// loadAttempts bounds how many times Load reads the topic when Kafka
// answers with a temporary error, such as a partition whose leader was
// elected a moment ago and does not serve it yet.
const loadAttempts = 8

// retryTemporary calls fn until it returns nil or an error that is not a
// temporary Kafka error, at most attempts times, waiting 100 ms, 200 ms, ...
// (at most 2 s) in between; it returns fn's last result.
func retryTemporary[T any](ctx context.Context, attempts int, fn func(context.Context) (T, error)) (T, error) {
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		v, err := fn(ctx)
		var kerr kafka.Error
		if err == nil || !errors.As(err, &kerr) || !kerr.Temporary() || attempt == attempts {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

func (s *Store) load(ctx context.Context) (map[string]checkpoint.Checkpoint, error) {
	topic := s.cfg.Topic
	md, err := s.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("load checkpoints from %s: metadata: %w", topic, err)
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil {
		var terr error
		if len(md.Topics) == 1 {
			terr = md.Topics[0].Error
		}
		return nil, fmt.Errorf("load checkpoints from %s: metadata: %w", topic, terr)
	}
	var requests []kafka.OffsetRequest
	for _, p := range md.Topics[0].Partitions {
		requests = append(requests, kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
	}
	offsets, err := s.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: requests}})
	if err != nil {
		return nil, fmt.Errorf("load checkpoints from %s: list offsets: %w", topic, err)
	}
	parts := offsets.Topics[topic]
	slices.SortFunc(parts, func(a, b kafka.PartitionOffsets) int { return a.Partition - b.Partition })
	newest := map[string]state{}
	for _, p := range parts {
		if p.Error != nil {
			return nil, fmt.Errorf("load checkpoints from %s partition %d: list offsets: %w", topic, p.Partition, p.Error)
		}
		states, err := s.readPartition(ctx, p.Partition, p.FirstOffset, p.LastOffset)
		if err != nil {
			return nil, err
		}
		for key, st := range states {
			if prev, ok := newest[key]; !ok || st.time.After(prev.time) {
				newest[key] = st
			}
		}
	}
	out := make(map[string]checkpoint.Checkpoint, len(newest))
	for key, st := range newest {
		if st.present {
			out[key] = st.cp
		}
	}
	return out, nil
}

// state is the last record of one key in one partition.
type state struct {
	cp      checkpoint.Checkpoint
	present bool // false for a tombstone
	time    time.Time
}

// readPartition reads offsets [first, end) of one partition and returns
// the last record of every key.
func (s *Store) readPartition(ctx context.Context, partition int, first, end int64) (map[string]state, error) {
	topic := s.cfg.Topic
	states := map[string]state{}
	for offset := first; offset < end; {
		resp, err := s.client.Fetch(ctx, &kafka.FetchRequest{
			Topic: topic, Partition: partition, Offset: offset,
			MinBytes: 1, MaxBytes: fetchMaxBytes, MaxWait: fetchMaxWait,
		})
		if err == nil {
			err = resp.Error
		}
		if err != nil {
			return nil, fmt.Errorf("load checkpoints from %s partition %d offset %d: fetch: %w", topic, partition, offset, err)
		}
		next, err := s.readRecords(resp.Records, partition, offset, end, states)
		if err != nil {
			return nil, err
		}
		if next == offset {
			// Kafka returns at least one batch when any record lies at or
			// after offset; none means compaction removed the rest.
			break
		}
		offset = next
	}
	return states, nil
}

// readRecords applies the records of one fetch response at offsets
// [offset, end) to states and returns the offset after the last one read.
func (s *Store) readRecords(records kafka.RecordReader, partition int, offset, end int64, states map[string]state) (int64, error) {
	topic := s.cfg.Topic
	for {
		r, err := records.ReadRecord()
		if errors.Is(err, io.EOF) {
			return offset, nil
		}
		if err != nil {
			return 0, fmt.Errorf("load checkpoints from %s partition %d offset %d: read: %w", topic, partition, offset, err)
		}
		if r.Offset < offset {
			continue // a batch may start before the offset asked for
		}
		if r.Offset >= end {
			return end, nil
		}
		where := func(format string, args ...any) error {
			return fmt.Errorf("load checkpoints from %s partition %d offset %d: %w: %s", topic, partition, r.Offset, ErrCorrupt, fmt.Sprintf(format, args...))
		}
		key, err := readBytes(r.Key)
		if err != nil {
			return 0, where("read key: %v", err)
		}
		if key == nil {
			return 0, where("record has no key")
		}
		value, err := readBytes(r.Value)
		if err != nil {
			return 0, where("read value: %v", err)
		}
		st := state{time: r.Time}
		if value != nil {
			cp, err := s.codec.Decode(value)
			if err != nil {
				return 0, fmt.Errorf("load checkpoints from %s partition %d offset %d: %w: %w", topic, partition, r.Offset, ErrCorrupt, err)
			}
			if cp.Key() != string(key) {
				return 0, where("key %q holds the checkpoint of %q", key, cp.Key())
			}
			st.cp, st.present = cp, true
		}
		states[string(key)] = st
		offset = r.Offset + 1
	}
}

// readBytes reads a record key or value; nil stands for a null one.
func readBytes(b kafka.Bytes) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	defer b.Close()
	out, err := io.ReadAll(b)
	if out == nil && err == nil {
		out = []byte{}
	}
	return out, err
}

// Close flushes and closes the writer. The store is unusable afterwards.
func (s *Store) Close() error {
	if err := s.writer.Close(); err != nil {
		return fmt.Errorf("close checkpoint store: %w", err)
	}
	return nil
}
