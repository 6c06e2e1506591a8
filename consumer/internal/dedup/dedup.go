package dedup

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultTTL is how long a key is remembered: Salesforce's 72-hour event
// retention, past which no redelivery can come.
const DefaultTTL = 72 * time.Hour

// Filter checks and records keys in Redis under a prefix and the epoch.
// A Filter is safe for concurrent use.
type Filter struct {
	client redis.UniversalClient
	prefix string
	ttl    time.Duration

	mu    sync.Mutex
	epoch string
	// committed holds the highest next offset committed per
	// group, topic and partition (a field of [Filter.offsetsKey]) since
	// the epoch was set.
	committed map[string]int64
}

// New returns a Filter on client whose keys start with prefix, then the
// epoch and a colon, and live for ttl (DefaultTTL when 0). Its epoch is
// empty, and its keys start with prefix alone, until [Filter.SetEpoch].
func New(client redis.UniversalClient, prefix string, ttl time.Duration) *Filter {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Filter{client: client, prefix: prefix, ttl: ttl, committed: map[string]int64{}}
}

// SetEpoch makes token the epoch whose key space the filter reads and
// writes; a new epoch forgets the offsets committed under the old one.
func (f *Filter) SetEpoch(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if token != f.epoch {
		f.epoch = token
		f.committed = map[string]int64{}
	}
}

// Epoch returns the epoch set last.
func (f *Filter) Epoch() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.epoch
}

// Committed records that PostgreSQL committed group's next offset next
// for topic's partition; the next [Filter.Mark] stores it beside its
// keys. Call it once the transaction holding the offset has committed,
// before marking the keys it applied.
func (f *Filter) Committed(group, topic string, partition int, next int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	field := offsetField(group, topic, partition)
	if next > f.committed[field] {
		f.committed[field] = next
	}
}

func offsetField(group, topic string, partition int) string {
	return group + "\x00" + topic + "\x00" + strconv.Itoa(partition)
}

// offsetsKey is the hash of the highest committed offsets of epoch. An
// epoch is crypto/rand.Text (upper-case base32), so no epoch's key
// space starts with "offsets:".
func (f *Filter) offsetsKey(epoch string) string { return f.prefix + "offsets:" + epoch }

// keyPrefix returns the prefix of the keys of epoch; without an epoch,
// the filter's prefix alone.
func (f *Filter) keyPrefix(epoch string) string {
	if epoch == "" {
		return f.prefix
	}
	return f.prefix + epoch + ":"
}

// Seen reports, for each key, whether it was recorded, in one round trip.
// On error the result is nil: treat every key as unseen.
func (f *Filter) Seen(ctx context.Context, keys []string) ([]bool, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	prefix := f.keyPrefix(f.Epoch())
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = prefix + k
	}
	vals, err := f.client.MGet(ctx, full...).Result()
	if err != nil {
		return nil, fmt.Errorf("redis mget: %w", err)
	}
	seen := make([]bool, len(keys))
	for i, v := range vals {
		seen[i] = v != nil
	}
	return seen, nil
}

// raiseOffsets sets each field of the hash KEYS[1] given in ARGV (field,
// value pairs) to the value when it is higher, then sets the hash's TTL
// to the last ARGV, in milliseconds.
var raiseOffsets = redis.NewScript(`
for i = 1, #ARGV - 1, 2 do
	local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '-1')
	if tonumber(ARGV[i + 1]) > cur then
		redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
	end
end
redis.call('PEXPIRE', KEYS[1], ARGV[#ARGV])
return 0`)

// Mark records keys, each with the filter's TTL, and the offsets
// committed so far, in one transaction: a key is never in Redis without
// an offset at least as high as the one that committed its record.
func (f *Filter) Mark(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	f.mu.Lock()
	epoch := f.epoch
	args := make([]any, 0, 2*len(f.committed)+1)
	for field, next := range f.committed {
		args = append(args, field, next)
	}
	f.mu.Unlock()
	args = append(args, f.ttl.Milliseconds())
	prefix := f.keyPrefix(epoch)
	// The offsets go first, so that even a transaction cut short by a
	// lost connection cannot leave keys without them.
	_, err := f.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if len(args) > 1 {
			raiseOffsets.Eval(ctx, p, []string{f.offsetsKey(epoch)}, args...)
		}
		for _, k := range keys {
			p.Set(ctx, prefix+k, "1", f.ttl)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis set: %w", err)
	}
	return nil
}

// Behind reports whether PostgreSQL's next offsets of group's partitions
// of topic, pg (a partition absent is at 0), are behind the highest the
// epoch's keys were marked with: PostgreSQL then lacks records whose
// keys Redis holds, and the filter must move to a new epoch before the
// consumer reads them again. An error says Redis could not be asked.
func (f *Filter) Behind(ctx context.Context, group, topic string, pg map[int]int64) (bool, error) {
	marked, err := f.client.HGetAll(ctx, f.offsetsKey(f.Epoch())).Result()
	if err != nil {
		return false, fmt.Errorf("redis hgetall: %w", err)
	}
	want := group + "\x00" + topic + "\x00"
	for field, v := range marked {
		p, ok := strings.CutPrefix(field, want)
		if !ok {
			continue
		}
		partition, err1 := strconv.Atoi(p)
		next, err2 := strconv.ParseInt(v, 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return false, fmt.Errorf("redis %s field %q: %w", f.offsetsKey(f.Epoch()), p, err)
		}
		if pg[partition] < next {
			return true, nil
		}
	}
	return false, nil
}
