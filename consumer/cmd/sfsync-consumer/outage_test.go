package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
)

// createTopic creates topic with partitions on brokers.
func createTopic(t *testing.T, brokers []string, topic string, partitions int) {
	t.Helper()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: time.Minute}
	resp, err := client.CreateTopics(context.Background(), &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}}})
	if err == nil {
		err = resp.Errors[topic]
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

// ready reports whether /readyz answers 200.
func (st *setup) ready() bool {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + st.metrics + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// waitAlive polls cond until it holds, failing the test when the
// consumer exits first, or after three minutes.
func waitAlive(t *testing.T, p *proc, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Minute); !cond(); time.Sleep(50 * time.Millisecond) {
		select {
		case <-p.done:
			t.Fatalf("the consumer exited (%v) while waiting for %s", p.err, what)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestKafkaOutage runs the consumer on a private broker that is down at
// its start and stopped again once it consumes: the consumer waits, not
// ready, and never exits; each time the broker is back it is ready and
// applies what was written.
func TestKafkaOutage(t *testing.T) {
	t.Parallel()
	pk := harness.StartPrivateKafka(t)
	st := newSetupOn(t, pk.Brokers, "")
	batch := func(from, n int) [][]byte {
		var values [][]byte
		for i := from; i < from+n; i++ {
			values = append(values, st.encode(t, account(fmt.Sprintf("001%015d", i), int64(i+1), fmt.Sprint("A", i))))
		}
		return values
	}

	pk.Stop()
	p := st.start(t)
	waitAlive(t, p, "a failed attempt to reach Kafka", func() bool {
		return strings.Contains(p.logs.String(), "kafka does not answer; retrying")
	})
	if st.ready() {
		t.Error("ready with Kafka down at the start")
	}
	pk.Start()
	waitAlive(t, p, "ready once Kafka is up", st.ready)
	st.send(t, batch(0, 20)...)
	st.waitRows(t, 20)

	pk.Stop()
	waitAlive(t, p, "not ready with Kafka down", func() bool { return !st.ready() })
	pk.Start()
	waitAlive(t, p, "ready once Kafka is back", st.ready)
	st.send(t, batch(20, 20)...)
	st.waitRows(t, 40)
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
}
