package pubsub

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/linkedin/goavro/v2"
	"google.golang.org/grpc"

	"github.com/sfsync/sfsync/salesforce/bitmap"
	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/schemas/avroframe"
)

// Schema is an event schema as GetSchema returns it, parsed once. A
// Schema is read-only and safe for concurrent use.
type Schema struct {
	// ID is the schema id.
	ID string
	// JSON is the Avro schema text.
	JSON string
	// Codec encodes and decodes the schema's records.
	Codec *goavro.Codec
	// ChangeEvent reports a change event schema: a record whose field 0
	// is ChangeEventHeader.
	ChangeEvent bool
	// Fields is the field layout that change event bitmaps index; empty
	// unless ChangeEvent.
	Fields bitmap.Schema

	// unions maps a top-level field with a nullable union ["null", T] of
	// a named type T to T, so Publish can wrap plain values.
	unions map[string]string
	// guard checks payloads before Codec decodes them.
	guard *avroframe.Guard
}

// ParseSchema parses a schema as GetSchema returns it. The client caches
// the result per id; ParseSchema is exported for decoding stored payloads
// offline.
func ParseSchema(id, schemaJSON string) (*Schema, error) {
	codec, err := goavro.NewCodec(schemaJSON)
	if err != nil {
		return nil, fmt.Errorf("parse schema %s: %w", id, err)
	}
	s := &Schema{ID: id, JSON: schemaJSON, Codec: codec, unions: map[string]string{}}
	var rec struct {
		Fields []struct {
			Name string          `json:"name"`
			Type json.RawMessage `json:"type"`
		} `json:"fields"`
	}
	if json.Unmarshal([]byte(schemaJSON), &rec) == nil {
		for i, f := range rec.Fields {
			if i == 0 && f.Name == "ChangeEventHeader" {
				s.ChangeEvent = true
			}
			var branches []json.RawMessage
			if json.Unmarshal(f.Type, &branches) != nil || len(branches) != 2 {
				continue
			}
			var a, b string
			if json.Unmarshal(branches[0], &a) == nil && a == "null" && json.Unmarshal(branches[1], &b) == nil {
				s.unions[f.Name] = b
			}
		}
	}
	if s.guard, err = avroframe.NewGuard(schemaJSON); err != nil {
		return nil, fmt.Errorf("parse schema %s: %w", id, err)
	}
	if s.ChangeEvent {
		if s.Fields, err = bitmap.SchemaFromAvro(schemaJSON); err != nil {
			return nil, fmt.Errorf("parse schema %s: %w", id, err)
		}
	}
	return s, nil
}

// schemaEntry is a cache slot: done is closed when s or err is set.
type schemaEntry struct {
	done chan struct{}
	s    *Schema
	err  error
}

// GetSchema returns the schema with the given id. Schemas are cached by
// id, the [MaxSchemas] used last: each id is fetched once while cached, concurrent callers asking for the same id
// share one GetSchema call, and a failed fetch is not cached. The fetch
// runs detached from ctx's cancellation, bounded by Config.CallTimeout,
// so one caller giving up does not fail the others.
func (c *Client) GetSchema(ctx context.Context, id string) (*Schema, error) {
	c.mu.Lock()
	e, ok := c.schemas.Get(id)
	if !ok {
		e = &schemaEntry{done: make(chan struct{})}
		c.schemas.Add(id, e)
		go c.fetchSchema(context.WithoutCancel(ctx), id, e)
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.s, e.err
	case <-ctx.Done():
		return nil, fmt.Errorf("get schema %s: %w", id, ctx.Err())
	}
}

func (c *Client) fetchSchema(ctx context.Context, id string, e *schemaEntry) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	info, err := unary(ctx, c, func(ctx context.Context, opts ...grpc.CallOption) (*eventbus.SchemaInfo, error) {
		return c.api.GetSchema(ctx, &eventbus.SchemaRequest{SchemaId: id}, opts...)
	})
	if err == nil {
		e.s, err = ParseSchema(id, info.GetSchemaJson())
	}
	if err != nil {
		e.err = fmt.Errorf("get schema %s: %w", id, err)
		c.mu.Lock()
		if cur, ok := c.schemas.Peek(id); ok && cur == e {
			c.schemas.Remove(id)
		}
		c.mu.Unlock()
	}
	close(e.done)
}
