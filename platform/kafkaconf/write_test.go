package kafkaconf

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"
)

// recorder is a MessageWriter that records each write's keys and refuses
// the keys in refuse as too large.
type recorder struct {
	refuse map[string]bool
	wrote  []string
}

func (r *recorder) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	for _, m := range msgs {
		if r.refuse[string(m.Key)] {
			return kafka.MessageSizeTooLarge
		}
		r.wrote = append(r.wrote, string(m.Key))
	}
	return nil
}

func TestWriteEach(t *testing.T) {
	t.Parallel()
	msgs := []kafka.Message{{Key: []byte("a")}, {Key: []byte("b")}, {Key: []byte("c")}}
	stop := errors.New("stop")
	for _, tc := range []struct {
		scenario string
		err      error // the batch write's error
		wantSent []string
		wantSeen []int // the indexes handle sees
		wantErr  error
	}{
		{scenario: "refused before sending: every message again", err: kafka.MessageSizeTooLarge,
			wantSent: []string{"a", "c"}, wantSeen: []int{0, 1, 2}},
		{scenario: "one error per message: only the unwritten", err: kafka.WriteErrors{nil, kafka.MessageSizeTooLarge, nil},
			wantSeen: []int{1}},
		{scenario: "handle stops the loop", err: kafka.WriteErrors{kafka.MessageSizeTooLarge, kafka.MessageSizeTooLarge, kafka.MessageSizeTooLarge},
			wantSent: []string{"a"}, wantSeen: []int{0, 1}, wantErr: stop},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			w := &recorder{refuse: map[string]bool{"b": true}}
			var seen []int
			err := WriteEach(context.Background(), w, msgs, tc.err, func(i int, err error) error {
				seen = append(seen, i)
				if TooLarge(err) != (i == 1) {
					t.Errorf("message %d: error %v", i, err)
				}
				if tc.wantErr != nil && i == 1 {
					return stop
				}
				return nil
			})
			if !errors.Is(err, tc.wantErr) || !slices.Equal(seen, tc.wantSeen) || !slices.Equal(w.wrote, tc.wantSent) {
				t.Errorf("WriteEach = %v, handled %v, wrote %v; want %v, %v, %v", err, seen, w.wrote, tc.wantErr, tc.wantSeen, tc.wantSent)
			}
		})
	}
}

func TestLeaders(t *testing.T) {
	led := kafka.Partition{Leader: kafka.Broker{Host: "127.0.0.1"}}
	for _, tc := range []struct {
		name string
		md   kafka.MetadataResponse
		want string
	}{
		{"every partition led", kafka.MetadataResponse{Topics: []kafka.Topic{{Partitions: []kafka.Partition{led, led}}}}, ""},
		{"one without a leader", kafka.MetadataResponse{Topics: []kafka.Topic{{Partitions: []kafka.Partition{led, {}}}}}, "1 of 2 partitions have a leader"},
		{"a partition in error", kafka.MetadataResponse{Topics: []kafka.Topic{{Partitions: []kafka.Partition{led, {Leader: led.Leader, Error: kafka.LeaderNotAvailable}}}}}, "1 of 2 partitions have a leader"},
		{"the topic in error", kafka.MetadataResponse{Topics: []kafka.Topic{{Error: kafka.UnknownTopicOrPartition}}}, "Unknown Topic Or Partition"},
		{"no topic", kafka.MetadataResponse{}, "metadata lists 0 topics"},
	} {
		err := leaders(&tc.md, 2)
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
