package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/sfsync/sfsync/platform/metric"
	"github.com/sfsync/sfsync/reconciler/internal/config"
	"github.com/sfsync/sfsync/reconciler/internal/diff"
	"github.com/sfsync/sfsync/reconciler/internal/poll"
	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/reconciler/internal/refetch"
	"github.com/sfsync/sfsync/reconciler/internal/source"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// Deps are the reconciler's connections, built once by main.
type Deps struct {
	Mapping   *mapping.Mapping
	OrgID     string
	REST      *rest.Client
	DB        *pgxpool.Pool
	Brokers   []string
	Dialer    *kafka.Dialer
	Transport kafka.RoundTripper
	// Writer publishes corrective envelopes (see publish.NewWriter).
	Writer   *kafka.Writer
	Codec    *envelope.Codec
	Logger   *slog.Logger
	Registry prometheus.Registerer

	tooLargeOnce sync.Once
	tooLarge     *prometheus.CounterVec
}

// publisher returns a Publisher of corrective envelopes with origin; one
// Kafka refuses as too large is logged and counted in
// sfsync_reconciler_envelopes_too_large_total, then skipped.
func (d *Deps) publisher(origin string) *publish.Publisher {
	d.tooLargeOnce.Do(func() {
		d.tooLarge = metric.CounterVec("sfsync_reconciler_envelopes_too_large_total",
			"Corrective envelopes Kafka refused as larger than their topic's max.message.bytes, and skipped, by object.", "object")
		if d.Registry != nil {
			d.Registry.MustRegister(d.tooLarge)
		}
	})
	p := publish.New(d.Writer, d.Codec, d.OrgID, origin)
	p.OnTooLarge = func(c publish.Change, bytes int) {
		d.tooLarge.WithLabelValues(c.Object.Name).Inc()
		d.Logger.Error("corrective envelope larger than its topic takes; skipped (raise the topic's max.message.bytes, or the record stays out of step)",
			"origin", origin, "object", c.Object.Name, "record", c.RecordID, "topic", c.Object.KafkaTopic, "bytes", bytes)
	}
	return p
}

func (d *Deps) source() *source.Reader { return &source.Reader{REST: d.REST} }

// VerifyOptions choose what [Verify] does.
type VerifyOptions struct {
	// Full compares every record; otherwise those changed within Window.
	Full   bool
	Window time.Duration
	// Objects restricts the verify to these objects; empty: every object
	// of the mapping.
	Objects []string
	// DryRun reports without publishing repairs.
	DryRun bool
	// Grace is how long a difference may take to be fixed by the stream.
	Grace time.Duration
	// MaxDeletes caps the deletes of one object's repair (see
	// diff.Config.MaxDeletes).
	MaxDeletes int
	// Metrics records the verify; nil records nothing.
	Metrics *diff.Metrics
}

// WithDefaults returns o with the configuration's values where o leaves
// them out: the window (verify.window), the grace period (verify.grace,
// always) and the cap on deletes (max_deletes_per_pass).
func (o VerifyOptions) WithDefaults(cfg *config.Config) VerifyOptions {
	if o.Window == 0 {
		o.Window = cfg.Verify.Window
	}
	o.Grace = cfg.Verify.Grace
	if o.MaxDeletes == 0 {
		o.MaxDeletes = cfg.MaxDeletesPerPass
	}
	return o
}

