package keys

import (
	"container/list"
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	evictions := 0
	c := newCache(3, func() { evictions++ })
	c.put("Account", "001A", "T1", true)
	c.put("Account", "001B", "T2", true)
	c.put("Account", "001C", "", true) // no partition key
	if _, ok := c.get("Account", "001A"); !ok {
		t.Fatal("001A missing before the cache is full")
	}
	c.put("Account", "001D", "T1", true) // evicts 001B, the least recently used
	if evictions != 1 || c.len() != 3 {
		t.Fatalf("%d evictions, %d entries; want 1, 3", evictions, c.len())
	}
	if _, ok := c.get("Account", "001B"); ok {
		t.Error("001B was not evicted")
	}
	for _, tt := range []struct{ id, want string }{{"001A", "T1"}, {"001C", ""}, {"001D", "T1"}} {
		if got, ok := c.get("Account", tt.id); !ok || got != tt.want {
			t.Errorf("%s: %q %v, want %q", tt.id, got, ok, tt.want)
		}
	}
	// The same id of another object is another record.
	if _, ok := c.get("Contact", "001A"); ok {
		t.Error("Contact 001A found")
	}
}

func TestCacheReplaceAndKeep(t *testing.T) {
	t.Parallel()
	c := newCache(10, nil)
	c.put("Account", "001A", "T1", true)
	c.put("Account", "001A", "T2", false)
	if got, _ := c.get("Account", "001A"); got != "T1" {
		t.Errorf("put without replace changed the key to %q", got)
	}
	c.put("Account", "001A", "", true)
	if got, ok := c.get("Account", "001A"); !ok || got != "" {
		t.Errorf("nulled key: %q %v", got, ok)
	}
	// T1 and T2 are no longer used: their interned values are freed.
	if len(c.valIndex) != 0 || len(c.freeVals) != 1 {
		t.Errorf("interned values %v, free %v", c.valIndex, c.freeVals)
	}
	if c.put("Account", "0011234567890123456789", "T1", true); c.len() != 1 {
		t.Error("an id longer than 18 characters was cached")
	}
}

// TestCacheChurn checks the list and the reference counts over many
// evictions.
func TestCacheChurn(t *testing.T) {
	t.Parallel()
	evictions := 0
	c := newCache(100, func() { evictions++ })
	for i := range 10_000 {
		c.put("Account", fmt.Sprintf("001%015d", i), fmt.Sprintf("T%d", i%7), true)
		if i%3 == 0 {
			c.get("Account", fmt.Sprintf("001%015d", i/2))
		}
	}
	if c.len() != 100 || evictions != 9_900 {
		t.Fatalf("%d entries, %d evictions", c.len(), evictions)
	}
	refs := uint32(0)
	for i := range c.refs {
		refs += c.refs[i]
	}
	if refs != 100 {
		t.Errorf("%d references to interned values, want 100", refs)
	}
	n := 0
	for i := c.nodes[0].next; i != 0; i = c.nodes[i].next {
		n++
	}
	if n != 100 {
		t.Errorf("%d nodes in the recency list, want 100", n)
	}
	for i := 9_900; i < 10_000; i++ {
		if got, ok := c.get("Account", fmt.Sprintf("001%015d", i)); !ok || got != fmt.Sprintf("T%d", i%7) {
			t.Fatalf("record %d: %q %v", i, got, ok)
		}
	}
}

// TestCacheModel compares the cache with a plain LRU built from a map and
// container/list over random gets and puts, with evictions and many
// collisions in the index.
func TestCacheModel(t *testing.T) {
	t.Parallel()
	const capacity = 3000
	type entry struct{ id, key string }
	model := map[string]*list.Element{}
	order := list.New() // front: most recently used
	c := newCache(capacity, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	for op := range 200_000 {
		id := fmt.Sprintf("001%015d", rng.IntN(10_000))
		if rng.IntN(2) == 0 {
			got, ok := c.get("Account", id)
			el, want := model[id]
			if ok != want || (ok && got != el.Value.(entry).key) {
				t.Fatalf("op %d: get %s: %q %v, model %v", op, id, got, ok, want)
			}
			if want {
				order.MoveToFront(el)
			}
			continue
		}
		key := fmt.Sprintf("T%d", rng.IntN(20))
		c.put("Account", id, key, true)
		if el, ok := model[id]; ok {
			el.Value = entry{id, key}
			order.MoveToFront(el)
			continue
		}
		model[id] = order.PushFront(entry{id, key})
		if order.Len() > capacity {
			last := order.Back()
			order.Remove(last)
			delete(model, last.Value.(entry).id)
		}
	}
	if c.len() != len(model) {
		t.Fatalf("%d entries, model %d", c.len(), len(model))
	}
	for id, el := range model {
		if got, ok := c.get("Account", id); !ok || got != el.Value.(entry).key {
			t.Fatalf("%s: %q %v, model %q", id, got, ok, el.Value.(entry).key)
		}
	}
}

// BenchmarkCachePut reports the memory of a full cache per entry.
func BenchmarkCachePut(b *testing.B) {
	c := newCache(b.N, nil)
	b.ReportAllocs()
	for i := range b.N {
		c.put("Account", fmt.Sprintf("001%015d", i), fmt.Sprintf("0MI%015d", i%500), true)
	}
}
