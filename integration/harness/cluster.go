package harness

import (
	"strconv"
	"strings"
	"testing"
)

// KafkaCluster is a Kafka cluster of a test's own: nodes KRaft nodes, each
// broker and controller, run by the local stack script on free loopback
// ports with their own data directories. With three nodes it has the shape
// MSK runs: replication factor 3 and min.insync.replicas 2 by default. It
// is for fault tests that kill, stop and restart brokers; it needs what
// `make up` needs (Java, Maven or its cache), and skips the test, or fails
// it when SFSYNC_REQUIRE_SERVICES=1, when it cannot start.
type KafkaCluster struct {
	// Brokers holds every node's address; node I (from 1) is Brokers[I-1]
	// and has node id I.
	Brokers []string
	p       *Private
}

// StartKafkaCluster starts a cluster of nodes nodes, removed when t ends.
func StartKafkaCluster(t testing.TB, nodes int) *KafkaCluster {
	t.Helper()
	ports, controllers := make([]string, nodes), make([]string, nodes)
	brokers := make([]string, nodes)
	for i := range nodes {
		ports[i], controllers[i] = strconv.Itoa(freePort(t)), strconv.Itoa(freePort(t))
		brokers[i] = "127.0.0.1:" + ports[i]
	}
	p := startPrivate(t, "kafka", "SFSYNC_KAFKA_NODES="+strconv.Itoa(nodes),
		"SFSYNC_KAFKA_PORTS="+strings.Join(ports, ","), "SFSYNC_KAFKA_CONTROLLER_PORTS="+strings.Join(controllers, ","),
		"SFSYNC_KAFKA_SSL_PORT=0", "SFSYNC_KAFKA_SASL_SSL_PORT=0")
	return &KafkaCluster{Brokers: brokers, p: p}
}

// Kill SIGKILLs node, as a crash would, and returns once it is gone.
func (c *KafkaCluster) Kill(node int) { c.node("kill", node) }

// Stop stops node gracefully.
func (c *KafkaCluster) Stop(node int) { c.node("down", node) }

// Start starts node again, at its address and with its data, and waits
// until it has started.
func (c *KafkaCluster) Start(node int) { c.node("up", node) }

func (c *KafkaCluster) node(cmd string, node int) {
	c.p.t.Helper()
	if err := c.p.script(cmd, "kafka-"+strconv.Itoa(node)); err != nil {
		c.p.t.Fatalf("kafka node %d: %v", node, err)
	}
}
