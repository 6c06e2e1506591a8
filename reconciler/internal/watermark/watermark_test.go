package watermark

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/schemas/mapping"
)

var t0 = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

// TestTable checks reading, storing and forgetting watermarks in
// PostgreSQL, with and without KeepGreatest.
func TestTable(t *testing.T) {
	t.Parallel()
	pool := harness.NewPostgres(t).Pool()
	ctx := context.Background()
	for _, tc := range []struct {
		scenario     string
		spec         Spec
		key          []any
		keepGreatest bool
	}{
		{scenario: "one key, replace", spec: Spec{Name: "marks_one", Keys: []string{"object"}, Column: "high_water"}, key: []any{"Account"}},
		{scenario: "two keys, keep greatest", spec: Spec{Name: "marks_two", Keys: []string{"object", "topic"}, Column: "watermark", KeepGreatest: true},
			key: []any{"Account", "accounts.latest"}, keepGreatest: true},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			tbl := NewTable(pool, tc.spec)
			if got, err := tbl.Read(ctx, tc.key...); err != nil || !got.IsZero() {
				t.Fatalf("Read of an empty table = %v, %v; want zero", got, err)
			}
			if err := tbl.Store(ctx, t0.Add(time.Minute), tc.key...); err != nil {
				t.Fatal(err)
			}
			if err := tbl.Store(ctx, t0, tc.key...); err != nil {
				t.Fatal(err)
			}
			want := t0
			if tc.keepGreatest {
				want = t0.Add(time.Minute)
			}
			if got, err := tbl.Read(ctx, tc.key...); err != nil || !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("Read = %v, %v; want %v in UTC", got, err, want)
			}
			// Another Table over the same rows sees them: they are stored.
			if got, err := NewTable(pool, tc.spec).Read(ctx, tc.key...); err != nil || !got.Equal(want) {
				t.Errorf("Read by a new Table = %v, %v; want %v", got, err, want)
			}
			if err := tbl.Forget(ctx, "nope", "x"); err == nil {
				t.Error("Forget by a column that is no key succeeded")
			}
			if err := tbl.Forget(ctx, tc.spec.Keys[len(tc.spec.Keys)-1], tc.key[len(tc.key)-1]); err != nil {
				t.Fatal(err)
			}
			if got, err := tbl.Read(ctx, tc.key...); err != nil || !got.IsZero() {
				t.Errorf("Read after Forget = %v, %v; want zero", got, err)
			}
		})
	}
}

// TestAdvance checks that a Mark loads once, moves only forward, and
// remembers the records published within the overlap.
func TestAdvance(t *testing.T) {
	t.Parallel()
	pool := harness.NewPostgres(t).Pool()
	ctx := context.Background()
	tbl := NewTable(pool, Spec{Name: "marks", Keys: []string{"object"}, Column: "at"})
	overlap := 10 * time.Second
	var m Mark
	if err := tbl.Load(ctx, &m, "A"); err != nil || !m.At.IsZero() || !m.From(overlap).IsZero() {
		t.Fatalf("Load of a new key: %v, At %v", err, m.At)
	}
	moved, err := tbl.Advance(ctx, &m, t0, map[string]time.Time{"old": t0.Add(-overlap), "new": t0.Add(-time.Second)}, overlap, "A")
	if err != nil || !moved || !m.At.Equal(t0) {
		t.Fatalf("Advance = %v, %v; At %v, want moved to %v", moved, err, m.At, t0)
	}
	if !m.From(overlap).Equal(t0.Add(-overlap)) {
		t.Errorf("From = %v, want %v", m.From(overlap), t0.Add(-overlap))
	}
	if m.Published("old", t0.Add(-overlap)) {
		t.Error("a record stamped a whole overlap before the watermark is still remembered")
	}
	if !m.Published("new", t0.Add(-time.Second)) || m.Published("new", t0) {
		t.Error("a record within the overlap is not remembered with its stamp")
	}
	moved, err = tbl.Advance(ctx, &m, t0.Add(-time.Minute), nil, overlap, "A")
	if err != nil || moved || !m.At.Equal(t0) {
		t.Errorf("Advance backwards = %v, %v; At %v, want unmoved at %v", moved, err, m.At, t0)
	}
	// A Mark loaded already is not read again; a reset one is.
	if err := tbl.Store(ctx, t0.Add(time.Hour), "A"); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Load(ctx, &m, "A"); err != nil || !m.At.Equal(t0) {
		t.Errorf("Load of a loaded Mark: %v, At %v; want %v", err, m.At, t0)
	}
	m.Reset()
	if err := tbl.Load(ctx, &m, "A"); err != nil || !m.At.Equal(t0.Add(time.Hour)) || m.Published("new", t0.Add(-time.Second)) {
		t.Errorf("Load after Reset: %v, At %v; want %v and nothing remembered", err, m.At, t0.Add(time.Hour))
	}
}

