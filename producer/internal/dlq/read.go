package dlq

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/segmentio/kafka-go"
)

// record is one Kafka record read by readTopic.
type record struct {
	partition int
	offset    int64
	time      time.Time
	key       []byte
	value     []byte // nil for a tombstone
	headers   []kafka.Header
}

// readTopic reads topic's partitions, in partition order, from their
// first offset to their end as of the call, up to limit records (0: all).
// A topic that does not exist has no records.
func readTopic(ctx context.Context, client *kafka.Client, topic string, limit int) ([]record, error) {
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("read %s: metadata: %w", topic, err)
	}
	if len(md.Topics) != 1 {
		return nil, fmt.Errorf("read %s: metadata lists %d topics", topic, len(md.Topics))
	}
	if terr := md.Topics[0].Error; errors.Is(terr, kafka.UnknownTopicOrPartition) {
		return nil, nil
	} else if terr != nil {
		return nil, fmt.Errorf("read %s: metadata: %w", topic, terr)
	}
	var reqs []kafka.OffsetRequest
	for _, p := range md.Topics[0].Partitions {
		reqs = append(reqs, kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
	}
	resp, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("read %s: list offsets: %w", topic, err)
	}
	parts := resp.Topics[topic]
	slices.SortFunc(parts, func(a, b kafka.PartitionOffsets) int { return a.Partition - b.Partition })
	var out []record
	for _, p := range parts {
		if p.Error != nil {
			return nil, fmt.Errorf("read %s partition %d: list offsets: %w", topic, p.Partition, p.Error)
		}
		for offset := p.FirstOffset; offset < p.LastOffset && (limit <= 0 || len(out) < limit); {
			f, err := client.Fetch(ctx, &kafka.FetchRequest{
				Topic: topic, Partition: p.Partition, Offset: offset,
				MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 500 * time.Millisecond,
			})
			if err == nil {
				err = f.Error
			}
			if err != nil {
				return nil, fmt.Errorf("read %s partition %d offset %d: %w", topic, p.Partition, offset, err)
			}
			next, err := appendRecords(&out, f.Records, p.Partition, offset, p.LastOffset, limit)
			if err != nil {
				return nil, fmt.Errorf("read %s partition %d offset %d: %w", topic, p.Partition, offset, err)
			}
			if next == offset {
				break // nothing at or after offset: compacted or deleted away
			}
			offset = next
		}
	}
	return out, nil
}

// appendRecords appends the records of one fetch at offsets [offset, end)
// to out, up to limit in all, and returns the offset after the last one
// read.
func appendRecords(out *[]record, rr kafka.RecordReader, partition int, offset, end int64, limit int) (int64, error) {
	for limit <= 0 || len(*out) < limit {
		r, err := rr.ReadRecord()
		if errors.Is(err, io.EOF) {
			return offset, nil
		}
		if err != nil {
			return 0, err
		}
		if r.Offset < offset {
			continue // a batch may start before the offset asked for
		}
		if r.Offset >= end {
			return end, nil
		}
		rec := record{partition: partition, offset: r.Offset, time: r.Time, headers: r.Headers}
		if rec.key, err = bytesOf(r.Key); err == nil {
			rec.value, err = bytesOf(r.Value)
		}
		if err != nil {
			return 0, err
		}
		*out = append(*out, rec)
		offset = r.Offset + 1
	}
	return offset, nil
}

// bytesOf reads a record's key or value; nil stands for a null one.
func bytesOf(b kafka.Bytes) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	defer b.Close()
	out := make([]byte, b.Len())
	_, err := io.ReadFull(b, out)
	return out, err
}
