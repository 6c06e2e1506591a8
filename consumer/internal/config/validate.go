package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"github.com/sfsync/sfsync/schemas/mapping"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// Validate checks every setting of c as it is (call it after defaults
// are set; [Load] does), reads the files c names (mapping, CA and client
// certificates) to check them, sets c.Mapping from the mapping file, and
// sets Kafka.Topics to the mapping's topics when it is empty. It returns
// a *[svcconfig.ValidationError] listing every problem by key path, without a place
// (Load adds the file and line), or nil.
func (c *Config) Validate() error { return service.Validate(c) }

// check returns the problems of c, loads c.Mapping and defaults the
// topics.
func (c *Config) check() []svcconfig.Problem {
	k := &svcconfig.Checker{}
	c.MappingSection.Check(k)
	k.Add(c.Kafka.Conn.Problems()...)
	k.Add(c.Kafka.Conn.SecurityProblems()...)
	k.Add(c.SchemaRegistry.Problems()...)
	c.checkTopics(k)
	c.Postgres.check(k)
	c.Redis.check(k)
	if c.Batch.Lanes < 1 {
		k.Bad("batch.lanes", "must be >= 1, got %d", c.Batch.Lanes)
	}
	if c.Batch.Size < 1 {
		k.Bad("batch.size", "must be >= 1, got %d", c.Batch.Size)
	}
	k.Positive("batch.wait", c.Batch.Wait)
	k.Positive("batch.timeout", c.Batch.Timeout)
	c.Runtime.Check(k)
	return k.Problems
}

// MappedTopics returns the distinct kafka_topic of every object of m, in
// mapping order: the default of kafka.topics.
func MappedTopics(m *mapping.Mapping) []string {
	var topics []string
	for _, o := range m.Objects {
		if !slices.Contains(topics, o.KafkaTopic) {
			topics = append(topics, o.KafkaTopic)
		}
	}
	return topics
}

// checkTopics checks the consumed topics against the mapping, and the
// consumer's own topics: valid names, distinct from each other and from
// the consumed ones.
func (c *Config) checkTopics(k *svcconfig.Checker) {
	var mapped []string
	if c.Mapping != nil {
		mapped = MappedTopics(c.Mapping)
		if len(c.Kafka.Topics) == 0 {
			c.Kafka.Topics = mapped
		}
	}
	used := map[string]string{}
	for i, t := range c.Kafka.Topics {
		p := fmt.Sprintf("kafka.topics[%d]", i)
		switch {
		case svcconfig.TopicProblem(t) != "":
			k.Bad(p, "%s", svcconfig.TopicProblem(t))
		case used[t] != "":
			k.Bad(p, "%q is listed twice", t)
		case c.Mapping != nil && !slices.Contains(mapped, t):
			k.Bad(p, "%q is not the kafka_topic of any object in the mapping (%s)", t, strings.Join(mapped, ", "))
		}
		if used[t] == "" {
			used[t] = p
		}
	}
	k.Topics(used,
		svcconfig.Topic{Path: "kafka.dead_letter_topic", Name: c.Kafka.DeadLetterTopic},
		svcconfig.Topic{Path: "kafka.refetch_topic", Name: c.Kafka.RefetchTopic},
		svcconfig.Topic{Path: "kafka.reconcile_topic", Name: c.Kafka.ReconcileTopic},
	)
	if c.Kafka.Group == "" || strings.TrimSpace(c.Kafka.Group) != c.Kafka.Group {
		k.Bad("kafka.group", "must be a consumer group id without surrounding spaces, got %q", c.Kafka.Group)
	}
}

func (p *Postgres) check(k *svcconfig.Checker) {
	if p.URL == "" {
		k.Bad("postgres.url", "is required: the database to apply the records to, such as postgres://sfsync@127.0.0.1:5432/sfsync")
		return
	}
	if _, err := pgconn.ParseConfig(string(p.URL)); err != nil {
		k.Bad("postgres.url", "%s", svcconfig.URLProblem("a PostgreSQL connection string such as postgres://sfsync@127.0.0.1:5432/sfsync?sslmode=verify-full", p.URL, err))
	}
}

func (r *Redis) check(k *svcconfig.Checker) {
	if r.URL != "" {
		if _, err := redis.ParseURL(string(r.URL)); err != nil {
			k.Bad("redis.url", "%s", svcconfig.URLProblem("a Redis URL such as redis://127.0.0.1:6379/0 or rediss://host:6380/0", r.URL, err))
		}
	}
	if r.Prefix == "" {
		k.Bad("redis.prefix", "must not be empty")
	}
	k.Positive("redis.ttl", r.TTL)
}

// Warnings returns the settings that work but are unsafe outside
// development, for main to log at start.
func (c *Config) Warnings() []string {
	ws := c.Kafka.Conn.Warnings()
	ws = append(ws, c.SchemaRegistry.Warnings()...)
	ws = append(ws, svcconfig.PostgresWarnings(string(c.Postgres.URL))...)
	ws = append(ws, c.Redis.warnings()...)
	ws = append(ws, c.Runtime.MetricsWarnings()...)
	return ws
}

// warnings returns a warning when the Redis password goes unencrypted
// (redis:// with a password) to a host beyond loopback.
func (r *Redis) warnings() []string {
	if r.URL == "" {
		return nil
	}
	opts, err := redis.ParseURL(string(r.URL))
	if err != nil || opts.Password == "" || opts.TLSConfig != nil || svcconfig.Loopback(opts.Addr) {
		return nil
	}
	return []string{"redis.url: redis:// sends the password unencrypted to " + opts.Addr + "; use rediss://"}
}
