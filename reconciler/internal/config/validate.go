package config

import (
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// Grants are the accepted values of [Salesforce.Grant].
var Grants = svcconfig.Grants

// minPollInterval bounds how often an object may be polled.
const minPollInterval = time.Second

// Validate checks every setting of c as it is (call it after defaults
// are set; [Load] does), reads the files c names (mapping, CA and client
// certificates, the JWT private key) to check them, and sets c.Mapping
// from the mapping file. It returns a *[svcconfig.ValidationError] listing every
// problem by key path, without a place (Load adds the file and line), or
// nil.
func (c *Config) Validate() error { return service.Validate(c) }

// check returns the problems of c and loads c.Mapping.
func (c *Config) check() []svcconfig.Problem {
	k := &svcconfig.Checker{}
	c.MappingSection.Check(k)
	k.Add(c.Salesforce.Problems()...)
	k.Add(c.Kafka.Conn.Problems()...)
	c.checkTopics(k)
	k.Add(c.Kafka.Conn.SecurityProblems()...)
	k.Add(c.SchemaRegistry.Problems()...)
	c.Postgres.check(k)
	c.checkVerify(k)
	k.Positive("poll.interval", c.Poll.Interval)
	if c.Poll.Interval > 0 && c.Poll.Interval < minPollInterval {
		k.Bad("poll.interval", "must be at least %s, as each poll is a REST API request, got %s", minPollInterval, c.Poll.Interval)
	}
	k.AtLeast("poll.delete_check_every", c.Poll.DeleteCheckEvery, 1)
	k.AtLeast("backfill.page_size", c.Backfill.PageSize, 1)
	k.AtLeast("backfill.bulk_threshold", c.Backfill.BulkThreshold, 1)
	c.Runtime.Check(k)
	return k.Problems
}

var suffixChars = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// checkTopics checks the group and the reconciler's own topics: valid
// names, distinct from each other, from the mapping's topics and from
// the compacted topics.
func (c *Config) checkTopics(k *svcconfig.Checker) {
	kc := c.Kafka
	if kc.Group == "" || strings.TrimSpace(kc.Group) != kc.Group {
		k.Bad("kafka.group", "must be a consumer group id without surrounding spaces, got %q", kc.Group)
	}
	used := map[string]string{}
	var mapped []string
	if c.Mapping != nil {
		for _, o := range c.Mapping.Objects {
			if _, ok := used[o.KafkaTopic]; !ok {
				used[o.KafkaTopic] = "the mapping's topic of " + o.Name
				mapped = append(mapped, o.KafkaTopic)
			}
		}
	}
	k.Topics(used,
		svcconfig.Topic{Path: "kafka.refetch_topic", Name: kc.RefetchTopic},
		svcconfig.Topic{Path: "kafka.reconcile_topic", Name: kc.ReconcileTopic},
		svcconfig.Topic{Path: "kafka.checkpoint_topic", Name: kc.CheckpointTopic},
	)
	if !suffixChars.MatchString(kc.CompactedSuffix) {
		k.Bad("kafka.compacted_suffix", "must be one or more of a-z A-Z 0-9 . _ -, got %q", kc.CompactedSuffix)
		return
	}
	if c.Compact.Enabled == nil || !*c.Compact.Enabled {
		return
	}
	for _, t := range mapped {
		name := c.CompactedTopic(t)
		if msg := svcconfig.TopicProblem(name); msg != "" {
			k.Bad("kafka.compacted_suffix", "makes the compacted topic of %s too long: %s", t, msg)
			break // one is enough
		}
		if by, ok := used[name]; ok {
			k.Bad("kafka.compacted_suffix", "makes %q, the compacted topic of %s, which is already %s", name, t, by)
			continue
		}
		used[name] = "the compacted topic of " + t
	}
}

func (p *Postgres) check(k *svcconfig.Checker) {
	if p.URL == "" {
		k.Bad("postgres.url", "is required: the database to compare with Salesforce, such as postgres://sfsync@127.0.0.1:5432/sfsync")
		return
	}
	if _, err := pgconn.ParseConfig(string(p.URL)); err != nil {
		k.Bad("postgres.url", "%s", svcconfig.URLProblem("a PostgreSQL connection string such as postgres://sfsync@127.0.0.1:5432/sfsync?sslmode=verify-full", p.URL, err))
	}
}

func (c *Config) checkVerify(k *svcconfig.Checker) {
	v := c.Verify
	k.Positive("verify.interval", v.Interval)
	k.Positive("verify.window", v.Window)
	if v.Interval > 0 && v.Window > 0 && v.Window < v.Interval {
		k.Bad("verify.window", "must be >= verify.interval (%s), so that consecutive runs overlap, got %s", v.Interval, v.Window)
	}
	switch {
	case v.Grace < 0:
		k.Bad("verify.grace", "must be >= 0, got %s", v.Grace)
	case v.Window > 0 && v.Grace >= v.Window:
		k.Bad("verify.grace", "must be less than verify.window (%s), got %s", v.Window, v.Grace)
	}
	if v.FullEvery != nil {
		switch every := *v.FullEvery; {
		case every < 0:
			k.Bad("verify.full_every", "must be >= 0 (0 disables the full comparison), got %s", every)
		case every > 0 && every < v.Interval:
			k.Bad("verify.full_every", "must be 0 (never) or at least verify.interval (%s), got %s", v.Interval, every)
		}
	}
}

// Warnings returns the settings that work but are unsafe outside
// development, for main to log at start.
func (c *Config) Warnings() []string {
	ws := c.Kafka.Conn.Warnings()
	ws = append(ws, c.SchemaRegistry.Warnings()...)
	ws = append(ws, c.Salesforce.Salesforce.Warnings()...)
	ws = append(ws, svcconfig.PostgresWarnings(string(c.Postgres.URL))...)
	ws = append(ws, c.Runtime.MetricsWarnings()...)
	if c.Verify.Repair != nil && !*c.Verify.Repair {
		ws = append(ws, "verify.repair: false: drift is reported, not repaired")
	}
	return ws
}
