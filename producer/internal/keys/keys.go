package keys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfsync/sfsync/platform/metric"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/salesforce/soql"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// DefaultCapacity is the default number of records whose partition key a
// [Resolver] remembers, over all objects. An entry takes about 50 bytes,
// so a full cache of the default size about 50 MB.
const DefaultCapacity = 1_000_000

// maxQueryBytes bounds the URL-encoded SOQL of one lookup, well under
// the 16,384-byte URI limit of the REST API.
const maxQueryBytes = 12_000

// Querier runs SOQL through the queryAll resource; *rest.Client is one.
type Querier interface {
	QueryAll(ctx context.Context, soql string, opts rest.QueryOptions) (*rest.Rows, error)
}

// Config configures a [Resolver].
type Config struct {
	// Mapping names each object's partition key. Required.
	Mapping *mapping.Mapping
	// Salesforce answers the lookups of records the resolver has not
	// seen. Required.
	Salesforce Querier
	// Capacity is how many records' partition keys are remembered, over
	// all objects; the least recently used are forgotten first. The
	// default is [DefaultCapacity].
	Capacity int
	// Logger receives debug logs of records Salesforce does not know;
	// the default discards them.
	Logger *slog.Logger
	// Registerer receives the resolver's metrics; nil records none.
	Registerer prometheus.Registerer
}

// Resolver sets the partition key of envelopes from what it learnt from
// earlier envelopes or, failing that, from Salesforce. It is safe for
// concurrent use: the streams of a producer share one.
type Resolver struct {
	mapping *mapping.Mapping
	sf      Querier
	log     *slog.Logger
	cache   *cache
	m       *metrics
}

