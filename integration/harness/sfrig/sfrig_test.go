package sfrig

import (
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/sfsync/sfsync/schemas/mapping"
)

// TestSalesforce starts sffake, reaches its Pub/Sub API through
// DialPubSub, and checks that the configurations made for it name it.
func TestSalesforce(t *testing.T) {
	t.Parallel()
	s := StartSalesforce(t)
	if _, err := DialPubSub(t, s).GetTopic(t.Context(), "/data/AccountChangeEvent"); err != nil {
		t.Fatalf("GetTopic: %v", err)
	}
	var cfg struct {
		Mapping    string
		Salesforce struct {
			PubSubEndpoint string `yaml:"pubsub_endpoint"`
			Plaintext      bool
			AccessToken    string `yaml:"access_token"`
			InstanceURL    string `yaml:"instance_url"`
			OrgID          string `yaml:"org_id"`
		}
		Kafka struct {
			Brokers         []string
			CheckpointTopic string `yaml:"checkpoint_topic"`
			DeadLetterTopic string `yaml:"dead_letter_topic"`
		} `yaml:"kafka"`
		Replay struct {
			ReconcileTopic string `yaml:"reconcile_topic"`
		}
		CheckpointInterval string `yaml:"checkpoint_interval"`
	}
	text := ProducerYAML(s, []string{"127.0.0.1:1", "127.0.0.1:2"}, ProducerTopics{Checkpoints: "c", DeadLetters: "d", Reconcile: "r"},
		"checkpoint_interval: 50ms\n")
	if err := yaml.Unmarshal([]byte(text), &cfg); err != nil {
		t.Fatalf("%v in\n%s", err, text)
	}
	sf := cfg.Salesforce
	if cfg.Mapping != "mapping.yaml" || sf.PubSubEndpoint != s.PubSubAddr() || !sf.Plaintext || sf.AccessToken != s.AccessToken() ||
		sf.InstanceURL != s.URL() || sf.OrgID != s.OrgID() || strings.Join(cfg.Kafka.Brokers, ",") != "127.0.0.1:1,127.0.0.1:2" ||
		cfg.Kafka.CheckpointTopic != "c" || cfg.Kafka.DeadLetterTopic != "d" || cfg.Replay.ReconcileTopic != "r" ||
		cfg.CheckpointInterval != "50ms" {
		t.Fatalf("ProducerYAML read back as %+v from\n%s", cfg, text)
	}
}

func TestAccountMapping(t *testing.T) {
	t.Parallel()
	m, err := mapping.Parse("account.yaml", []byte(AccountMapping("accounts", "Rating: text", "BillingCity: {source: BillingAddress.City, type: text}")))
	if err != nil {
		t.Fatal(err)
	}
	o := m.Object("Account")
	if o == nil || o.KafkaTopic != "accounts" {
		t.Fatalf("Account = %+v, want one to topic accounts", o)
	}
	var names []string
	for _, f := range o.Fields {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "Id Name Rating BillingCity Territory_Key__c" {
		t.Fatalf("fields %s, want Id Name Rating BillingCity Territory_Key__c", got)
	}
}
