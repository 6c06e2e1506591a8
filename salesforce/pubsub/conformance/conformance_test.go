package conformance_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/salesforce/pubsub/conformance"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/sffaketest"
)

// fakeSource adapts sffake to the suite.
type fakeSource struct{ s *sffake.Server }

var (
	_ conformance.RecordWriter        = fakeSource{}
	_ conformance.MergedWriter        = fakeSource{}
	_ conformance.GapEmitter          = fakeSource{}
	_ conformance.Retention           = fakeSource{}
	_ conformance.TokenRevoker        = fakeSource{}
	_ conformance.StreamFaults        = fakeSource{}
	_ conformance.SchemaChanger       = fakeSource{}
	_ conformance.AllocationExhauster = fakeSource{}
	_ conformance.Duplicator          = fakeSource{}
)

// ExhaustAllocation uses up the delivery allocation until the scenario
// ends.
func (f fakeSource) ExhaustAllocation(t testing.TB) {
	f.s.ExhaustLimit(sffake.LimitDailyDeliveredPlatformEvents)
	t.Cleanup(f.s.ResetLimits)
}

func (f fakeSource) token(tok string) pubsub.Token {
	return pubsub.Token{AccessToken: oauth.Secret(tok), InstanceURL: f.s.URL(), TenantID: f.s.OrgID()}
}

func (f fakeSource) Config(testing.TB) pubsub.Config {
	return pubsub.Config{Endpoint: f.s.PubSubAddr(), Credentials: pubsub.StaticCredentials(f.token(f.s.AccessToken())),
		Plaintext: !f.s.TLS(), RootCAs: f.s.CertPool()}
}

func (fakeSource) Features() conformance.Features {
	return conformance.Features{PlatformEvent: "Order_Event__e", PlatformEventField: "OrderId__c", FastKeepalive: true}
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f fakeSource) Create(t testing.TB, object string, fields map[string]any) string {
	id, err := f.s.Create(object, fields)
	check(t, err)
	return id
}
func (f fakeSource) Update(t testing.TB, id string, fields map[string]any) {
	check(t, f.s.Update(id, fields))
}
func (f fakeSource) Delete(t testing.TB, ids ...string) { check(t, f.s.Delete(ids...)) }
func (f fakeSource) Undelete(t testing.TB, id string)   { check(t, f.s.Undelete(id)) }
func (f fakeSource) UpdateMany(t testing.TB, ids []string, fields map[string]any) {
	_, err := f.s.Transact(func(tx *sffake.Tx) error { return tx.UpdateMany(ids, fields) })
	check(t, err)
}
func (f fakeSource) CreateMany(t testing.TB, object string, records []map[string]any) []string {
	var ids []string
	_, err := f.s.Transact(func(tx *sffake.Tx) error {
		for _, r := range records {
			id, err := tx.Create(object, r)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	check(t, err)
	return ids
}
func (f fakeSource) EmitGap(t testing.TB, object, changeType string, ids ...string) {
	_, err := f.s.EmitGap(object, changeType, ids...)
	check(t, err)
}
func (f fakeSource) EmitOverflow(t testing.TB, object string) {
	_, err := f.s.EmitOverflow(object)
	check(t, err)
}
func (f fakeSource) Purge(testing.TB) { f.s.Purge() }
func (f fakeSource) NewToken(testing.TB) pubsub.Token {
	tok := uuid.NewString()
	f.s.AddToken(tok)
	return f.token(tok)
}
func (f fakeSource) Revoke(_ testing.TB, tok pubsub.Token) { f.s.RevokeToken(string(tok.AccessToken)) }
func (f fakeSource) DropStreams(testing.TB)                { f.s.DropStreams() }
func (f fakeSource) StallStreams(testing.TB)               { f.s.StallStreams() }
func (f fakeSource) DuplicateNext(_ testing.TB, n int)     { f.s.DuplicateNext(n) }
func (f fakeSource) AddField(t testing.TB, object, field string) {
	_, err := f.s.AddField(object, sffake.Field{Name: field, Type: sffake.TypeString})
	check(t, err)
}

func TestSffake(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scenario string
		opts     []sffake.Option
	}{
		{scenario: "plaintext"},
		{scenario: "tls", opts: []sffake.Option{sffake.WithTLS()}},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			s := sffaketest.Start(t, append([]sffake.Option{
				sffake.WithKeepalive(20 * time.Millisecond),
				sffake.WithEvent(sffake.EventDefinition{Name: "Order_Event__e", Fields: []sffake.Field{
					{Name: "OrderId__c", Type: sffake.TypeString},
				}}),
			}, tt.opts...)...)
			conformance.Run(t, fakeSource{s})
		})
	}
}
