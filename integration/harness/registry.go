package harness

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/platform/registry"
)

// EnvSchemaRegistryURL holds the base URL of a Confluent-compatible
// Schema Registry API, such as the local stack's Apicurio Registry
// (http://127.0.0.1:18081/apis/ccompat/v7).
const EnvSchemaRegistryURL = "SFSYNC_SCHEMA_REGISTRY_URL"

// SchemaRegistry is a Schema Registry for a test. Subjects follow the
// test's topics, which are its own, so tests share the registry without
// meeting.
type SchemaRegistry struct {
	// URL is the base URL of the registry's Confluent-compatible API.
	URL string
	// Client calls it.
	Client *registry.Client
}

// NewSchemaRegistry returns the registry of SFSYNC_SCHEMA_REGISTRY_URL
// once it answers, or skips or fails t when none is set or it does not
// answer (see the package doc). The harness starts no container for it:
// the local stack runs one (`make up`).
func NewSchemaRegistry(t testing.TB) *SchemaRegistry {
	t.Helper()
	url := strings.TrimSpace(os.Getenv(EnvSchemaRegistryURL))
	if url == "" {
		missing(t, "schema registry", fmt.Errorf("%s is not set", EnvSchemaRegistryURL), "")
	}
	s := registry.Settings{URL: url}
	if ps := s.Problems(); len(ps) > 0 {
		t.Fatalf("%s: %v", EnvSchemaRegistryURL, ps[0])
	}
	client, err := registry.New(s)
	if err != nil {
		t.Fatalf("%s: %v", EnvSchemaRegistryURL, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.Ping(ctx); err != nil {
		missing(t, "schema registry", err, "")
	}
	return &SchemaRegistry{URL: url, Client: client}
}