// TestPass checks that a failed object is counted and logged and does
// not stop the others, and that a failure after the context ended stops
// the pass.
func TestPass(t *testing.T) {
	t.Parallel()
	objs := []*mapping.Object{{Name: "A"}, {Name: "B"}, {Name: "C"}}
	errB := errors.New("b failed")
	for _, tc := range []struct {
		scenario string
		cancel   bool
		wantRun  string
		wantErr  error
		failures float64
	}{
		{scenario: "one fails", wantRun: "ABC", wantErr: errB, failures: 1},
		{scenario: "context ended", cancel: true, wantRun: "AB", wantErr: context.Canceled, failures: 0},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			failures := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "failures_total"}, []string{"entity"})
			var logs bytes.Buffer
			pass := Pass{Failures: failures, Log: slog.New(slog.NewTextHandler(&logs, nil)), Message: "step failed"}
			var ran strings.Builder
			err := pass.Run(ctx, objs, func(_ context.Context, o *mapping.Object) error {
				ran.WriteString(o.Name)
				if o.Name == "B" {
					if tc.cancel {
						cancel()
					}
					return errB
				}
				return nil
			})
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("Run = %v, want %v", err, tc.wantErr)
			}
			if ran.String() != tc.wantRun {
				t.Errorf("ran %s, want %s", ran.String(), tc.wantRun)
			}
			if got := testutil.ToFloat64(failures.WithLabelValues("B")); got != tc.failures {
				t.Errorf("failures of B = %v, want %v", got, tc.failures)
			}
			if logged := strings.Contains(logs.String(), "msg=\"step failed\" object=B"); logged != (tc.failures > 0) {
				t.Errorf("log %q: failure logged %v, want %v", logs.String(), logged, tc.failures > 0)
			}
		})
	}
}

// TestEvery checks that Every runs a pass at once, again after the
// interval, and returns when its context ends.
func TestEvery(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	passes := 0
	go func() {
		defer close(done)
		Every(ctx, time.Millisecond, func(context.Context) error {
			passes++
			if passes == 3 {
				cancel()
			}
			return errors.New("logged by the pass")
		})
	}()
	<-done
	if passes != 3 {
		t.Errorf("%d passes, want 3", passes)
	}
}

func TestRequired(t *testing.T) {
	t.Parallel()
	if err := Required("w", Need("a", true), Need("b", true)); err != nil {
		t.Fatalf("all set: %v, want nil", err)
	}
	err := Required("w", Need("a", true), Need("b", false), Need("c", false))
	if err == nil || err.Error() != "w: no b" {
		t.Fatalf("b and c missing: %v, want w: no b", err)
	}
}

func TestDefault(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scenario  string
		have, out time.Duration
	}{
		{scenario: "zero takes the default", have: 0, out: time.Minute},
		{scenario: "negative takes the default", have: -time.Second, out: time.Minute},
		{scenario: "positive stays", have: time.Second, out: time.Second},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			d := tt.have
			Default(&d, time.Minute)
			if d != tt.out {
				t.Fatalf("Default(%v) = %v, want %v", tt.have, d, tt.out)
			}
		})
	}
}
