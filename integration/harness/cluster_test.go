package harness

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestKafkaCluster checks the three-node cluster: topics take the
// cluster's defaults (replication factor 3, min.insync.replicas 2), and
// writes acknowledged by all in-sync replicas go on while the leader of a
// partition is killed; the node comes back into the in-sync replicas and
// nothing written is lost.
func TestKafkaCluster(t *testing.T) {
	t.Parallel()
	c := StartKafkaCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	client := &kafka.Client{Addr: kafka.TCP(c.Brokers...), Timeout: 30 * time.Second}
	const topic = "cluster.test"
	// -1: the cluster's default replication factor.
	resp, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 3, ReplicationFactor: -1}}})
	if err != nil || resp.Errors[topic] != nil {
		t.Fatalf("create topic: %v %v", err, resp)
	}
	cfg, err := client.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{{
		ResourceType: kafka.ResourceTypeTopic, ResourceName: topic, ConfigNames: []string{"min.insync.replicas"}}}})
	if err != nil || len(cfg.Resources) != 1 || len(cfg.Resources[0].ConfigEntries) != 1 || cfg.Resources[0].ConfigEntries[0].ConfigValue != "2" {
		t.Fatalf("min.insync.replicas: %v %+v", err, cfg)
	}
	partitions := func() []kafka.Partition {
		t.Helper()
		md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
		if err != nil || len(md.Topics) != 1 || md.Topics[0].Error != nil {
			t.Fatalf("metadata: %v %+v", err, md)
		}
		return md.Topics[0].Partitions
	}
	for _, p := range partitions() {
		if len(p.Replicas) != 3 || len(p.Isr) != 3 {
			t.Fatalf("partition %d: replicas %v, in sync %v; want 3 and 3", p.ID, p.Replicas, p.Isr)
		}
	}

	w := &kafka.Writer{Addr: kafka.TCP(c.Brokers...), Topic: topic, RequiredAcks: kafka.RequireAll,
		Balancer: &kafka.Hash{}, BatchTimeout: 5 * time.Millisecond, MaxAttempts: 20}
	defer w.Close()
	write := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			if err := w.WriteMessages(ctx, kafka.Message{Key: []byte(strconv.Itoa(i)), Value: []byte(fmt.Sprint(i))}); err != nil {
				t.Fatalf("write %d: %v", i, err)
			}
		}
	}
	write(0, 50)
	leader := partitions()[0].Leader.ID
	c.Kill(leader)
	write(50, 100)
	for _, p := range partitions() {
		if p.Leader.ID == leader {
			t.Errorf("partition %d still led by the killed node %d", p.ID, leader)
		}
	}
	c.Start(leader)
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		synced := true
		for _, p := range partitions() {
			synced = synced && len(p.Isr) == 3
		}
		if synced {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %d not back in sync: %+v", leader, partitions())
		}
	}

	seen := map[string]bool{}
	for _, p := range partitions() {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: c.Brokers, Topic: topic, Partition: p.ID, MaxWait: 100 * time.Millisecond})
		end, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(p.ID)}}})
		if err != nil {
			t.Fatal(err)
		}
		last := end.Topics[topic][0].LastOffset
		for off := int64(0); off < last; off++ {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				t.Fatalf("partition %d offset %d: %v", p.ID, off, err)
			}
			seen[string(m.Value)] = true
		}
		r.Close()
	}
	if len(seen) != 100 {
		t.Fatalf("%d distinct messages read back, want 100", len(seen))
	}
}
