package harness

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/sfsync/sfsync/platform/kafkaconf"
)

// Kafka is a test's view of a Kafka cluster. Topics and groups it names are
// unique to the test. It is safe for concurrent use.
type Kafka struct {
	// Brokers holds the bootstrap addresses.
	Brokers []string

	t      testing.TB
	id     string
	client *kafka.Client
}

// NewKafka returns the Kafka cluster for t, or skips or fails t when none
// can be found (see the package doc).
func NewKafka(t testing.TB) *Kafka {
	t.Helper()
	return KafkaAt(t, splitList(resolve(t, &kafkaEndpoint, EnvKafkaBrokers, kafkaSpec())))
}

// KafkaAt returns t's view of the cluster at brokers, such as a private
// broker a test starts with [StartPrivateKafka], with the same per-test
// names and cleanup as [NewKafka].
func KafkaAt(t testing.TB, brokers []string) *Kafka {
	t.Helper()
	addr := strings.Join(brokers, ",")
	k := &Kafka{
		Brokers: brokers,
		t:       t,
		id:      testID(t),
		client:  &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 30 * time.Second},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := k.client.Metadata(ctx, &kafka.MetadataRequest{}); err != nil {
		unavailable(t, "kafka", fmt.Errorf("metadata from %s: %w", addr, err))
	}
	return k
}

// kafkaSpec is one KRaft node, broker and controller, configured as the
// local stack's (deploy/local/stack.sh) through the apache/kafka image's
// KAFKA_* variables. Its listener is on the host port inside the container
// too, so that the advertised 127.0.0.1:port reaches it from the host and
// from the broker itself.
func kafkaSpec() serviceSpec {
	clusterID := newClusterID()
	return serviceSpec{
		service:       "kafka",
		imageEnv:      EnvKafkaImage,
		defaultImage:  defaultKafkaImage,
		containerPort: func(p int) int { return p },
		env: func(p int) map[string]string {
			port := strconv.Itoa(p)
			return map[string]string{
				"CLUSTER_ID":                                             clusterID,
				"KAFKA_HEAP_OPTS":                                        "-Xms512m -Xmx512m",
				"KAFKA_LISTENERS":                                        "PLAINTEXT://:" + port + ",CONTROLLER://:9093",
				"KAFKA_ADVERTISED_LISTENERS":                             "PLAINTEXT://127.0.0.1:" + port,
				"KAFKA_NODE_ID":                                          "1",
				"KAFKA_PROCESS_ROLES":                                    "broker,controller",
				"KAFKA_CONTROLLER_QUORUM_VOTERS":                         "1@localhost:9093",
				"KAFKA_CONTROLLER_LISTENER_NAMES":                        "CONTROLLER",
				"KAFKA_INTER_BROKER_LISTENER_NAME":                       "PLAINTEXT",
				"KAFKA_LISTENER_SECURITY_PROTOCOL_MAP":                   "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
				"KAFKA_LOG_DIRS":                                         "/var/lib/kafka/data",
				"KAFKA_NUM_PARTITIONS":                                   "1",
				"KAFKA_DEFAULT_REPLICATION_FACTOR":                       "1",
				"KAFKA_MIN_INSYNC_REPLICAS":                              "1",
				"KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR":                 "1",
				"KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS":                     "10",
				"KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR":         "1",
				"KAFKA_TRANSACTION_STATE_LOG_MIN_ISR":                    "1",
				"KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR": "1",
				"KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR":            "1",
				"KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS":                 "0",
				"KAFKA_AUTO_CREATE_TOPICS_ENABLE":                        "false",
				"KAFKA_DELETE_TOPIC_ENABLE":                              "true",
			}
		},
		addr: func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) },
		ready: func(p, n int) wait.Strategy {
			addr := "127.0.0.1:" + strconv.Itoa(p)
			return wait.ForAll(
				// The log keeps the lines of earlier starts: the n-th start
				// is up at the n-th line.
				wait.ForLog("Kafka Server started").WithOccurrence(n).
					WithStartupTimeout(containerStartTimeout).WithPollInterval(500*time.Millisecond),
				// Metadata from the host: the published port answers too.
				probe{what: "kafka metadata and group coordinator at " + addr, check: func(ctx context.Context) error {
					return kafkaReady(ctx, addr)
				}},
			)
		},
	}
}

// newClusterID returns a random cluster id as Kafka writes one (a UUID in
// unpadded URL-safe base64), never starting with '-', which the storage
// tool's command line would take for an option (Kafka's Uuid.randomUuid
// skips those too).
func newClusterID() string {
	for {
		var id [16]byte
		_, _ = rand.Read(id[:])
		if s := base64.RawURLEncoding.EncodeToString(id[:]); s[0] != '-' {
			return s
		}
	}
}

