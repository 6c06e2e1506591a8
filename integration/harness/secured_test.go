package harness

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestSecuredListeners reads metadata through the local stack's SSL
// listener (TLS alone, verified against the stack's CA) and its SASL_SSL
// listener as each SCRAM user: every one reaches the cluster of
// SFSYNC_KAFKA_BROKERS. Like every TestSecured test, it needs the local
// stack; `make test-containers` leaves it out.
func TestSecuredListeners(t *testing.T) {
	t.Parallel()
	k := NewKafka(t)
	s := NewSecuredKafka(t, k)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	want, err := k.client.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg, err := s.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	clients := map[string]*kafka.Client{
		"SSL": {Addr: kafka.TCP(s.TLSBrokers...), Transport: &kafka.Transport{TLS: tlsCfg}, Timeout: 30 * time.Second},
	}
	for _, role := range SCRAMRoles {
		tr, err := s.Transport(role)
		if err != nil {
			t.Fatal(err)
		}
		clients["SASL_SSL as "+s.Users[role].Name] = &kafka.Client{Addr: kafka.TCP(s.SASLSSLBrokers...), Transport: tr, Timeout: 30 * time.Second}
	}
	for name, c := range clients {
		md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{}})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if md.ClusterID != want.ClusterID {
			t.Errorf("%s: cluster %s, want %s", name, md.ClusterID, want.ClusterID)
		}
	}
}
