package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sfsync/sfsync/salesforce/sffake"
)

// Kind is a kind of churn operation.
type Kind string

// The operation kinds. Each is one transaction, except [KindBurst].
const (
	// KindAccountEdit updates some of an account's revenue, head count,
	// rating, owner and phone (sometimes clearing the phone).
	KindAccountEdit Kind = "account_edit"
	// KindAddressChange moves an account's billing and shipping address
	// within its territory.
	KindAddressChange Kind = "address_change"
	// KindReassign moves an account to another territory: the account
	// moves to a city of another geo territory (address and
	// Territory_Key__c updated, geo ObjectTerritory2Association deleted
	// and created), or, for a named account, its manual association moves
	// to another named-accounts territory. One transaction.
	KindReassign Kind = "reassign"
	// KindUserMove moves a user from one territory to another: one
	// transaction deleting a UserTerritory2Association and creating
	// another.
	KindUserMove Kind = "user_move"
	// KindDelete deletes an account with its territory associations.
	KindDelete Kind = "delete"
	// KindUndelete restores a deleted account with its associations.
	KindUndelete Kind = "undelete"
	// KindBurst is [Churn.BurstSize] account edits back to back, each its
	// own transaction.
	KindBurst Kind = "burst"
	// KindMultiRecord sets the same rating on 2–8 accounts in one
	// transaction: one merged UPDATE event listing them all.
	KindMultiRecord Kind = "multi_record"
	// KindGap emits a GAP_UPDATE event for 1–3 accounts.
	KindGap Kind = "gap"
	// KindOverflow emits a GAP_OVERFLOW event for Account; it is not part
	// of a [Mix] and happens only through [World.Overflow] or
	// [Churn.OverflowAfter].
	KindOverflow Kind = "overflow"
)

// Kinds lists the kinds of a [Mix] in the order the generator weighs them.
var Kinds = []Kind{
	KindAccountEdit, KindAddressChange, KindReassign, KindUserMove, KindDelete,
	KindUndelete, KindBurst, KindMultiRecord, KindGap,
}

// Mix weighs the operation kinds: each operation is of a kind drawn with
// probability weight / sum of weights. Weights must not be negative.
type Mix struct {
	AccountEdit   int `yaml:"account_edit"`
	AddressChange int `yaml:"address_change"`
	Reassign      int `yaml:"reassign"`
	UserMove      int `yaml:"user_move"`
	Delete        int `yaml:"delete"`
	Undelete      int `yaml:"undelete"`
	Burst         int `yaml:"burst"`
	MultiRecord   int `yaml:"multi_record"`
	Gap           int `yaml:"gap"`
}

// DefaultMix is the mix used when [Churn.Mix] is zero: mostly account
// edits, with re-assignments, user moves, deletes and undeletes, bursts,
// merged updates and rare gaps.
var DefaultMix = Mix{
	AccountEdit: 45, AddressChange: 12, Reassign: 14, UserMove: 5, Delete: 4,
	Undelete: 3, Burst: 2, MultiRecord: 5, Gap: 1,
}

// weights returns the weights in the order of [Kinds].
func (m Mix) weights() []int {
	return []int{m.AccountEdit, m.AddressChange, m.Reassign, m.UserMove, m.Delete, m.Undelete, m.Burst, m.MultiRecord, m.Gap}
}

// Total returns the sum of the weights.
func (m Mix) Total() int {
	n := 0
	for _, w := range m.weights() {
		n += w
	}
	return n
}

// Defaults of [Churn].
const (
	// DefaultBurstSize is the number of edits of a burst, and the token
	// bucket's capacity, by default.
	DefaultBurstSize = 20
)

// ErrInvalidChurn reports a [Churn] that cannot run.
var ErrInvalidChurn = errors.New("invalid churn")

// Churn configures [World.Churn].
type Churn struct {
	// Rate is the largest number of transactions per second, enforced by
	// a token bucket of capacity BurstSize; 0 means unlimited.
	Rate float64
	// BurstSize is the number of edits of a [KindBurst] operation and the
	// token bucket's capacity; the default is [DefaultBurstSize].
	BurstSize int
	// Mix weighs the kinds of operation; the zero Mix means [DefaultMix].
	Mix Mix
	// MaxOps stops Churn after this many operations; 0 runs until the
	// context ends.
	MaxOps int
	// OverflowAfter emits one GAP_OVERFLOW after this many operations; 0
	// never does.
	OverflowAfter int
	// Clock paces the token bucket; the default is [sffake.SystemClock].
	Clock sffake.Clock
	// OnOp, when set, is called after each operation commits, from the
	// goroutine running Churn.
	OnOp func(Op)
}

