package emu

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/linkedin/goavro/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/sfsync/sfsync/salesforce/bitmap"
	"github.com/sfsync/sfsync/salesforce/eventbus"
)

// batch is the number of events Tail keeps requested: the most the
// Pub/Sub API allows per FetchRequest.
const batch = 100

// TailConfig configures [Tail].
type TailConfig struct {
	// Addr is the Pub/Sub API address, e.g. "127.0.0.1:7011".
	Addr string
	// Token is the access token.
	Token Secret
	// InstanceURL is sent as the instanceurl header, e.g.
	// "http://127.0.0.1:7012".
	InstanceURL string
	// OrgID is sent as the tenantid header.
	OrgID string
	// Topic is the topic, e.g. "/data/AccountChangeEvent".
	Topic string
	// Replay is "latest" (new events only) or "earliest" (the retention
	// window first).
	Replay string
	// TLS dials with TLS; InsecureSkipVerify accepts any certificate, such
	// as sfemu's self-signed one.
	TLS, InsecureSkipVerify bool
	// Count stops after this many events; 0 tails until ctx ends.
	Count int
}

// Tail subscribes to tc.Topic with the generated Pub/Sub API stubs and
// writes one line per event to out: for a change event its replay id,
// changeType, entity, record ids, changed and nulled fields (decoded from
// the bitmaps with the schema from GetSchema) and a few values; for a
// platform event its name and non-null fields. It keeps 100 events
// requested, topping up when half have arrived. It returns nil when ctx
// ends or Count events were printed.
func Tail(ctx context.Context, tc TailConfig, out io.Writer) error {
	var preset eventbus.ReplayPreset
	switch tc.Replay {
	case "", "latest":
		preset = eventbus.ReplayPreset_LATEST
	case "earliest":
		preset = eventbus.ReplayPreset_EARLIEST
	default:
		return fmt.Errorf("tail: replay %q: want latest or earliest", tc.Replay)
	}
	creds := insecure.NewCredentials()
	if tc.TLS {
		creds = credentials.NewTLS(&tls.Config{InsecureSkipVerify: tc.InsecureSkipVerify, MinVersion: tls.VersionTLS12}) //nolint:gosec // opt-in for sfemu's self-signed certificate
	}
	conn, err := grpc.NewClient(tc.Addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return fmt.Errorf("tail: dial %s: %w", tc.Addr, err)
	}
	defer conn.Close()
	client := eventbus.NewPubSubClient(conn)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "accesstoken", string(tc.Token), "instanceurl", tc.InstanceURL, "tenantid", tc.OrgID)

	stream, err := client.Subscribe(ctx)
	if err != nil {
		return tailErr(ctx, fmt.Errorf("tail: subscribe: %w", err))
	}
	if err := stream.Send(&eventbus.FetchRequest{TopicName: tc.Topic, ReplayPreset: preset, NumRequested: batch}); err != nil {
		return tailErr(ctx, fmt.Errorf("tail: subscribe: %w", err))
	}
	dec := &decoder{ctx: ctx, client: client, schemas: map[string]*schema{}}
	owed, printed := batch, 0
	for {
		resp, err := stream.Recv()
		if err != nil {
			return tailErr(ctx, fmt.Errorf("tail %s: %w", tc.Topic, err))
		}
		for _, ev := range resp.GetEvents() {
			line, err := dec.line(ev)
			if err != nil {
				return fmt.Errorf("tail %s: %w", tc.Topic, err)
			}
			if _, err := fmt.Fprintln(out, line); err != nil {
				return fmt.Errorf("tail: %w", err)
			}
			printed++
			if tc.Count > 0 && printed >= tc.Count {
				return nil
			}
		}
		owed -= len(resp.GetEvents())
		if owed <= batch/2 {
			if err := stream.Send(&eventbus.FetchRequest{TopicName: tc.Topic, NumRequested: int32(batch - owed)}); err != nil {
				return tailErr(ctx, fmt.Errorf("tail: request more: %w", err))
			}
			owed = batch
		}
	}
}

// tailErr returns nil when ctx ended, err otherwise.
func tailErr(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	return nil
}

// schema is a writer schema with its codec and bitmap layout.
type schema struct {
	codec  *goavro.Codec
	fields bitmap.Schema
	name   string
}

