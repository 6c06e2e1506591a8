package sfrig

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

// StartSalesforce starts sffake, the Salesforce emulator, with opts for
// the test and closes it when the test ends.
func StartSalesforce(t testing.TB, opts ...sffake.Option) *sffake.Server {
	t.Helper()
	s, err := sffake.Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// SalesforceYAML returns the `salesforce` section of a service's
// configuration that points it at s, over plaintext gRPC with s's token.
func SalesforceYAML(s *sffake.Server) string {
	return fmt.Sprintf(`salesforce:
  pubsub_endpoint: %s
  plaintext: true
  access_token: %s
  instance_url: %s
  org_id: %s
`, s.PubSubAddr(), s.AccessToken(), s.URL(), s.OrgID())
}

// ProducerTopics are the Kafka topics of a producer's configuration
// besides those of its mapping.
type ProducerTopics struct {
	Checkpoints, DeadLetters, Reconcile string
}

// ProducerYAML returns a producer's configuration: the mapping file
// mapping.yaml beside it, Salesforce at s, Kafka at brokers with topics,
// a shutdown_timeout of 10s and metrics on a free loopback port,
// followed by extra top-level lines.
func ProducerYAML(s *sffake.Server, brokers []string, topics ProducerTopics, extra string) string {
	return fmt.Sprintf(`mapping: mapping.yaml
%skafka:
  brokers: [%s]
  checkpoint_topic: %s
  dead_letter_topic: %s
replay:
  reconcile_topic: %s
shutdown_timeout: 10s
metrics_addr: 127.0.0.1:0
%s`, SalesforceYAML(s), strings.Join(brokers, ", "), topics.Checkpoints, topics.DeadLetters, topics.Reconcile, extra)
}

// AccountMapping returns a mapping that sends Account changes to topic,
// keyed by Territory_Key__c, with the fields Id, Name, then each of
// fields (a "Name: type" line), then Territory_Key__c.
func AccountMapping(topic string, fields ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "objects:\n  Account:\n    kafka_topic: %s\n    partition_key: Territory_Key__c\n    fields:\n", topic)
	for _, f := range append(append([]string{"Id: varchar(18)", "Name: text"}, fields...), "Territory_Key__c: varchar(18)") {
		fmt.Fprintf(&b, "      %s\n", f)
	}
	return b.String()
}

// DialPubSub returns a Pub/Sub API client of s, with s's token and
// opts, and closes it when the test ends.
func DialPubSub(t testing.TB, s *sffake.Server, opts ...grpc.DialOption) *pubsub.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pubsub.Dial(ctx, pubsub.Config{
		Endpoint: s.PubSubAddr(), Plaintext: true,
		Credentials: pubsub.StaticCredentials(pubsub.Token{AccessToken: oauth.Secret(s.AccessToken()), InstanceURL: s.URL(), TenantID: s.OrgID()}),
		DialOptions: opts,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Subscribe subscribes c to topic from the earliest event s retains,
// for as long as ctx lasts, and closes the subscription when the test
// ends.
func Subscribe(t testing.TB, ctx context.Context, c *pubsub.Client, topic string) *pubsub.Subscription {
	t.Helper()
	sub, err := c.Subscribe(ctx, pubsub.SubscribeRequest{Topic: topic, Preset: pubsub.Earliest})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

// NextEvent returns the next event of sub, keepalives skipped; it fails
// the test when the subscription fails or ctx ends first.
func NextEvent(t testing.TB, ctx context.Context, sub *pubsub.Subscription) pubsub.Event {
	t.Helper()
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ev.Keepalive {
			return ev
		}
	}
}
