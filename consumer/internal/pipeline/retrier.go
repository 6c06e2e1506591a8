package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sfsync/sfsync/platform/retry"
)

// retrier retries the steps of a batch: each attempt that fails with a
// transient error is retried after a backoff with jitter, first about
// first and doubled up to 30s, and counted in the retries metric.
type retrier struct {
	first time.Duration
	log   *slog.Logger
	m     *Metrics
}

// permanent wraps an error that retrying cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }

func (p permanent) Unwrap() error { return p.err }

// do runs fn until it succeeds, returns a permanent error, or ctx ends;
// what names the step in the logs and in the error returned when ctx
// ends.
func (r *retrier) do(ctx context.Context, what string, fn func(context.Context) error) error {
	wait := retry.Halves(r.first, 0)
	for {
		err := fn(ctx)
		var p permanent
		if err == nil || errors.As(err, &p) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if r.m != nil {
			r.m.retries.Inc()
		}
		d := wait.Next()
		r.log.Warn("transient failure; retrying", "step", what, "in", d, "err", err)
		if retry.Sleep(ctx, d) != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}