// Op describes one churn operation.
type Op struct {
	// Seq numbers the operations of a World from 1.
	Seq int
	// Kind is the operation's kind.
	Kind Kind
	// RecordIDs are the ids of the records it wrote (for a burst, the
	// accounts edited), in write order.
	RecordIDs []string
	// Transactions is the number of transactions it committed.
	Transactions int
}

// Result counts what Churn did.
type Result struct {
	// Ops is the number of operations.
	Ops int
	// Transactions is the number of transactions committed.
	Transactions int
	// ByKind counts operations by kind.
	ByKind map[Kind]int
}

// Churn applies operations drawn from c.Mix to the world until ctx ends or
// c.MaxOps operations are done, committing at most c.Rate transactions per
// second. It returns what it did; an error only when a write fails or c
// is invalid, not when ctx ends.
func (w *World) Churn(ctx context.Context, c Churn) (Result, error) {
	res := Result{ByKind: map[Kind]int{}}
	if c.Mix == (Mix{}) {
		c.Mix = DefaultMix
	}
	if c.BurstSize == 0 {
		c.BurstSize = DefaultBurstSize
	}
	weights := c.Mix.weights()
	switch {
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return res, fmt.Errorf("%w: rate %v", ErrInvalidChurn, c.Rate)
	case c.BurstSize < 0 || c.MaxOps < 0 || c.OverflowAfter < 0:
		return res, fmt.Errorf("%w: burst size, max ops and overflow after must not be negative", ErrInvalidChurn)
	case slices.ContainsFunc(weights, func(n int) bool { return n < 0 }):
		return res, fmt.Errorf("%w: negative weight in mix %+v", ErrInvalidChurn, c.Mix)
	}
	if c.Clock == nil {
		c.Clock = sffake.SystemClock()
	}
	tb := newBucket(c.Clock, c.Rate, c.BurstSize)
	total := c.Mix.Total()
	for c.MaxOps == 0 || res.Ops < c.MaxOps {
		select {
		case <-ctx.Done():
			return res, nil
		default:
		}
		var kind Kind
		if c.OverflowAfter > 0 && res.Ops == c.OverflowAfter && res.ByKind[KindOverflow] == 0 {
			kind = KindOverflow
		} else {
			r := w.rng.IntN(total)
			for i, wt := range weights {
				if r < wt {
					kind = Kinds[i]
					break
				}
				r -= wt
			}
		}
		need := 1
		if kind == KindBurst {
			need = c.BurstSize
		}
		if !tb.take(ctx, need) {
			return res, nil // ctx ended
		}
		op, err := w.apply(kind, c.BurstSize)
		if err != nil {
			return res, fmt.Errorf("churn %s: %w", kind, err)
		}
		res.Ops++
		res.Transactions += op.Transactions
		res.ByKind[op.Kind]++
		op.Seq = res.Ops
		if c.OnOp != nil {
			c.OnOp(op)
		}
	}
	return res, nil
}

// Overflow emits a GAP_OVERFLOW event for Account, as Salesforce does
// after the first 100,000 changes of one huge transaction.
func (w *World) Overflow() error {
	_, err := w.srv.EmitOverflow("Account")
	return err
}

// apply performs one operation of kind. An operation that cannot happen
// now (an undelete with nothing deleted) becomes an account edit, as does
// anything when no account is live.
func (w *World) apply(kind Kind, burst int) (Op, error) {
	if len(w.live) == 0 && kind != KindUndelete && kind != KindOverflow {
		kind = KindUndelete
	}
	if kind == KindUndelete && len(w.deleted) == 0 {
		kind = KindAccountEdit
	}
	if kind == KindUserMove && len(w.userAssocs) == 0 {
		kind = KindAccountEdit
	}
	if len(w.live) == 0 && kind == KindAccountEdit {
		return Op{Kind: kind}, nil // an empty world: nothing to do
	}
	op := Op{Kind: kind, Transactions: 1}
	var err error
	switch kind {
	case KindAccountEdit:
		op.RecordIDs, err = w.edit()
	case KindAddressChange:
		op.RecordIDs, err = w.moveAddress()
	case KindReassign:
		op.RecordIDs, err = w.reassign()
	case KindUserMove:
		op.RecordIDs, err = w.moveUser()
	case KindDelete:
		op.RecordIDs, err = w.deleteAccount()
	case KindUndelete:
		op.RecordIDs, err = w.undeleteAccount()
	case KindBurst:
		op.Transactions = 0
		for range burst {
			var ids []string
			if ids, err = w.edit(); err != nil {
				break
			}
			op.RecordIDs = append(op.RecordIDs, ids...)
			op.Transactions++
		}
	case KindMultiRecord:
		op.RecordIDs, err = w.multiRecord()
	case KindGap:
		op.RecordIDs, err = w.gap()
	case KindOverflow:
		op.RecordIDs, err = []string{sffake.OverflowRecordID}, w.Overflow()
	default:
		err = fmt.Errorf("unknown kind %q", kind)
	}
	return op, err
}

