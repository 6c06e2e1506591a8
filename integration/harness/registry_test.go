package harness

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sfsync/sfsync/platform/registry"
	"github.com/sfsync/sfsync/schemas/avroframe"
)

// TestSchemaRegistry runs the registry client against the stack's
// registry: registration under a subject with BACKWARD compatibility,
// the same id for the same schema, a compatible second version, an
// incompatible one refused, and lookups by id.
func TestSchemaRegistry(t *testing.T) {
	t.Parallel()
	reg := NewSchemaRegistry(t)
	ctx := context.Background()
	subject := registry.Subject(testID(t))
	v1 := `{"type":"record","name":"R","namespace":"dev.sfsync.test","fields":[{"name":"a","type":"string"}]}`
	v2 := `{"type":"record","name":"R","namespace":"dev.sfsync.test","fields":[{"name":"a","type":"string"},{"name":"b","type":"int","default":0}]}`
	bad := `{"type":"record","name":"R","namespace":"dev.sfsync.test","fields":[{"name":"a","type":"string"},{"name":"c","type":"int"}]}`
	id1, err := reg.Client.Register(ctx, subject, v1)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := reg.Client.Register(ctx, subject, v1); err != nil || again != id1 {
		t.Fatalf("registering v1 again = %d, %v; want %d", again, err, id1)
	}
	id2, err := reg.Client.Register(ctx, subject, v2)
	if err != nil || id2 == id1 {
		t.Fatalf("registering v2 (a field with a default) = %d, %v", id2, err)
	}
	_, err = reg.Client.Register(ctx, subject, bad)
	if err == nil || errors.Is(err, registry.ErrUnavailable) || !strings.Contains(err.Error(), subject) {
		t.Fatalf("registering a field without a default = %v, want the registry's refusal naming %s", err, subject)
	}
	// A new client has nothing cached: the texts come from the registry.
	fresh, err := registry.New(registry.Settings{URL: reg.URL})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[uint32]string{id1: `"name":"a"`, id2: `"name":"b"`} {
		text, err := fresh.Schema(ctx, id)
		if err != nil || !strings.Contains(text, want) {
			t.Errorf("Schema(%d) = %q, %v; want it to hold %s", id, text, err, want)
		}
	}
	if _, err := fresh.Schema(ctx, 1<<31); !errors.Is(err, avroframe.ErrUnknownSchema) {
		t.Errorf("Schema of an unknown id = %v, want ErrUnknownSchema", err)
	}
}

// TestSchemaRegistryConcurrentRegistration: the producer and the
// reconciler register a new subject at the same moment at start; both
// get its id (Apicurio answers one of them 409 "already exists").
func TestSchemaRegistryConcurrentRegistration(t *testing.T) {
	t.Parallel()
	reg := NewSchemaRegistry(t)
	schema := `{"type":"record","name":"R","namespace":"dev.sfsync.test","fields":[{"name":"a","type":"string"}]}`
	base := testID(t)
	for i := range 10 {
		subject := registry.Subject(fmt.Sprintf("%s.%d", base, i))
		var (
			wg   sync.WaitGroup
			ids  [2]uint32
			errs [2]error
		)
		for j := range 2 {
			wg.Go(func() { ids[j], errs[j] = reg.Client.Register(context.Background(), subject, schema) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || ids[0] != ids[1] {
			t.Fatalf("%s registered at once: ids %v, errors %v", subject, ids, errs)
		}
	}
}
