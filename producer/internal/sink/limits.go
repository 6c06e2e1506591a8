package sink

import (
	"context"
	"fmt"
	"strconv"

	"github.com/segmentio/kafka-go"
)

// Limits are the size limits of the topics a [Sink] writes, as
// [ReadLimits] found them: [Config.Limits] and [Config.DefaultLimit].
type Limits struct {
	// Topics holds each topic's max.message.bytes that Kafka reported.
	Topics map[string]int
	// Default is the broker's message.max.bytes, or [DefaultLimit] when
	// the broker did not say; it applies to the topics Topics lacks.
	Default int
	// Refused names the topics whose limit Kafka would not tell (the
	// user lacks DescribeConfigs on them, or the topic is missing), with
	// the error; they take Default.
	Refused map[string]error
}

// ReadLimits asks Kafka for the max.message.bytes of each topic
// (DescribeConfigs), and for the broker's message.max.bytes as the limit
// of the topics it would not describe. A refusal is not an error: such a
// topic takes the broker's limit, or [DefaultLimit] when that is refused
// too. It returns an error only when Kafka does not answer.
func ReadLimits(ctx context.Context, client *kafka.Client, topics []string) (Limits, error) {
	l := Limits{Topics: map[string]int{}, Default: DefaultLimit, Refused: map[string]error{}}
	req := &kafka.DescribeConfigsRequest{}
	for _, t := range topics {
		req.Resources = append(req.Resources, kafka.DescribeConfigRequestResource{
			ResourceType: kafka.ResourceTypeTopic, ResourceName: t, ConfigNames: []string{"max.message.bytes"},
		})
	}
	if len(req.Resources) > 0 {
		resp, err := client.DescribeConfigs(ctx, req)
		if err != nil {
			return l, fmt.Errorf("describe the topics' max.message.bytes: %w", err)
		}
		for _, r := range resp.Resources {
			if r.Error != nil {
				l.Refused[r.ResourceName] = r.Error
				continue
			}
			if v, ok := configInt(r.ConfigEntries, "max.message.bytes"); ok {
				l.Topics[r.ResourceName] = v
			} else {
				l.Refused[r.ResourceName] = fmt.Errorf("no max.message.bytes in the answer")
			}
		}
	}
	if len(l.Refused) == 0 {
		return l, nil
	}
	// The broker's default, for the topics Kafka would not describe:
	// asked of any one broker (the setting is cluster-wide in practice).
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{}})
	if err != nil || len(md.Brokers) == 0 {
		return l, nil //nolint:nilerr // the limit stays DefaultLimit; the topics' answers stand
	}
	resp, err := client.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{
		Resources: []kafka.DescribeConfigRequestResource{{
			ResourceType: kafka.ResourceTypeBroker, ResourceName: strconv.Itoa(md.Brokers[0].ID), ConfigNames: []string{"message.max.bytes"},
		}},
	})
	if err != nil {
		return l, nil //nolint:nilerr // as above
	}
	for _, r := range resp.Resources {
		if v, ok := configInt(r.ConfigEntries, "message.max.bytes"); ok && r.Error == nil {
			l.Default = v
		}
	}
	return l, nil
}

// configInt returns the integer value of the config entry name.
func configInt(entries []kafka.DescribeConfigResponseConfigEntry, name string) (int, bool) {
	for _, e := range entries {
		if e.ConfigName == name {
			v, err := strconv.Atoi(e.ConfigValue)
			return v, err == nil && v > 0
		}
	}
	return 0, false
}