// randomLive returns a random live account.
func (w *World) randomLive() *account { return choice(w.rng, w.live) }

// actor returns a random user to commit a change.
func (w *World) actor() string { return choice(w.rng, w.users) }

func (w *World) transact(user string, fn func(tx *sffake.Tx) error) error {
	_, err := w.srv.Transact(func(tx *sffake.Tx) error {
		tx.SetUser(user)
		return fn(tx)
	})
	return err
}

func (w *World) edit() ([]string, error) {
	a := w.randomLive()
	f := map[string]any{}
	// At least one field; each of the others with some probability.
	switch w.rng.IntN(4) {
	case 0:
		a.revenue = math.Round(a.revenue*(0.8+w.rng.Float64()*0.45)/1000) * 1000
		f["AnnualRevenue"] = a.revenue
		f["Segment__c"] = segment(a.revenue)
	case 1:
		f["Rating"] = choice(w.rng, ratings)
	case 2:
		f["OwnerId"] = w.ownerFor(a.geo)
	case 3:
		f["NumberOfEmployees"] = max(5, int(a.revenue/(150_000+w.rng.Float64()*300_000)))
	}
	if w.rng.IntN(5) == 0 {
		f["Type"] = choice(w.rng, accountTypes)
	}
	if w.rng.IntN(10) == 0 {
		if w.rng.IntN(2) == 0 {
			f["Phone"] = nil
		} else {
			f["Phone"] = fmt.Sprintf("+1 555 %03d %04d", w.rng.IntN(1000), w.rng.IntN(10000))
		}
	}
	return []string{a.id}, w.transact(w.actor(), func(tx *sffake.Tx) error { return tx.Update(a.id, f) })
}

func (w *World) moveAddress() ([]string, error) {
	a := w.randomLive()
	a.place = w.rng.IntN(len(w.terrs[a.geo].spec.places))
	f := map[string]any{"Site": w.terrs[a.geo].spec.places[a.place].city}
	w.setAddress(f, "Billing", a.geo, a.place)
	if w.rng.IntN(2) == 0 {
		w.setAddress(f, "Shipping", a.geo, a.place)
	}
	return []string{a.id}, w.transact(w.actor(), func(tx *sffake.Tx) error { return tx.Update(a.id, f) })
}

func (w *World) reassign() ([]string, error) {
	a := w.randomLive()
	user := w.actor()
	if a.named >= 0 && w.rng.IntN(3) == 0 && len(w.nameds) > 1 {
		// A manual move between named-accounts territories.
		to := a.named
		for to == a.named {
			to = choice(w.rng, w.nameds)
		}
		var newAssoc string
		err := w.transact(user, func(tx *sffake.Tx) error {
			if err := tx.Delete(a.namedAssoc); err != nil {
				return err
			}
			var err error
			newAssoc, err = createOTA(tx, a.id, w.terrs[to].ID, "Territory2Manual")
			return err
		})
		if err != nil {
			return nil, err
		}
		ids := []string{a.namedAssoc, newAssoc}
		a.named, a.namedAssoc = to, newAssoc
		return ids, nil
	}
	// The account moves to another geo territory: its address changes,
	// the assignment rule re-runs and the primary territory key follows.
	to := a.geo
	for to == a.geo {
		to = choice(w.rng, w.leaves)
	}
	place := w.rng.IntN(len(w.terrs[to].spec.places))
	f := map[string]any{
		"Territory_Key__c": w.terrs[to].ID, "Region__c": w.terrs[to].region,
		"Site": w.terrs[to].spec.places[place].city, "OwnerId": w.ownerFor(to),
	}
	w.setAddress(f, "Billing", to, place)
	w.setAddress(f, "Shipping", to, place)
	var newAssoc string
	err := w.transact(user, func(tx *sffake.Tx) error {
		if err := tx.Update(a.id, f); err != nil {
			return err
		}
		if err := tx.Delete(a.geoAssoc); err != nil {
			return err
		}
		var err error
		newAssoc, err = createOTA(tx, a.id, w.terrs[to].ID, "Territory2AssignmentRule")
		return err
	})
	if err != nil {
		return nil, err
	}
	ids := []string{a.id, a.geoAssoc, newAssoc}
	a.geo, a.place, a.geoAssoc = to, place, newAssoc
	return ids, nil
}

