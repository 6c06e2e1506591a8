package app

import (
	"context"
	"time"

	"github.com/sfsync/sfsync/reconciler/internal/compact"
	"github.com/sfsync/sfsync/reconciler/internal/config"
	"github.com/sfsync/sfsync/reconciler/internal/diff"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// Compactor returns the worker that keeps the compacted latest-state
// topics, or nil when cfg disables them.
func Compactor(d *Deps, cfg *config.Config) func(context.Context) error {
	if cfg.Compact.Enabled == nil || !*cfg.Compact.Enabled {
		return nil
	}
	return func(ctx context.Context) error {
		c, err := compact.New(compact.Config{
			Mapping: d.Mapping, DB: d.DB, Codec: d.Codec, Brokers: d.Brokers, OrgID: d.OrgID,
			Transport: d.Transport, Suffix: cfg.Kafka.CompactedSuffix, Logger: d.Logger, Registerer: d.Registry,
		})
		if err != nil {
			return err
		}
		return c.Run(ctx)
	}
}

// VerifyCompacted compares the compacted latest-state topics, read from
// the beginning, with Salesforce's live records: it reports, and never
// repairs (the topics follow PostgreSQL, which [Verify] repairs).
func VerifyCompacted(ctx context.Context, d *Deps, cfg *config.Config, o VerifyOptions) ([]*diff.Result, error) {
	objs, err := Objects(d.Mapping, o.Objects)
	if err != nil {
		return nil, err
	}
	src := compact.Source{Brokers: d.Brokers, Dialer: d.Dialer, Codec: d.Codec, Suffix: cfg.Kafka.CompactedSuffix}
	var out []*diff.Result
	for _, obj := range objs {
		r := &diff.Result{Object: obj.Name, Mode: diff.ModeFull, DryRun: true, Started: time.Now()}
		if err := compareCompacted(ctx, d, src, obj, r); err != nil {
			r.Error = err.Error()
		}
		r.Duration = time.Since(r.Started)
		out = append(out, r)
	}
	return out, nil
}

func compareCompacted(ctx context.Context, d *Deps, src compact.Source, obj *mapping.Object, r *diff.Result) error {
	latest, err := compact.ReadAll(ctx, src, obj)
	if err != nil {
		return err
	}
	for row, err := range d.source().Query(ctx, obj, "", false) {
		if err != nil {
			return err
		}
		r.Compared++
		got, ok := latest[row.ID]
		delete(latest, row.ID)
		if !ok {
			r.Missing++
			r.Differences = append(r.Differences, diff.Difference{ID: row.ID, Kind: diff.Missing})
			continue
		}
		var fields []diff.FieldDiff
		for _, f := range obj.Fields {
			if f.Name == obj.Key {
				continue
			}
			want, have := row.Values[f.Name], got[f.Name]
			if !sameValue(want, have) {
				fd := diff.FieldDiff{Field: f.Name, Postgres: have.String(), Salesforce: want.String()}
				if f.Sensitive {
					fd.Postgres, fd.Salesforce = diff.Hidden, diff.Hidden
				}
				fields = append(fields, fd)
			}
		}
		if len(fields) > 0 {
			r.Different++
			r.Differences = append(r.Differences, diff.Difference{ID: row.ID, Kind: diff.Different, Fields: fields})
		}
	}
	for id := range latest {
		r.Compared++
		r.Extra++
		r.Differences = append(r.Differences, diff.Difference{ID: id, Kind: diff.Extra})
	}
	return nil
}

// sameValue compares values as the columns hold them: decimals by value,
// whatever their scale (PostgreSQL pads numeric(p,s) to s digits).
func sameValue(a, b envelope.Value) bool {
	if da, ok := a.AsDecimal(); ok {
		if db, ok := b.AsDecimal(); ok {
			return da.Cmp(db) == 0
		}
	}
	return a.Equal(b)
}
