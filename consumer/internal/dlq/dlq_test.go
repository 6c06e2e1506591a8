package dlq

import (
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/consumer/internal/config"
	"github.com/sfsync/sfsync/schemas/deadletter"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// TestDeadLetterMalformedOrigin checks that a dead letter whose origin
// offset header is malformed shows no position, rather than partition
// 0, offset 0, and that a replay leaves it alone.
func TestDeadLetterMalformedOrigin(t *testing.T) {
	t.Parallel()
	codec, err := envelope.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	m := func(offset string) kafka.Message {
		return kafka.Message{Partition: 1, Offset: 7, Value: []byte("not an envelope"), Headers: []kafka.Header{
			{Key: deadletter.HeaderOriginTopic, Value: []byte("sfsync.account")},
			{Key: deadletter.HeaderOriginPartition, Value: []byte("3")},
			{Key: deadletter.HeaderOriginOffset, Value: []byte(offset)},
		}}
	}
	good, bad := describe(m("1234"), codec), describe(m("12x4"), codec)
	if good.Origin() != "sfsync.account:3:1234" || good.HeaderError != "" {
		t.Fatalf("good origin %q, header error %q", good.Origin(), good.HeaderError)
	}
	if bad.Origin() != "sfsync.account:?:?" || !strings.Contains(bad.HeaderError, deadletter.HeaderOriginOffset) {
		t.Fatalf("bad origin %q, header error %q", bad.Origin(), bad.HeaderError)
	}
	cfg := &config.Config{}
	cfg.Kafka.DeadLetterTopic = "sfsync.dlq"
	chosen, _, err := choose(cfg, []DeadLetter{good, bad}, map[string]bool{}, ReplayOptions{All: true})
	if err != nil || len(chosen) != 1 || chosen[0].Origin() != good.Origin() {
		t.Fatalf("replay --all chose %d dead letters, %v; want only the good one", len(chosen), err)
	}
	if _, _, err := choose(cfg, []DeadLetter{bad}, map[string]bool{}, ReplayOptions{Origins: []string{"sfsync.account:0:0"}}); err == nil {
		t.Fatal("a malformed origin matched sfsync.account:0:0")
	}
}
