package watermark

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfsync/sfsync/schemas/mapping"
)

// Pass runs one pass of a worker over its objects.
type Pass struct {
	// Failures counts the objects whose step failed, by entity (its one
	// label). Required.
	Failures *prometheus.CounterVec
	// Log logs each failure at error level. Required.
	Log *slog.Logger
	// Message is the log message of a failure, logged with the object's
	// name and the error.
	Message string
}

// Run runs step for each object in turn. A failed step is counted,
// logged and does not stop the others; Run returns the errors joined, or
// ctx's error at once when a step fails after ctx ended.
func (p Pass) Run(ctx context.Context, objs []*mapping.Object, step func(context.Context, *mapping.Object) error) error {
	var errs []error
	for _, o := range objs {
		err := step(ctx, o)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.Failures.WithLabelValues(o.Name).Inc()
		p.Log.Error(p.Message, "object", o.Name, "err", err)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Every runs pass at once and then every interval until ctx ends. The
// passes' errors are dropped: a pass logs its own failures, and the next
// one retries.
func Every(ctx context.Context, interval time.Duration, pass func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		_ = pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// A tick and the end may come together; select picks either.
			if ctx.Err() != nil {
				return
			}
		}
	}
}
