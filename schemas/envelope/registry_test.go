package envelope

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// memRegistry is an in-memory Schema Registry server side: ids by schema
// text, one subject list, and a switch that makes every call fail as an
// unreachable registry does. The client side under test is the codec's.
type memRegistry struct {
	mu       sync.Mutex
	ids      map[string]uint32
	texts    map[uint32]string
	subjects map[string][]uint32
	fetches  int
	down     bool
}

func newMemRegistry() *memRegistry {
	return &memRegistry{ids: map[string]uint32{}, texts: map[uint32]string{}, subjects: map[string][]uint32{}}
}

func (r *memRegistry) Register(_ context.Context, subject, schema string) (uint32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return 0, errors.New("connection refused")
	}
	id, ok := r.ids[schema]
	if !ok {
		id = uint32(len(r.ids) + 1)
		r.ids[schema], r.texts[id] = id, schema
	}
	r.subjects[subject] = append(r.subjects[subject], id)
	return id, nil
}

func (r *memRegistry) Schema(_ context.Context, id uint32) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fetches++
	if r.down {
		return "", errors.New("connection refused")
	}
	text, ok := r.texts[id]
	if !ok {
		return "", fmt.Errorf("%w: schema id %d: 404 Not Found", ErrUnknownSchema, id)
	}
	return text, nil
}

func TestRegistryFramingRoundTrip(t *testing.T) {
	t.Parallel()
	reg := newMemRegistry()
	producer := newCodec(t, WithRegistry(reg))
	if err := producer.Register(context.Background(), "sfsync.account", "sfsync.account.latest"); err != nil {
		t.Fatal(err)
	}
	for _, subject := range []string{"sfsync.account-value", "sfsync.account.latest-value"} {
		if len(reg.subjects[subject]) != 1 {
			t.Errorf("subject %s has %v, want one registration", subject, reg.subjects[subject])
		}
	}
	id, ok := producer.RegistryID("sfsync.account")
	if !ok || id != 1 {
		t.Fatalf("RegistryID = %d, %v; want 1", id, ok)
	}
	want := sample()
	frame, err := producer.EncodeTo(nil, "sfsync.account", want)
	if err != nil {
		t.Fatal(err)
	}
	if string(frame[:5]) != "\x00\x00\x00\x00\x01" {
		t.Fatalf("header % x, want 00 00 00 00 01", frame[:5])
	}
	// A reader with the registry fetches the writer schema once by id.
	consumer := newCodec(t, WithRegistry(reg))
	for range 3 {
		got, err := consumer.Decode(frame)
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if d := diffEnvelope(want, got); d != "" {
			t.Error(d)
		}
	}
	if reg.fetches != 1 {
		t.Errorf("registry asked %d times for the schema, want 1 (cached)", reg.fetches)
	}
	// It still reads single-object frames.
	single, err := newCodec(t).Encode(nil, want)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := consumer.Decode(single); err != nil || diffEnvelope(want, got) != "" {
		t.Errorf("single-object frame: %v %s", err, diffEnvelope(want, got))
	}
	// Without a registry, EncodeTo is Encode.
	// (The values map's order varies, so the frames are compared by
	// header and content.)
	plain, err := newCodec(t).EncodeTo(nil, "sfsync.account", want)
	if err != nil || string(plain[:10]) != string(single[:10]) {
		t.Fatalf("EncodeTo without registry = % x, %v; want the single-object header % x", plain[:10], err, single[:10])
	}
	if got, err := consumer.Decode(plain); err != nil || diffEnvelope(want, got) != "" {
		t.Errorf("EncodeTo without registry: %v %s", err, diffEnvelope(want, got))
	}
}

func TestRegistryFramingErrors(t *testing.T) {
	t.Parallel()
	reg := newMemRegistry()
	producer := newCodec(t, WithRegistry(reg))
	if err := producer.Register(context.Background(), "t"); err != nil {
		t.Fatal(err)
	}
	frame, err := producer.EncodeTo(nil, "t", sample())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := producer.EncodeTo(nil, "other", sample()); err == nil || !strings.Contains(err.Error(), "topic other has no schema id") {
		t.Errorf("EncodeTo an unregistered topic = %v", err)
	}
	for _, scenario := range []struct {
		name  string
		codec *Codec
		frame []byte
		is    error
		says  string
	}{
		{"no registry configured", newCodec(t), frame, ErrUnknownSchema, "no schema registry is configured (schema_registry.url)"},
		{"unknown id", newCodec(t, WithRegistry(reg)), append([]byte{0, 0, 0, 0, 9}, frame[5:]...), ErrUnknownSchema, "schema id 9"},
		{"short header", newCodec(t, WithRegistry(reg)), []byte{0, 0, 1}, ErrBadFrame, "3-byte frame"},
		{"truncated body", newCodec(t, WithRegistry(reg)), frame[:len(frame)-3], ErrBadFrame, "registry id 1"},
		{"neither framing", newCodec(t, WithRegistry(reg)), []byte{0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, ErrBadFrame, "decode envelope"},
	} {
		t.Run(scenario.name, func(t *testing.T) {
			_, err := scenario.codec.Decode(scenario.frame)
			if !errors.Is(err, scenario.is) || !strings.Contains(err.Error(), scenario.says) {
				t.Errorf("Decode = %v, want %v saying %q", err, scenario.is, scenario.says)
			}
		})
	}
	// A registry that cannot be reached is not a bad record: the error
	// says to try again, and the next try, once it answers, decodes.
	consumer := newCodec(t, WithRegistry(reg))
	reg.mu.Lock()
	reg.down = true
	reg.mu.Unlock()
	if _, err := consumer.Decode(frame); !errors.Is(err, ErrRegistryUnavailable) || errors.Is(err, ErrUnknownSchema) {
		t.Errorf("Decode with the registry down = %v, want ErrRegistryUnavailable only", err)
	}
	reg.mu.Lock()
	reg.down = false
	reg.mu.Unlock()
	if _, err := consumer.Decode(frame); err != nil {
		t.Errorf("Decode once the registry is back = %v", err)
	}
}

// TestRegistryNewerWriterSchema: a producer upgraded to a newer envelope
// version registers it under the same subject; a reader that knows only
// the current version fetches it by id and decodes its records, ignoring
// the fields it does not know, with no WithSchema needed.
func TestRegistryNewerWriterSchema(t *testing.T) {
	t.Parallel()
	reg := newMemRegistry()
	old := newCodec(t, WithRegistry(reg))
	upgraded := newCodec(t, WithRegistry(reg), WithWriterSchema(readTestdata(t, "newer.avsc")))
	for _, c := range []*Codec{old, upgraded} {
		if err := c.Register(context.Background(), "t"); err != nil {
			t.Fatal(err)
		}
	}
	if got := reg.subjects["t-value"]; len(got) != 2 || got[0] == got[1] {
		t.Fatalf("subject t-value has ids %v, want two versions", got)
	}
	want := sample()
	frame, err := upgraded.EncodeTo(nil, "t", want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := newCodec(t, WithRegistry(reg)).Decode(frame)
	if err != nil {
		t.Fatalf("old reader Decode: %v", err)
	}
	if d := diffEnvelope(want, got); d != "" {
		t.Error(d)
	}
}
