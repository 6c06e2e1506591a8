package harness

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// DeleteRecords deletes the records of a partition below offset before,
// as retention does: the partition's log then starts at before. It is
// Kafka's DeleteRecords call (kafka-go has none), sent to the partition's
// leader. It fails t on an error.
func (k *Kafka) DeleteRecords(topic string, partition int, before int64) {
	k.t.Helper()
	if err := DeleteRecords(context.Background(), k.Brokers, topic, partition, before); err != nil {
		k.t.Fatalf("delete records of %s/%d below %d: %v", topic, partition, before, err)
	}
}

// DeleteRecords is [Kafka.DeleteRecords] for any brokers, such as a
// [PrivateKafka]'s.
func DeleteRecords(ctx context.Context, brokers []string, topic string, partition int, before int64) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, err := kafka.DialLeader(ctx, "tcp", brokers[0], topic, partition)
	if err != nil {
		return err
	}
	leader := conn.Broker()
	conn.Close()
	addr := &net.TCPAddr{IP: net.ParseIP(leader.Host), Port: leader.Port}
	res, err := kafka.DefaultTransport.RoundTrip(ctx, addr, &deleteRecordsRequest{
		Topics:    []deleteRecordsTopic{{Name: topic, Partitions: []deleteRecordsPartition{{Partition: int32(partition), Offset: before}}}},
		TimeoutMs: 30000,
	})
	if err != nil {
		return err
	}
	for _, t := range res.(*deleteRecordsResponse).Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return kafka.Error(p.ErrorCode)
			}
			if p.LowWatermark != before {
				return fmt.Errorf("the log starts at %d, not %d", p.LowWatermark, before)
			}
		}
	}
	return nil
}

func init() {
	protocol.Register(&deleteRecordsRequest{}, &deleteRecordsResponse{})
}

// The DeleteRecords messages (API key 21), versions 0 to 2 (2 is
// flexible), as Kafka's DeleteRecordsRequest.json and
// DeleteRecordsResponse.json define them.
type deleteRecordsRequest struct {
	_         struct{}             `kafka:"min=v2,max=v2,tag"`
	Topics    []deleteRecordsTopic `kafka:"min=v0,max=v2"`
	TimeoutMs int32                `kafka:"min=v0,max=v2"`
}

type deleteRecordsTopic struct {
	_          struct{}                 `kafka:"min=v2,max=v2,tag"`
	Name       string                   `kafka:"min=v0,max=v2"`
	Partitions []deleteRecordsPartition `kafka:"min=v0,max=v2"`
}

type deleteRecordsPartition struct {
	_         struct{} `kafka:"min=v2,max=v2,tag"`
	Partition int32    `kafka:"min=v0,max=v2"`
	Offset    int64    `kafka:"min=v0,max=v2"`
}

func (*deleteRecordsRequest) ApiKey() protocol.ApiKey { return protocol.DeleteRecords }

type deleteRecordsResponse struct {
	_              struct{}                     `kafka:"min=v2,max=v2,tag"`
	ThrottleTimeMs int32                        `kafka:"min=v0,max=v2"`
	Topics         []deleteRecordsResponseTopic `kafka:"min=v0,max=v2"`
}

type deleteRecordsResponseTopic struct {
	_          struct{}                         `kafka:"min=v2,max=v2,tag"`
	Name       string                           `kafka:"min=v0,max=v2"`
	Partitions []deleteRecordsResponsePartition `kafka:"min=v0,max=v2"`
}

type deleteRecordsResponsePartition struct {
	_            struct{} `kafka:"min=v2,max=v2,tag"`
	Partition    int32    `kafka:"min=v0,max=v2"`
	LowWatermark int64    `kafka:"min=v0,max=v2"`
	ErrorCode    int16    `kafka:"min=v0,max=v2"`
}

func (*deleteRecordsResponse) ApiKey() protocol.ApiKey { return protocol.DeleteRecords }