func (w *World) moveUser() ([]string, error) {
	i := w.rng.IntN(len(w.userAssocs))
	ua := w.userAssocs[i]
	// A territory the user is not in yet.
	var targets []int
	for _, ti := range append(slices.Clone(w.leaves), w.nameds...) {
		if !slices.ContainsFunc(w.userAssocs, func(o *userAssoc) bool { return o.user == ua.user && o.terr == ti }) {
			targets = append(targets, ti)
		}
	}
	to := choice(w.rng, targets)
	var id string
	err := w.transact(w.actor(), func(tx *sffake.Tx) error {
		if err := tx.Delete(ua.id); err != nil {
			return err
		}
		var err error
		id, err = tx.Create("UserTerritory2Association", map[string]any{
			"UserId": w.users[ua.user], "Territory2Id": w.terrs[to].ID,
			"RoleInTerritory2": ua.role, "IsActive": true,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	ids := []string{ua.id, id}
	w.userAssocs[i] = &userAssoc{id: id, user: ua.user, terr: to, role: ua.role}
	w.terrs[ua.terr].users = slices.DeleteFunc(w.terrs[ua.terr].users, func(u int) bool { return u == ua.user })
	w.terrs[to].users = append(w.terrs[to].users, ua.user)
	return ids, nil
}

// assocIDs returns the ids of a's territory associations.
func (a *account) assocIDs() []string {
	ids := []string{a.geoAssoc}
	if a.namedAssoc != "" {
		ids = append(ids, a.namedAssoc)
	}
	return ids
}

func (w *World) deleteAccount() ([]string, error) {
	a := w.randomLive()
	ids := append([]string{a.id}, a.assocIDs()...)
	if err := w.transact(w.actor(), func(tx *sffake.Tx) error { return tx.Delete(ids...) }); err != nil {
		return nil, err
	}
	w.live = remove(w.live, a)
	a.deleted = true
	a.pos = len(w.deleted)
	w.deleted = append(w.deleted, a)
	return ids, nil
}

func (w *World) undeleteAccount() ([]string, error) {
	a := choice(w.rng, w.deleted)
	ids := append([]string{a.id}, a.assocIDs()...)
	err := w.transact(w.actor(), func(tx *sffake.Tx) error {
		for _, id := range ids {
			if err := tx.Undelete(id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	w.deleted = remove(w.deleted, a)
	a.deleted = false
	a.pos = len(w.live)
	w.live = append(w.live, a)
	return ids, nil
}

// remove removes a from s by moving the last element into its place.
func remove(s []*account, a *account) []*account {
	last := s[len(s)-1]
	s[a.pos], last.pos = last, a.pos
	return s[:len(s)-1]
}

// sample returns up to k distinct random live accounts.
func (w *World) sample(k int) []string {
	idx := w.rng.Perm(len(w.live))[:min(k, len(w.live))]
	ids := make([]string, len(idx))
	for i, j := range idx {
		ids[i] = w.live[j].id
	}
	return ids
}

func (w *World) multiRecord() ([]string, error) {
	ids := w.sample(2 + w.rng.IntN(7))
	rating := choice(w.rng, ratings)
	return ids, w.transact(w.actor(), func(tx *sffake.Tx) error {
		return tx.UpdateMany(ids, map[string]any{"Rating": rating})
	})
}

func (w *World) gap() ([]string, error) {
	ids := w.sample(1 + w.rng.IntN(3))
	_, err := w.srv.EmitGap("Account", "GAP_UPDATE", ids...)
	return ids, err
}

// bucket is a token bucket on a clock: it holds up to capacity tokens and
// gains rate tokens per second.
type bucket struct {
	clk      sffake.Clock
	rate     float64
	capacity float64
	tokens   float64
	last     time.Time
}

func newBucket(clk sffake.Clock, rate float64, capacity int) *bucket {
	return &bucket{clk: clk, rate: rate, capacity: float64(capacity), tokens: float64(capacity), last: clk.Now()}
}

// take waits until n tokens are available and takes them; with rate 0 it
// never waits. It returns false, taking nothing, when ctx ends first.
func (b *bucket) take(ctx context.Context, n int) bool {
	if b.rate == 0 {
		return true
	}
	need := min(float64(n), b.capacity)
	for {
		now := b.clk.Now()
		if now.After(b.last) {
			b.tokens = min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.rate)
			b.last = now
		}
		if b.tokens >= need {
			b.tokens -= need
			return true
		}
		wait := time.Duration(math.Ceil((need - b.tokens) / b.rate * float64(time.Second)))
		t := b.clk.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C():
		}
	}
}
