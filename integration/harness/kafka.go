package harness

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	tckafka "github.com/testcontainers/testcontainers-go/modules/kafka"
)

// kafkaImage is the image Testcontainers' kafka module (v0.40) knows how to
// start in KRaft mode; the local stack runs Apache Kafka 4.x instead.
const kafkaImage = "confluentinc/confluent-local:7.5.0"

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
	addr := resolve(t, &kafkaEndpoint, "kafka", EnvKafkaBrokers, startKafka)
	var brokers []string
	for _, b := range strings.Split(addr, ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	return KafkaAt(t, brokers)
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

func startKafka(ctx context.Context) (string, error) {
	c, err := tckafka.Run(ctx, kafkaImage, tckafka.WithClusterID("sfsync-tests"))
	if err != nil {
		return "", err
	}
	brokers, err := c.Brokers(ctx)
	if err != nil {
		return "", err
	}
	return strings.Join(brokers, ","), nil
}

// Client returns a kafka-go client for admin calls against the cluster.
func (k *Kafka) Client() *kafka.Client { return k.client }

// TopicName returns the name of topic name for this test, without creating
// it: "<test>_<random>.<name>".
func (k *Kafka) TopicName(name string) string { return k.id + "." + name }

// Group returns a consumer group id unique to this test.
func (k *Kafka) Group(name string) string { return k.id + ".group." + name }

// Topic creates a topic unique to this test with the given number of
// partitions (replication factor 1), waits until every partition has a
// leader, deletes it when the test ends, and returns its name.
func (k *Kafka) Topic(name string, partitions int) string {
	k.t.Helper()
	topic := k.TopicName(name)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := k.client.CreateTopics(ctx, &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}},
	})
	if err == nil {
		err = resp.Errors[topic]
	}
	if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		k.t.Fatalf("create topic %s: %v", topic, err)
	}
	k.t.Cleanup(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		resp, err := k.client.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{topic}})
		if err == nil {
			err = resp.Errors[topic]
		}
		if err != nil && !errors.Is(err, kafka.UnknownTopicOrPartition) {
			k.t.Errorf("delete topic %s: %v", topic, err)
		}
	})
	if err := k.WaitForTopic(ctx, topic, partitions); err != nil {
		k.t.Fatalf("topic %s: %v", topic, err)
	}
	return topic
}

// WaitForTopic polls metadata until topic has partitions partitions, each
// with a leader, so that writes right after creation succeed and group
// readers are assigned its partitions; it is for topics that the code
// under test creates.
func (k *Kafka) WaitForTopic(ctx context.Context, topic string, partitions int) error {
	var last error
	for {
		md, err := k.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
		switch {
		case err != nil:
			last = err
		case len(md.Topics) != 1:
			last = fmt.Errorf("metadata lists %d topics", len(md.Topics))
		case md.Topics[0].Error != nil:
			last = md.Topics[0].Error
		default:
			ready := 0
			for _, p := range md.Topics[0].Partitions {
				if p.Error == nil && p.Leader.Host != "" {
					ready++
				}
			}
			if ready == partitions {
				return nil
			}
			last = fmt.Errorf("%d of %d partitions have a leader", ready, partitions)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for partition leaders: %w (last: %w)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