type decoder struct {
	ctx     context.Context
	client  eventbus.PubSubClient
	schemas map[string]*schema
}

func (d *decoder) schema(id string) (*schema, error) {
	if s, ok := d.schemas[id]; ok {
		return s, nil
	}
	info, err := d.client.GetSchema(d.ctx, &eventbus.SchemaRequest{SchemaId: id})
	if err != nil {
		return nil, fmt.Errorf("get schema %s: %w", id, err)
	}
	codec, err := goavro.NewCodec(info.GetSchemaJson())
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", id, err)
	}
	fields, err := bitmap.SchemaFromAvro(info.GetSchemaJson())
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", id, err)
	}
	var top struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(info.GetSchemaJson()), &top); err != nil {
		return nil, fmt.Errorf("schema %s: %w", id, err)
	}
	s := &schema{codec: codec, fields: fields, name: top.Name}
	d.schemas[id] = s
	return s, nil
}

// line formats one event.
func (d *decoder) line(ev *eventbus.ConsumerEvent) (string, error) {
	s, err := d.schema(ev.GetEvent().GetSchemaId())
	if err != nil {
		return "", err
	}
	native, _, err := s.codec.NativeFromBinary(ev.GetEvent().GetPayload())
	if err != nil {
		return "", fmt.Errorf("decode event %s: %w", ev.GetEvent().GetId(), err)
	}
	rec, _ := native.(map[string]any)
	replay := hex.EncodeToString(ev.GetReplayId())
	h, isChange := rec["ChangeEventHeader"].(map[string]any)
	if !isChange {
		var b strings.Builder
		fmt.Fprintf(&b, "replay=%s event %s id=%s", replay, s.name, ev.GetEvent().GetId())
		for _, f := range s.fields.Fields {
			if v := unwrap(rec[f.Name]); v != nil && f.Name != "CreatedDate" && f.Name != "CreatedById" {
				fmt.Fprintf(&b, " %s=%v", f.Name, v)
			}
		}
		return b.String(), nil
	}
	changed, err := bitmap.Decode(s.fields, stringList(h["changedFields"]))
	if err != nil {
		return "", fmt.Errorf("changedFields: %w", err)
	}
	nulled, err := bitmap.Decode(s.fields, stringList(h["nulledFields"]))
	if err != nil {
		return "", fmt.Errorf("nulledFields: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "replay=%s %s %s %s", replay, unwrap(h["changeType"]), h["entityName"], strings.Join(stringList(h["recordIds"]), ","))
	if len(changed) > 0 {
		fmt.Fprintf(&b, " changed=%s", strings.Join(changed, ","))
	}
	if len(nulled) > 0 {
		fmt.Fprintf(&b, " nulled=%s", strings.Join(nulled, ","))
	}
	// A few values: the changed ones for an update, the first ones
	// otherwise.
	shown := 0
	for _, f := range s.fields.Fields[1:] {
		if shown == 4 {
			b.WriteString(" …")
			break
		}
		if len(changed) > 0 && !slices.ContainsFunc(changed, func(c string) bool { return c == f.Name || strings.HasPrefix(c, f.Name+".") }) {
			continue
		}
		switch f.Name {
		case "LastModifiedDate", "LastModifiedById", "CreatedDate", "CreatedById":
			continue
		}
		v := unwrap(rec[f.Name])
		if v == nil {
			continue
		}
		if m, ok := v.(map[string]any); ok { // a compound field: its non-null components
			var parts []string
			for _, c := range f.Components {
				if cv := unwrap(m[c]); cv != nil {
					parts = append(parts, fmt.Sprint(cv))
				}
			}
			v = strings.Join(parts, ", ")
		}
		fmt.Fprintf(&b, " %s=%q", f.Name, fmt.Sprint(v))
		shown++
	}
	return b.String(), nil
}

// unwrap returns the value of a goavro union such as {"string": v}, or v.
func unwrap(v any) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for _, x := range m {
			return x
		}
	}
	return v
}

// stringList converts a decoded Avro array of strings.
func stringList(v any) []string {
	a, _ := v.([]any)
	out := make([]string, 0, len(a))
	for _, x := range a {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