// New returns a Resolver for cfg.
func New(cfg Config) (*Resolver, error) {
	if cfg.Mapping == nil || cfg.Salesforce == nil {
		return nil, errors.New("keys: mapping and salesforce are required")
	}
	if cfg.Capacity < 0 {
		return nil, fmt.Errorf("keys: negative capacity %d", cfg.Capacity)
	}
	if cfg.Capacity == 0 {
		cfg.Capacity = DefaultCapacity
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Resolver{mapping: cfg.Mapping, sf: cfg.Salesforce, log: cfg.Logger}
	// The cache exists before its gauge is registered: a scrape may come
	// at once. Evictions happen only in Resolve, once r.m is set.
	r.cache = newCache(cfg.Capacity, func() { r.m.evicted() })
	r.m = newMetrics(cfg.Registerer, func() float64 { return float64(r.cache.len()) })
	return r, nil
}

// Resolve sets the PartitionKey of each envelope of envs to the value of
// its object's partition key field, or to its record id when the record
// has none, and remembers what the envelopes carry. Records it does not
// know are looked up in Salesforce, in one queryAll per object (split
// when long). Envelopes of objects keyed by their record id, of objects
// the mapping does not name, and GAP_* and overflow envelopes are left
// as they are.
//
// On an error, envelopes may have been changed in part and should not be
// written. An error with Temporary() true (Salesforce unavailable, see
// rest.IsRetryable) may pass if the batch is tried again.
func (r *Resolver) Resolve(ctx context.Context, envs []envelope.Envelope) error {
	var (
		missing = map[string][]int{} // entity -> indexes in envs
		order   []string
	)
	for i := range envs {
		e := &envs[i]
		obj := r.mapping.Object(e.Entity)
		if !keyed(obj) || !lookedUp(e.ChangeType) {
			continue
		}
		if key, ok := carried(obj, e); ok {
			r.cache.put(e.Entity, e.RecordID, key, true)
			r.set(e, key, sourceEvent)
			continue
		}
		if key, ok := r.cache.get(e.Entity, e.RecordID); ok {
			r.set(e, key, sourceCache)
			continue
		}
		if _, ok := missing[e.Entity]; !ok {
			order = append(order, e.Entity)
		}
		missing[e.Entity] = append(missing[e.Entity], i)
	}
	for _, entity := range order {
		idx := missing[entity]
		obj := r.mapping.Object(entity)
		var ids []string
		seen := map[string]bool{}
		for _, i := range idx {
			if id := envs[i].RecordID; !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		found, err := r.lookup(ctx, obj, ids)
		if err != nil {
			return err
		}
		var unknown []string
		for _, i := range idx {
			e := &envs[i]
			key, ok := found[e.RecordID]
			if !ok {
				unknown = append(unknown, e.RecordID)
				r.set(e, "", sourceUnknown)
				continue
			}
			// An envelope later in the batch may have taught the cache
			// a newer value; keep it.
			r.cache.put(entity, e.RecordID, key, false)
			r.set(e, key, sourceSalesforce)
		}
		if len(unknown) > 0 {
			r.log.DebugContext(ctx, "records unknown to Salesforce keyed by their record id", "entity", entity, "record_ids", unknown)
		}
	}
	return nil
}

// Sources of a partition key, for the resolved metric.
const (
	sourceEvent      = "event"
	sourceCache      = "cache"
	sourceSalesforce = "salesforce"
	sourceUnknown    = "unknown"
)

func (r *Resolver) set(e *envelope.Envelope, key, source string) {
	if key == "" {
		key = e.RecordID
	}
	e.PartitionKey = key
	r.m.resolved(e.Entity, source)
}

// keyed reports whether obj's records are keyed by a field other than
// their key, so that their partition key must be resolved.
func keyed(obj *mapping.Object) bool {
	return obj != nil && obj.PartitionField() != nil && !strings.EqualFold(obj.PartitionKey, obj.Key)
}

// lookedUp reports whether envelopes of change type t are resolved:
// GAP_* and overflow envelopes are not, as they describe no values and
// the reconciler re-reads their records.
func lookedUp(t envelope.ChangeType) bool {
	switch t {
	case envelope.ChangeCreate, envelope.ChangeUpdate, envelope.ChangeDelete, envelope.ChangeUndelete:
		return true
	}
	return false
}

// carried returns the partition key that e carries ("" when the field
// is null or empty) and whether it carries one. A change event's CREATE
// or UNDELETE carries every field that is set, so one without the field
// says the field is null; platform events (/event/...) may not carry it
// at all.
func carried(obj *mapping.Object, e *envelope.Envelope) (string, bool) {
	if v, ok := e.Values[obj.PartitionField().Name]; ok {
		return value(v), true
	}
	createLike := e.ChangeType == envelope.ChangeCreate || e.ChangeType == envelope.ChangeUndelete
	return "", createLike && !strings.HasPrefix(e.SourceChannel, "/event/")
}

// value returns the partition key of a field value: its text, or "" for
// null, empty and non-text values, which key by the record id as
// normalize does.
func value(v envelope.Value) string {
	s, _ := v.AsString()
	return s
}

// lookup returns the partition keys of ids ("" for none) that Salesforce
// knows, deleted records included.
func (r *Resolver) lookup(ctx context.Context, obj *mapping.Object, ids []string) (map[string]string, error) {
	field := obj.PartitionField().Name
	found := make(map[string]string, len(ids))
	for len(ids) > 0 {
		n, size := 0, 0
		for n < len(ids) {
			size += len(url.QueryEscape(soql.Quote(ids[n]) + ", "))
			if n > 0 && size > maxQueryBytes {
				break
			}
			n++
		}
		chunk := ids[:n]
		ids = ids[n:]
		values := make([]soql.Value, len(chunk))
		for i, id := range chunk {
			values[i] = soql.String(id)
		}
		q := soql.Query{Fields: []string{obj.Key, field}, Object: obj.Name, Where: soql.In(obj.Key, values...)}
		text, err := q.Build()
		if err != nil {
			return nil, fmt.Errorf("partition keys of %s: %w", obj.Name, err)
		}
		r.m.lookedUp(obj.Name)
		rows, err := r.sf.QueryAll(ctx, text, rest.QueryOptions{})
		if err != nil {
			return nil, lookupError(obj.Name, len(chunk), err)
		}
		for rows.Next() {
			rec := rows.Record()
			id, _ := rec.String(obj.Key)
			v, _ := rec.Get(field)
			s, _ := v.(string)
			found[id] = s
		}
		if err := rows.Err(); err != nil {
			return nil, lookupError(obj.Name, len(chunk), err)
		}
	}
	return found, nil
}

// Error is a failed lookup of partition keys in Salesforce.
type Error struct {
	// Entity is the object looked up.
	Entity string
	// Records is how many records were looked up.
	Records int
	// Err is the REST client's error.
	Err error
}

func lookupError(entity string, n int, err error) *Error {
	return &Error{Entity: entity, Records: n, Err: err}
}

func (e *Error) Error() string {
	return fmt.Sprintf("partition keys of %d %s records: %v", e.Records, e.Entity, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether the lookup may succeed if tried again: the
// REST client's retries ran out on a failure that rest.IsRetryable
// deems transient.
func (e *Error) Temporary() bool { return rest.IsRetryable(e.Err) }

// metrics are the resolver's Prometheus metrics; a nil *metrics records
// nothing.
type metrics struct {
	evictions prometheus.Counter
	lookups   *prometheus.CounterVec
	resolves  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, size func() float64) *metrics {
	if reg == nil {
		return nil
	}
	m := &metrics{
		evictions: metric.Counter("sfsync_producer_partition_key_cache_evictions_total",
			"Records whose partition key was forgotten to make room for another (least recently used first)."),
		lookups: metric.CounterVec("sfsync_producer_partition_key_lookups_total",
			"Salesforce queries (queryAll) for the partition keys of records not in the cache, by object.", "entity"),
		resolves: metric.CounterVec("sfsync_producer_partition_keys_resolved_total",
			"Envelopes given their record's partition key, by object and source: event (carried), cache, salesforce (looked up), unknown (Salesforce does not know the record: keyed by its id).", "entity", "source"),
	}
	entries := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sfsync_producer_partition_key_cache_entries",
		Help: "Records whose partition key the producer remembers.",
	}, size)
	reg.MustRegister(m.evictions, m.lookups, m.resolves, entries)
	return m
}

func (m *metrics) evicted() {
	if m != nil {
		m.evictions.Inc()
	}
}

func (m *metrics) lookedUp(entity string) {
	if m != nil {
		m.lookups.WithLabelValues(entity).Inc()
	}
}

func (m *metrics) resolved(entity, source string) {
	if m != nil {
		m.resolves.WithLabelValues(entity, source).Inc()
	}
}
