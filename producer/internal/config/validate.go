package config

import (
	"fmt"
	"slices"
	"time"

	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// Grants are the accepted values of [Salesforce.Grant].
var Grants = svcconfig.Grants

// keepalive is the Pub/Sub API's longest interval between keepalives.
const keepalive = 270 * time.Second

// Validate checks every setting of c as it is (call it after defaults
// are set; [Load] does), reads the files c names (mapping, CA
// certificates, client certificates, the JWT private key) to check them,
// and sets c.Mapping from the mapping file. It returns a
// *[svcconfig.ValidationError] listing every problem by key path, without a place
// (Load adds the file and line), or nil.
func (c *Config) Validate() error { return service.Validate(c) }

// check returns the problems of c and loads c.Mapping.
func (c *Config) check() []svcconfig.Problem {
	k := &svcconfig.Checker{}
	c.MappingSection.Check(k)
	c.Salesforce.check(k)
	c.Kafka.check(k)
	k.Add(c.SchemaRegistry.Problems()...)
	c.checkTopics(k)
	switch c.Replay.Policy {
	case PolicyFail, PolicyEarliest, PolicyLatest:
	default:
		k.Bad("replay.policy", "must be one of fail, earliest, latest, got %q", c.Replay.Policy)
	}
	s := c.Subscription
	if s.Capacity < 1 {
		k.Bad("subscription.capacity", "must be >= 1, got %d", s.Capacity)
	}
	if s.Start != "earliest" && s.Start != "latest" {
		k.Bad("subscription.start", "must be one of earliest, latest, got %q", s.Start)
	}
	if s.StallTimeout <= keepalive {
		k.Bad("subscription.stall_timeout", "must exceed the server's 270s keepalive interval, got %s", s.StallTimeout)
	}
	k.Positive("subscription.backoff_min", s.BackoffMin)
	if s.BackoffMax < s.BackoffMin {
		k.Bad("subscription.backoff_max", "must be >= subscription.backoff_min (%s), got %s", s.BackoffMin, s.BackoffMax)
	}
	k.Positive("checkpoint_interval", c.CheckpointInterval)
	if c.PartitionKeyCache < 1 {
		k.Bad("partition_key_cache", "must be >= 1, got %d", c.PartitionKeyCache)
	}
	c.Runtime.Check(k)
	return k.Problems
}

// checkTopics checks the producer's own topics: valid names, distinct
// from each other and from the mapping's topics.
func (c *Config) checkTopics(k *svcconfig.Checker) {
	used := map[string]string{}
	if c.Mapping != nil {
		for _, o := range c.Mapping.Objects {
			used[o.KafkaTopic] = "the mapping's topic of " + o.Name
		}
	}
	k.Topics(used,
		svcconfig.Topic{Path: "kafka.checkpoint_topic", Name: c.Kafka.CheckpointTopic},
		svcconfig.Topic{Path: "kafka.dead_letter_topic", Name: c.Kafka.DeadLetterTopic},
		svcconfig.Topic{Path: "kafka.dead_letter_replayed_topic", Name: c.Kafka.DeadLetterReplayedTopic},
		svcconfig.Topic{Path: "replay.reconcile_topic", Name: c.Replay.ReconcileTopic},
	)
	counts := c.Kafka.TopicPartitionsExpected
	topics := make([]string, 0, len(counts))
	for topic := range counts {
		topics = append(topics, topic)
	}
	slices.Sort(topics)
	for _, topic := range topics {
		p := fmt.Sprintf("kafka.topic_partitions_expected[%q]", topic)
		if msg := svcconfig.TopicProblem(topic); msg != "" {
			k.Bad(p, "%s", msg)
		}
		k.AtLeast(p, counts[topic], 1)
	}
}

func (s *Salesforce) check(k *svcconfig.Checker) {
	k.Add(s.Salesforce.Problems()...)
	if s.LimitsPollInterval > 0 && s.LimitsPollInterval < minLimitsPollInterval {
		k.Bad("salesforce.limits_poll_interval", "must be at least %s, as each poll is a REST API request, or negative to disable polling; got %s", minLimitsPollInterval, s.LimitsPollInterval)
	}
}

// minLimitsPollInterval bounds how often /limits may be read.
const minLimitsPollInterval = time.Second

// check checks the Kafka settings: the connection's, then the writer's,
// then TLS and SASL, in the order of the keys.
func (c *Kafka) check(k *svcconfig.Checker) {
	k.Add(c.Conn.Problems()...)
	if c.RequiredAcks != "all" {
		k.Bad("kafka.required_acks", "must be all: a replay id is checkpointed only once all in-sync replicas hold its records, got %q", c.RequiredAcks)
	}
	k.AtLeast("kafka.batch_size", c.BatchSize, 1)
	k.Positive("kafka.batch_timeout", c.BatchTimeout)
	k.AtLeast("kafka.max_in_flight", c.MaxInFlight, 1)
	k.Add(c.Conn.SecurityProblems()...)
}

// Warnings returns the settings that work but are unsafe outside
// development, for main to log at start.
func (c *Config) Warnings() []string {
	ws := c.Kafka.Conn.Warnings()
	ws = append(ws, c.SchemaRegistry.Warnings()...)
	ws = append(ws, c.Salesforce.Salesforce.Warnings()...)
	ws = append(ws, c.Runtime.MetricsWarnings()...)
	return ws
}
