package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

func TestWriteFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "f.yaml")
	WriteFile(t, path, "a: 1\n")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "a: 1\n" || fi.Mode().Perm() != 0o600 {
		t.Fatalf("wrote %q with mode %v, want %q with 0600", data, fi.Mode().Perm(), "a: 1\n")
	}
}

func TestLogBuffer(t *testing.T) {
	t.Parallel()
	var b LogBuffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { fmt.Fprintf(&b, "line %d\n", i) })
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 8 {
		t.Fatalf("%d lines, want 8:\n%s", n, b.String())
	}
}

// TestDeleteAtCleanup creates a topic as a service would, outside the
// harness, and finds it gone once the subtest that asked for its
// deletion ended.
func TestDeleteAtCleanup(t *testing.T) {
	t.Parallel()
	k := NewKafka(t)
	topic := k.TopicName("service-made")
	t.Run("create", func(t *testing.T) {
		sub := KafkaAt(t, k.Brokers)
		resp, err := sub.Client().CreateTopics(t.Context(), &kafka.CreateTopicsRequest{
			Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 1, ReplicationFactor: 1}},
		})
		if err == nil {
			err = resp.Errors[topic]
		}
		if err != nil {
			t.Fatal(err)
		}
		sub.DeleteAtCleanup(topic)
	})
	// Deletion completes in the background: ask until the topic is gone.
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		md, err := k.Client().Metadata(t.Context(), &kafka.MetadataRequest{}) // all topics: naming one may create it
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(md.Topics, func(tp kafka.Topic) bool { return tp.Name == topic }) {
			return
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("topic %s still there 30 s after its test ended", topic)
		}
	}
}

func TestLogBufferTake(t *testing.T) {
	t.Parallel()
	var b LogBuffer
	fmt.Fprint(&b, "one ")
	if got := b.Take(); got != "one " {
		t.Fatalf("Take = %q, want %q", got, "one ")
	}
	fmt.Fprint(&b, "two")
	if got, all := b.Take(), b.String(); got != "two" || all != "" {
		t.Fatalf("Take = %q, then String = %q; want %q, then nothing", got, all, "two")
	}
}
