package conformance

import (
	"context"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/pubsub"
)

// Source is an event source under test.
type Source interface {
	// Config returns the client configuration that reaches the source:
	// endpoint, TLS or plaintext, and credentials.
	Config(t testing.TB) pubsub.Config
	// Features tells what the source supports.
	Features() Features
}

// Features describe a source.
type Features struct {
	// ChangeEventObject is an object with change events enabled and the
	// standard Account fields Name, Phone, Fax, Rating, BillingCity,
	// LastModifiedDate. The default is "Account".
	ChangeEventObject string
	// PlatformEvent is a publishable platform event, e.g.
	// "Order_Event__e", with the string field PlatformEventField.
	// Required.
	PlatformEvent      string
	PlatformEventField string
	// FastKeepalive reports that idle streams get keepalives within
	// seconds (an emulator with a short interval); without it the
	// keepalive scenarios are skipped.
	FastKeepalive bool
	// Timeout bounds each scenario; the default is 30 s.
	Timeout time.Duration
}

// RecordWriter writes records, producing change events.
type RecordWriter interface {
	Create(t testing.TB, object string, fields map[string]any) string
	Update(t testing.TB, id string, fields map[string]any)
	Delete(t testing.TB, ids ...string)
	Undelete(t testing.TB, id string)
}

// MergedWriter writes several records in one transaction.
type MergedWriter interface {
	// UpdateMany sets the same values on several records in one
	// transaction, which yields one merged event.
	UpdateMany(t testing.TB, ids []string, fields map[string]any)
	// CreateMany creates records in one transaction.
	CreateMany(t testing.TB, object string, records []map[string]any) []string
}

// GapEmitter makes the source emit gap and overflow events.
type GapEmitter interface {
	EmitGap(t testing.TB, object, changeType string, ids ...string)
	EmitOverflow(t testing.TB, object string)
}

// Retention expires every retained event now.
type Retention interface {
	Purge(t testing.TB)
}

// TokenRevoker issues and revokes extra tokens.
type TokenRevoker interface {
	// NewToken returns a valid token besides the configured one.
	NewToken(t testing.TB) pubsub.Token
	// Revoke makes tok invalid for new calls.
	Revoke(t testing.TB, tok pubsub.Token)
}

// StreamFaults injects stream failures into the streams open now.
type StreamFaults interface {
	// DropStreams resets them like a transport failure.
	DropStreams(t testing.TB)
	// StallStreams silences them without ending them.
	StallStreams(t testing.TB)
}

// SchemaChanger changes an object's schema.
type SchemaChanger interface {
	// AddField adds a string field to object.
	AddField(t testing.TB, object, field string)
}

// AllocationExhauster uses up the org's event delivery allocation.
type AllocationExhauster interface {
	ExhaustAllocation(t testing.TB)
}

// Duplicator makes the source deliver events more than once, as
// Salesforce's at-least-once delivery may (spec §3.4).
type Duplicator interface {
	// DuplicateNext makes each of the next n events delivered to any
	// subscriber arrive twice.
	DuplicateNext(t testing.TB, n int)
}

// Run runs every scenario against src: first those that leave the source
// usable for the others, in parallel, then the disruptive ones (purge,
// dropped and stalled streams, revoked tokens, duplicates) one at a
// time.
func Run(t *testing.T, src Source) {
	f := src.Features()
	if f.ChangeEventObject == "" {
		f.ChangeEventObject = "Account"
	}
	if f.Timeout == 0 {
		f.Timeout = 30 * time.Second
	}
	if f.PlatformEvent == "" || f.PlatformEventField == "" {
		t.Fatal("conformance: Features.PlatformEvent and PlatformEventField are required")
	}
	t.Run("shared", func(t *testing.T) {
		for _, sc := range sharedScenarios {
			t.Run(sc.scenario, func(t *testing.T) {
				t.Parallel()
				runScenario(t, src, f, sc)
			})
		}
	})
	for _, sc := range disruptiveScenarios {
		t.Run(sc.scenario, func(t *testing.T) { runScenario(t, src, f, sc) })
	}
}

type scenario struct {
	scenario string
	// spec names the section of the spec the scenario checks.
	spec string
	run  func(h *harness)
}

func runScenario(t *testing.T, src Source, f Features, sc scenario) {
	ctx, cancel := context.WithTimeout(context.Background(), f.Timeout)
	defer cancel()
	h := newHarness(ctx, t, src, f)
	t.Logf("spec %s", sc.spec)
	sc.run(h)
}