// Objects returns the mapping's objects named by names (all when empty),
// or an error naming the unknown ones.
func Objects(m *mapping.Mapping, names []string) ([]*mapping.Object, error) {
	if len(names) == 0 {
		return m.Objects, nil
	}
	var out []*mapping.Object
	var unknown []string
	for _, n := range names {
		if o := m.Object(n); o != nil {
			out = append(out, o)
		} else {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("objects not in the mapping %s: %v", m.File, unknown)
	}
	return out, nil
}

// Verify compares PostgreSQL with Salesforce and, unless DryRun, repairs
// what differs by publishing corrective envelopes.
func Verify(ctx context.Context, d *Deps, o VerifyOptions) ([]*diff.Result, error) {
	objs, err := Objects(d.Mapping, o.Objects)
	if err != nil {
		return nil, err
	}
	differ := diff.New(d.DB, d.source(), diff.Config{
		Grace: o.Grace, Publisher: d.publisher("reconciler/verify"), DryRun: o.DryRun,
		MaxDeletes: o.MaxDeletes, Metrics: o.Metrics, Logger: d.Logger,
	})
	mode, since := diff.ModeIncremental, time.Now().Add(-o.Window)
	if o.Full {
		mode = diff.ModeFull
	}
	return differ.Verify(ctx, objs, mode, since), nil
}

// ServeOptions tune [Serve].
type ServeOptions struct {
	// VerifyInterval is the time between incremental verifies of the
	// streamed objects; 0 disables the loop.
	VerifyInterval time.Duration
	// VerifyWindow is how far back an incremental verify looks.
	VerifyWindow time.Duration
	// FullEvery is the time between full verifies; 0 disables them.
	FullEvery time.Duration
	// Grace is the verify's grace period.
	Grace time.Duration
	// Repair publishes repairs for the drift the loop finds.
	Repair bool
	// MaxDeletes caps the deletes of one pass over an object, by a
	// repair or a hard-delete check.
	MaxDeletes int
	// RefetchTopic, ReconcileTopic and GroupID configure the re-fetch
	// worker.
	RefetchTopic, ReconcileTopic, GroupID string
	// PollInterval and HardDeleteEvery configure the poll-only worker.
	PollInterval    time.Duration
	HardDeleteEvery int
	// Compact, when set, runs the compacted latest-state topics.
	Compact func(ctx context.Context) error
}

// ServeOptionsFrom returns the [ServeOptions] cfg sets, all but Compact
// (see [Compactor]).
func ServeOptionsFrom(cfg *config.Config) ServeOptions {
	return ServeOptions{
		VerifyInterval: cfg.Verify.Interval, VerifyWindow: cfg.Verify.Window, FullEvery: *cfg.Verify.FullEvery,
		Grace: cfg.Verify.Grace, Repair: *cfg.Verify.Repair, MaxDeletes: cfg.MaxDeletesPerPass,
		RefetchTopic: cfg.Kafka.RefetchTopic, ReconcileTopic: cfg.Kafka.ReconcileTopic, GroupID: cfg.Kafka.Group,
		PollInterval: cfg.Poll.Interval, HardDeleteEvery: cfg.Poll.DeleteCheckEvery,
	}
}

// Serve runs the reconciler service until ctx ends: the re-fetch worker
// (GAP markers and the producer's reconcile requests), the poll-only
// objects, the compacted topics and the verify loop. A worker's failure
// stops the others and is returned.
func Serve(ctx context.Context, d *Deps, o ServeOptions) error {
	metrics := diff.NewMetrics(d.Registry)
	streamed := streamedObjects(d.Mapping)
	// Full verifies and the repairs asked for by the producer run one at a
	// time.
	full := make(chan struct{}, 1)
	full <- struct{}{}
	repairAll := func(ctx context.Context, objs []*mapping.Object, reason string) error {
		select {
		case <-full:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { full <- struct{}{} }()
		d.Logger.Info("full verify and repair", "reason", reason, "objects", len(objs))
		differ := diff.New(d.DB, d.source(), diff.Config{Grace: o.Grace, Publisher: d.publisher("reconciler/repair"), MaxDeletes: o.MaxDeletes, Metrics: metrics, Logger: d.Logger})
		var errs []error
		for _, r := range differ.Verify(ctx, objs, diff.ModeFull, time.Time{}) {
			if r.Error != "" {
				errs = append(errs, fmt.Errorf("%s: %s", r.Object, r.Error))
			}
		}
		return errors.Join(errs...)
	}
	rf, err := refetch.New(refetch.Config{
		Mapping: d.Mapping, Source: d.source(), Publisher: d.publisher("reconciler/refetch"), Codec: d.Codec,
		Reconcile: repairAll, Brokers: d.Brokers, Dialer: d.Dialer, Transport: d.Transport,
		GroupID: o.GroupID, RefetchTopic: o.RefetchTopic, ReconcileTopic: o.ReconcileTopic,
		Logger: d.Logger, Registerer: d.Registry,
	})
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return rf.Run(ctx) })
	if hasPolled(d.Mapping) {
		p, err := poll.New(poll.Config{
			Mapping: d.Mapping, Source: d.source(), Publisher: d.publisher(envelope.PollOrigin), DB: d.DB,
			Interval: o.PollInterval, HardDeleteEvery: o.HardDeleteEvery, MaxDeletes: o.MaxDeletes, Logger: d.Logger, Registerer: d.Registry,
		})
		if err != nil {
			return err
		}
		g.Go(func() error { return p.Run(ctx) })
	}
	if o.Compact != nil {
		g.Go(func() error { return o.Compact(ctx) })
	}
	if o.VerifyInterval > 0 && len(streamed) > 0 {
		g.Go(func() error {
			var pub diff.Publisher
			if o.Repair {
				pub = d.publisher("reconciler/verify")
			}
			differ := diff.New(d.DB, d.source(), diff.Config{Grace: o.Grace, Publisher: pub, DryRun: !o.Repair, MaxDeletes: o.MaxDeletes, Metrics: metrics, Logger: d.Logger})
			lastFull := time.Now()
			tick := time.NewTicker(o.VerifyInterval)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return nil
				case <-tick.C:
				}
				if o.FullEvery > 0 && time.Since(lastFull) >= o.FullEvery {
					lastFull = time.Now()
					if err := repairAll(ctx, streamed, "scheduled full verify"); err != nil && ctx.Err() == nil {
						d.Logger.Warn("full verify failed", "err", err)
					}
					continue
				}
				for _, r := range differ.Verify(ctx, streamed, diff.ModeIncremental, time.Now().Add(-o.VerifyWindow)) {
					switch {
					case r.Error != "" && ctx.Err() == nil:
						d.Logger.Warn("incremental verify failed", "object", r.Object, "err", r.Error)
					case r.Drift() > 0:
						d.Logger.Warn("drift found", "object", r.Object, "missing", r.Missing, "extra", r.Extra,
							"different", r.Different, "repaired", r.Repaired)
					}
				}
			}
		})
	}
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func streamedObjects(m *mapping.Mapping) []*mapping.Object {
	var out []*mapping.Object
	for _, o := range m.Objects {
		if o.Sync == mapping.SyncStream {
			out = append(out, o)
		}
	}
	return out
}

func hasPolled(m *mapping.Mapping) bool { return len(streamedObjects(m)) < len(m.Objects) }