// kafkaReady checks a new broker from the host: metadata lists it, and
// consumer groups have a coordinator. A long-running broker has its offsets
// topic; a new one creates it on the first group request, which on a busy
// machine takes seconds that the first test's consumers would spend in
// "coordinator not available".
func kafkaReady(ctx context.Context, addr string) error {
	c := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 10 * time.Second}
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return err
	}
	if len(md.Brokers) == 0 {
		return errors.New("no brokers in metadata")
	}
	fc, err := c.FindCoordinator(ctx, &kafka.FindCoordinatorRequest{Key: "sfsync-harness-ready", KeyType: kafka.CoordinatorKeyTypeConsumer})
	if err == nil {
		err = fc.Error
	}
	if err != nil {
		return fmt.Errorf("group coordinator: %w", err)
	}
	md, err = c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{"__consumer_offsets"}})
	if err != nil {
		return err
	}
	for _, t := range md.Topics {
		if t.Error != nil {
			return fmt.Errorf("offsets topic: %w", t.Error)
		}
		for _, p := range t.Partitions {
			if p.Error != nil || p.Leader.Host == "" {
				return fmt.Errorf("offsets topic partition %d has no leader", p.ID)
			}
		}
	}
	return nil
}

// Client returns a kafka-go client for admin calls against the cluster.
func (k *Kafka) Client() *kafka.Client { return k.client }

// TopicName returns the name of topic name for this test, without creating
// it: "<test>_<random>.<name>".
func (k *Kafka) TopicName(name string) string { return k.id + "." + name }

// Group returns a consumer group id unique to this test.
func (k *Kafka) Group(name string) string { return k.id + ".group." + name }

// ID returns the name unique to this test and call that [Kafka.TopicName]
// and [Kafka.Group] start with ("<test>_<random>"), for tests whose names
// must follow a pattern of their own, such as ACL prefixes.
func (k *Kafka) ID() string { return k.id }

// Topic creates a topic unique to this test with the given number of
// partitions at the cluster's default replication factor and
// min.insync.replicas (1 and 1 on a single broker, 3 and 2 on a
// three-node [KafkaCluster]), as the services create theirs, waits until
// every partition has a leader, deletes it when the test ends, and
// returns its name.
func (k *Kafka) Topic(name string, partitions int) string {
	k.t.Helper()
	topic := k.TopicName(name)
	k.CreateTopic(topic, partitions)
	return topic
}

// CreateTopic is [Kafka.Topic] for a topic named exactly topic, which
// the caller makes unique, such as with [Kafka.ID].
func (k *Kafka) CreateTopic(topic string, partitions int) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := k.client.CreateTopics(ctx, &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: kafkaconf.ClusterReplication}},
	})
	if err == nil {
		err = resp.Errors[topic]
	}
	if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		k.t.Fatalf("create topic %s: %v", topic, err)
	}
	k.t.Cleanup(func() {
		if err := k.deleteTopic(topic); err != nil {
			k.t.Errorf("delete topic %s: %v", topic, err)
		}
	})
	if err := k.WaitForTopic(ctx, topic, partitions); err != nil {
		k.t.Fatalf("topic %s: %v", topic, err)
	}
}

// DeleteAtCleanup deletes topics, such as those a service under test
// creates itself, when the test ends; a topic already gone, or one Kafka
// fails to delete for 30 s, is no error.
func (k *Kafka) DeleteAtCleanup(topics ...string) {
	k.t.Cleanup(func() {
		for _, topic := range topics {
			_ = k.deleteTopic(topic)
		}
	})
}

// deleteTopic deletes topic, asking again for up to 30 s while Kafka
// fails: after a test that killed brokers, the client's first request can
// meet a connection the kill broke (unexpected EOF) or a controller still
// moving. A topic already gone is no error.
func (k *Kafka) deleteTopic(topic string) error {
	ctx, cancel := cleanupContext()
	defer cancel()
	for {
		resp, err := k.client.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{topic}})
		if err == nil {
			err = resp.Errors[topic]
		}
		if err == nil || errors.Is(err, kafka.UnknownTopicOrPartition) {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// SetTopicConfig sets topic's configuration name to value, such as
// max.message.bytes, and waits until Kafka reports it; it fails the test
// when Kafka refuses.
func (k *Kafka) SetTopicConfig(topic, name, value string) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := k.client.IncrementalAlterConfigs(ctx, &kafka.IncrementalAlterConfigsRequest{
		Resources: []kafka.IncrementalAlterConfigsRequestResource{{
			ResourceType: kafka.ResourceTypeTopic, ResourceName: topic,
			Configs: []kafka.IncrementalAlterConfigsRequestConfig{{Name: name, Value: value, ConfigOperation: kafka.ConfigOperationSet}},
		}},
	})
	if err == nil && len(resp.Resources) == 1 {
		err = resp.Resources[0].Error
	}
	if err != nil {
		k.t.Fatalf("set %s=%s on topic %s: %v", name, value, topic, err)
	}
	for {
		resp, err := k.client.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{{
			ResourceType: kafka.ResourceTypeTopic, ResourceName: topic, ConfigNames: []string{name},
		}}})
		if err == nil && len(resp.Resources) == 1 && resp.Resources[0].Error == nil {
			for _, e := range resp.Resources[0].ConfigEntries {
				if e.ConfigName == name && e.ConfigValue == value {
					return
				}
			}
		}
		select {
		case <-ctx.Done():
			k.t.Fatalf("topic %s: Kafka does not report %s=%s (last error: %v)", topic, name, value, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// WaitForTopic polls metadata until topic has partitions partitions, each
// with a leader, so that writes right after creation succeed and group
// readers are assigned its partitions; it is for topics that the code
// under test creates.
func (k *Kafka) WaitForTopic(ctx context.Context, topic string, partitions int) error {
	return kafkaconf.WaitForLeaders(ctx, k.client, topic, partitions)
}
